"""Attendance returns (one at a time or a CSV file checked whole) and the deductions they raise."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, InvalidTransition, ValidationFailed
from placements import workflow
from placements.models import (
    AttendanceReturn,
    Deduction,
    PenaltyClause,
    PlacementContract,
    PlacementEventAction,
)
from placements.services.common import (
    Errors,
    add_error,
    check_action,
    fail,
    lock_contract,
    parse_choice,
    pk_of,
    require_manage,
    write_event,
)
from placements.versions import annual_cost_on
from placements.workflow import Action, ContractStatus, DeductionStatus

__all__ = [
    "CSV_COLUMNS",
    "MAX_PERIOD_DAYS",
    "ImportResult",
    "RowError",
    "attendance_return_submit",
    "attendance_returns_import_csv",
    "deduction_confirm",
    "deduction_waive",
]

CSV_COLUMNS = (
    "contract_ref",
    "period_kind",
    "period_start",
    "period_end",
    "sessions_possible",
    "sessions_attended",
    "authorised_absence",
    "unauthorised_absence",
)
# Sanity limits on a return's period: longer ones are typing mistakes, and the period fee
# (a third or a twelfth of the year) would be wrong for them.
MAX_PERIOD_DAYS: dict[workflow.PeriodKind, int] = {workflow.PeriodKind.TERM: 140, workflow.PeriodKind.MONTH: 31}


# --- Attendance returns and deductions -----------------------------------------------------------


def _return_errors(
    contract: PlacementContract,
    *,
    period_kind: Any,
    period_start: date | None,
    period_end: date | None,
    facts: workflow.ReturnFacts | None,
    existing: Iterable[tuple[date, date]],
) -> Errors:
    """Everything wrong with a return for ``contract``, keyed by field (= CSV column) name.
    ``existing``: the periods of the contract's returns already on file."""
    errors: Errors = {}
    if ContractStatus(contract.status) not in workflow.RETURN_STATUSES:
        add_error(errors, "contract_ref", _transition_message(contract, Action.SUBMIT_RETURN))
    kind = parse_choice(errors, "period_kind", period_kind, workflow.PeriodKind, "Select term or month")
    if period_start is None:
        add_error(errors, "period_start", "Enter the first day of the period")
    if period_end is None:
        add_error(errors, "period_end", "Enter the last day of the period")
    if period_start is not None and period_end is not None:
        if period_end < period_start:
            add_error(errors, "period_end", "The end of the period must be on or after its start")
        elif kind and (period_end - period_start).days + 1 > MAX_PERIOD_DAYS[workflow.PeriodKind(kind)]:
            most = MAX_PERIOD_DAYS[workflow.PeriodKind(kind)]
            add_error(errors, "period_end", f"A {kind} lasts at most {most} days")
        problems = workflow.return_period_problems(
            period_start,
            period_end,
            today=timezone.localdate(),
            placement_start=contract.start_on,
            placement_finish=contract.ended_on or contract.end_on,
            # The same period exactly is a correction of that return, not a clash.
            others=[period for period in existing if period != (period_start, period_end)],
        )
        for name, message in problems:
            add_error(errors, name, message)
    if facts is not None:
        for name, message in workflow.return_problems(facts):
            add_error(errors, name, message)
    return errors


def _periods_on_file(contract_ids: Iterable[int]) -> dict[int, list[tuple[date, date]]]:
    """The periods of the returns on file for each contract, in one query."""
    periods: dict[int, list[tuple[date, date]]] = defaultdict(list)
    rows = AttendanceReturn.objects.filter(contract_id__in=list(contract_ids)).values_list(
        "contract_id", "period_start", "period_end"
    )
    for contract_id, start, end in rows:
        periods[contract_id].append((start, end))
    return periods


def _transition_message(contract: PlacementContract, action: workflow.Action) -> str:
    try:
        workflow.check_transition(contract.status, action)
    except workflow.TransitionError as exc:
        return exc.message
    return ""  # pragma: no cover - only called when the transition is refused


def _apply_return(
    *,
    actor: Any,
    contract: PlacementContract,
    period_kind: str,
    period_start: date,
    period_end: date,
    facts: workflow.ReturnFacts,
) -> AttendanceReturn:
    """Write the return (or correct the one for the same period) and bring its deduction into
    line with the clause. The caller holds the contract lock and has validated the input."""
    counts = {
        "period_kind": period_kind,
        "sessions_possible": facts.sessions_possible,
        "sessions_attended": facts.sessions_attended,
        "authorised_absence": facts.authorised_absence,
        "unauthorised_absence": facts.unauthorised_absence,
        "submitted_by": actor,
        "submitted_at": timezone.now(),
    }
    existing = (
        AttendanceReturn.objects.select_for_update()
        .filter(contract=contract, period_start=period_start, period_end=period_end)
        .first()
    )
    if existing is None:
        attendance = AttendanceReturn.objects.create(
            contract=contract, period_start=period_start, period_end=period_end, **counts
        )
    else:
        attendance = existing
        for name, value in counts.items():
            setattr(attendance, name, value)
        attendance.version += 1
        attendance.save()

    clause = PenaltyClause.objects.filter(contract=contract).first()
    deduction = Deduction.objects.select_for_update().filter(attendance_return=attendance).first()
    previous = None if deduction is None else {"status": deduction.status, "amount_pence": deduction.amount_pence}
    outcome = "no_clause"
    reset = False
    if clause is not None:
        # The fee in force on the period's first day: a period in the first year is charged at
        # the first year's fee, whatever was agreed since (placements/versions.py).
        fee = workflow.period_fee(annual_cost_on(contract, period_start) or 0, period_kind)
        result = workflow.compute_deduction(clause.facts(), attendance.facts(), fee)
        if result.applies:
            values = {
                "amount_pence": result.amount_pence,
                "period_fee_pence": fee,
                "working": list(result.working),
                "status": DeductionStatus.PENDING.value,
                "waived_reason": "",
                "decided_by": None,
                "decided_at": None,
                "computed_at": timezone.now(),
            }
            if deduction is None:
                deduction = Deduction.objects.create(attendance_return=attendance, **values)
                outcome = "created"
            else:
                reset = deduction.status != DeductionStatus.PENDING
                for name, value in values.items():
                    setattr(deduction, name, value)
                deduction.save()
                outcome = "recomputed"
        elif deduction is not None:
            # The corrected figures are at or above the threshold: no deduction is due.
            deduction.delete()
            deduction = None
            outcome = "removed"
        else:
            outcome = "none"
    payload = {
        "contract_id": contract.pk,
        "return_id": attendance.pk,
        "version": attendance.version,
        "period_kind": period_kind,
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "deduction": outcome,
        "deduction_id": deduction.pk if deduction else None,
        "deduction_amount_pence": deduction.amount_pence if deduction else None,
        "previous_deduction": previous,
    }
    write_event(
        actor=actor,
        action=PlacementEventAction.RETURN_SUBMITTED if existing is None else PlacementEventAction.RETURN_CORRECTED,
        contract=contract,
        payload=payload,
    )
    if reset:
        assert deduction is not None and previous is not None
        write_event(
            actor=actor,
            action=PlacementEventAction.DEDUCTION_RESET,
            contract=contract,
            payload={
                "contract_id": contract.pk,
                "return_id": attendance.pk,
                "deduction_id": deduction.pk,
                "previous_status": previous["status"],
                "previous_amount_pence": previous["amount_pence"],
                "amount_pence": deduction.amount_pence,
            },
            note=(
                f"Recomputed from version {attendance.version} of the return; the {previous['status']} "
                "deduction is pending again and needs a new decision."
            ),
        )
    return attendance


def attendance_return_submit(
    *,
    actor: Any,
    contract: PlacementContract | int,
    period_kind: str,
    period_start: date,
    period_end: date,
    possible: int,
    attended: int,
    authorised: int,
    unauthorised: int,
) -> AttendanceReturn:
    """Record the provider's attendance return for a term or month: a period that has ended,
    within the placement, sharing no day with another return of the contract, and with every
    possible session attended or absent (``workflow.return_period_problems`` and
    ``return_problems``). A return for a period already on file is a correction: the figures
    are replaced, the version goes up and the deduction is recomputed (a decided one goes back
    to pending; one no longer due is removed).
    Below the clause's threshold a pending deduction is created with its working."""
    require_manage(actor)
    facts = workflow.ReturnFacts(
        period_kind=period_kind,
        sessions_possible=possible,
        sessions_attended=attended,
        authorised_absence=authorised,
        unauthorised_absence=unauthorised,
    )
    with transaction.atomic():
        locked = lock_contract(contract)
        check_action(locked, Action.SUBMIT_RETURN)
        fail(
            _return_errors(
                locked,
                period_kind=period_kind,
                period_start=period_start,
                period_end=period_end,
                facts=facts,
                existing=_periods_on_file([locked.pk])[locked.pk],
            )
        )
        return _apply_return(
            actor=actor,
            contract=locked,
            period_kind=period_kind,
            period_start=period_start,
            period_end=period_end,
            facts=facts,
        )


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str
    reason: str


@dataclass(frozen=True)
class ImportResult:
    rows_read: int
    created: int = 0
    corrected: int = 0
    deductions_pending: int = 0  # rows whose return now has a pending deduction
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} problems found in {self.rows_read} rows. Nothing was imported."
        return (
            f"{self.rows_read} rows imported: {self.created} new returns, {self.corrected} corrections, "
            f"{self.deductions_pending} with a deduction to confirm or waive."
        )


@dataclass
class _Row:
    row: int
    contract: PlacementContract
    period_kind: str
    period_start: date
    period_end: date
    facts: workflow.ReturnFacts


def _parse_date(value: str) -> date | None:
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_count(value: str) -> int | None:
    """A whole number of sessions in ASCII digits. ``str.isdigit`` alone accepts "²" and other
    digits ``int`` refuses, which would fail the import with a 500 instead of naming the cell."""
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _validate_csv(file_text: str) -> tuple[int, list[_Row], list[RowError]]:
    """Read and check the whole file; nothing is written. Row numbers are spreadsheet rows."""
    reader = csv.DictReader(io.StringIO(file_text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        return 0, [], [RowError(1, name, "The column is missing") for name in missing]
    raw_rows = [{(k or "").strip(): (v or "") for k, v in record.items()} for record in reader]
    refs = {record["contract_ref"].strip() for record in raw_rows}
    # One query for every contract the file names (not one per row).
    contracts = {c.reference: c for c in PlacementContract.objects.filter(reference__in=refs)}
    on_file = _periods_on_file(c.pk for c in contracts.values())
    rows: list[_Row] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, date, date], int] = {}
    # The file's own periods, per contract, so that two rows cannot cover the same days.
    in_file: dict[int, list[tuple[date, date, int]]] = defaultdict(list)
    for number, record in enumerate(raw_rows, start=2):
        row_errors: list[RowError] = []
        ref = record["contract_ref"].strip()
        contract = contracts.get(ref)
        if contract is None:
            row_errors.append(RowError(number, "contract_ref", f"No placement contract has the reference {ref!r}"))
        start = _parse_date(record["period_start"])
        end = _parse_date(record["period_end"])
        for column, value in (("period_start", start), ("period_end", end)):
            if value is None:
                row_errors.append(RowError(number, column, "Enter a date like 2026-01-05 or 05/01/2026"))
        counts: dict[str, int | None] = {}
        for column in ("sessions_possible", "sessions_attended", "authorised_absence", "unauthorised_absence"):
            counts[column] = _parse_count(record[column])
            if counts[column] is None:
                row_errors.append(RowError(number, column, "Enter a whole number of sessions, 0 or more"))
        kind = record["period_kind"].strip().lower()
        if contract is not None:
            facts = None
            if all(v is not None for v in counts.values()):
                facts = workflow.ReturnFacts(
                    period_kind=kind,
                    sessions_possible=counts["sessions_possible"] or 0,
                    sessions_attended=counts["sessions_attended"] or 0,
                    authorised_absence=counts["authorised_absence"] or 0,
                    unauthorised_absence=counts["unauthorised_absence"] or 0,
                )
            found = _return_errors(
                contract,
                period_kind=kind,
                period_start=start,
                period_end=end,
                facts=facts,
                existing=on_file[contract.pk],
            )
            for column, messages in found.items():
                for message in messages:
                    # Missing dates were reported above in the CSV's own words.
                    if column in ("period_start", "period_end") and (start is None or end is None):
                        continue
                    row_errors.append(RowError(number, column, message))
            if start is not None and end is not None:
                key = (contract.pk, start, end)
                if key in seen:
                    row_errors.append(RowError(number, "period_start", f"This period is already in row {seen[key]}"))
                else:
                    seen[key] = number
                    for other_start, other_end, other_row in in_file[contract.pk]:
                        if other_start <= end and start <= other_end:
                            row_errors.append(
                                RowError(
                                    number,
                                    "period_start",
                                    f"The period overlaps row {other_row} ({workflow.long_date(other_start)} to "
                                    f"{workflow.long_date(other_end)}); a day can be in only one return",
                                )
                            )
                    in_file[contract.pk].append((start, end, number))
            if not row_errors and facts is not None and start is not None and end is not None:
                rows.append(_Row(number, contract, kind, start, end, facts))
        else:
            # No contract to check the period against; the file's own figures can still be.
            if kind not in {k.value for k in workflow.PeriodKind}:
                row_errors.append(RowError(number, "period_kind", "Select term or month"))
            if start is not None and end is not None and end < start:
                row_errors.append(RowError(number, "period_end", "The end of the period must be on or after its start"))
            if all(v is not None for v in counts.values()):
                only = workflow.ReturnFacts(kind, *(int(v or 0) for v in counts.values()))
                row_errors.extend(
                    RowError(number, column, message) for column, message in workflow.return_problems(only)
                )
        errors.extend(row_errors)
    return len(raw_rows), rows, errors


class _RowFailed(Exception):
    def __init__(self, error: RowError):
        super().__init__(error.reason)
        self.error = error


def attendance_returns_import_csv(*, actor: Any, file_text: str) -> ImportResult:
    """Import a file of attendance returns (columns: ``CSV_COLUMNS``; dates as YYYY-MM-DD or
    DD/MM/YYYY). The whole file is checked first and every problem reported as (row, column,
    reason); if there is any, nothing is imported. Otherwise every row is applied in one
    transaction, exactly as :func:`attendance_return_submit` would."""
    require_manage(actor)
    rows_read, rows, errors = _validate_csv(file_text)
    if errors:
        return ImportResult(rows_read=rows_read, errors=errors)
    created = corrected = pending = 0
    try:
        with transaction.atomic():
            # Lock every contract first, in a fixed order, so two imports cannot deadlock.
            locked = {
                c.pk: c
                for c in PlacementContract.objects.select_for_update()
                .filter(pk__in=sorted({r.contract.pk for r in rows}))
                .order_by("pk")
            }
            for row in rows:
                contract = locked[row.contract.pk]
                # Re-check under the lock: the contract may have moved since the file was read.
                late = _return_errors(
                    contract,
                    period_kind=row.period_kind,
                    period_start=row.period_start,
                    period_end=row.period_end,
                    facts=row.facts,
                    existing=_periods_on_file([contract.pk])[contract.pk],
                )
                if late:
                    column, messages = next(iter(late.items()))
                    raise _RowFailed(RowError(row.row, column, messages[0]))
                try:
                    attendance = _apply_return(
                        actor=actor,
                        contract=contract,
                        period_kind=row.period_kind,
                        period_start=row.period_start,
                        period_end=row.period_end,
                        facts=row.facts,
                    )
                except DomainError as exc:  # pragma: no cover - validated above
                    raise _RowFailed(RowError(row.row, exc.field or "contract_ref", exc.message)) from exc
                if attendance.version == 1:
                    created += 1
                else:
                    corrected += 1
                if Deduction.objects.filter(attendance_return=attendance, status=DeductionStatus.PENDING).exists():
                    pending += 1
    except _RowFailed as failed:
        return ImportResult(rows_read=rows_read, errors=[failed.error])
    return ImportResult(rows_read=rows_read, created=created, corrected=corrected, deductions_pending=pending)


def _lock_deduction(deduction: Deduction | int) -> tuple[PlacementContract, Deduction]:
    contract_id = (
        Deduction.objects.filter(pk=pk_of(deduction)).values_list("attendance_return__contract_id", flat=True).first()
    )
    if contract_id is None:
        raise ValidationFailed("Select a deduction", field="deduction")
    contract = lock_contract(contract_id)
    check_action(contract, Action.DECIDE_DEDUCTION)
    found = Deduction.objects.select_for_update().select_related("attendance_return").get(pk=pk_of(deduction))
    if found.status != DeductionStatus.PENDING:
        raise InvalidTransition(f"This deduction has already been {found.status}.", field="deduction")
    return contract, found


def deduction_confirm(*, actor: Any, deduction: Deduction | int, note: str = "") -> Deduction:
    """Confirm a pending deduction: the amount comes off the provider's invoice."""
    require_manage(actor)
    with transaction.atomic():
        contract, found = _lock_deduction(deduction)
        found.status = DeductionStatus.CONFIRMED.value
        found.decided_by = actor
        found.decided_at = timezone.now()
        found.save(update_fields=["status", "decided_by", "decided_at"])
        write_event(
            actor=actor,
            action=PlacementEventAction.DEDUCTION_CONFIRMED,
            contract=contract,
            payload={
                "contract_id": contract.pk,
                "return_id": found.attendance_return_id,
                "deduction_id": found.pk,
                "amount_pence": found.amount_pence,
            },
            note=note.strip(),
        )
    return found


def deduction_waive(*, actor: Any, deduction: Deduction | int, reason: str) -> Deduction:
    """Waive a pending deduction, with the reason (for example, absence agreed in advance)."""
    require_manage(actor)
    with transaction.atomic():
        contract, found = _lock_deduction(deduction)
        if not reason.strip():
            raise ValidationFailed("Enter the reason for waiving the deduction", field="reason")
        found.status = DeductionStatus.WAIVED.value
        found.waived_reason = reason.strip()
        found.decided_by = actor
        found.decided_at = timezone.now()
        found.save(update_fields=["status", "waived_reason", "decided_by", "decided_at"])
        write_event(
            actor=actor,
            action=PlacementEventAction.DEDUCTION_WAIVED,
            contract=contract,
            payload={
                "contract_id": contract.pk,
                "return_id": found.attendance_return_id,
                "deduction_id": found.pk,
                "amount_pence": found.amount_pence,
            },
            note=reason.strip(),
        )
    return found
