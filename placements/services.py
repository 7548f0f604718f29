"""Every change to independent placements.

Keyword-only functions named ``<thing>_<verb>``, as in ``requests_app.services``. Each one:

1. checks the actor holds ``PLACEMENT_MANAGE`` (``NotPermitted``, 403) before it reads
   anything else;
2. opens one ``transaction.atomic()`` and re-reads the contract with ``select_for_update()``:
   the contract row is the lock every cost line, round, clause, return and deduction change
   takes, so two officers cannot both agree fees, or agree a line while another pushes the
   total over the panel's ceiling;
3. checks the transition table in ``placements.workflow`` (``InvalidTransition``, 409) and
   validates its input (``ValidationFailed``, 400, UK-English messages keyed by field);
4. changes the rows, recomputes the stored totals, and writes one ``PlacementEvent``. (A
   corrected return that resets an already decided deduction to pending writes a second event,
   ``deduction_reset``, so the trail shows the decision being undone.)

The panel's ceiling: whenever a contract is negotiating or active, the agreed annual cost (the
sum of the agreed, annualised cost lines) may not exceed the agreed annual ceiling of the
panel decision it follows. Going over needs a new panel decision.

Views, API actions, admin actions, commands and tasks all call these functions.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import Conflict, DomainError, InvalidTransition, NotPermitted, ValidationFailed
from core.models import Establishment, EstablishmentType
from core.roles import Capability, user_can
from panels.models import PanelDecision
from panels.workflow import APPROVALS
from placements import workflow
from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEvent,
    PlacementEventAction,
    Provider,
)
from requests_app.models import Child

W = workflow
S = workflow.ContractStatus
A = workflow.Action
DS = workflow.DeductionStatus
EA = PlacementEventAction

REFERENCE_PREFIX = "IPA-"
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
MAX_PERIOD_DAYS: dict[workflow.PeriodKind, int] = {W.PeriodKind.TERM: 140, W.PeriodKind.MONTH: 31}
# The largest annual total the contract's columns hold (PositiveIntegerField on PostgreSQL).
MAX_ANNUAL_PENCE = 2_147_483_647
# Statuses in which the agreed total is bound by the panel's ceiling.
CEILING_STATUSES = frozenset({S.NEGOTIATING, S.ACTIVE})

__all__ = [
    "CSV_COLUMNS",
    "UNSET",
    "ImportResult",
    "RowError",
    "attendance_return_submit",
    "attendance_returns_import_csv",
    "contract_agree",
    "contract_create",
    "contract_end",
    "contract_reopen_negotiation",
    "contract_start_negotiation",
    "cost_line_add",
    "cost_line_update",
    "deduction_confirm",
    "deduction_waive",
    "negotiation_round_record",
    "penalty_clause_set",
    "provider_upsert",
]

Errors = dict[str, list[str]]


class _Unset(enum.Enum):
    UNSET = 0


# "Leave this as it is" for cost_line_update, where None means "clear the agreed amount".
UNSET = _Unset.UNSET


# --- Guards and helpers --------------------------------------------------------------------------


def _require(actor: Any) -> None:
    if not user_can(actor, Capability.PLACEMENT_MANAGE):
        raise NotPermitted("You do not have permission to do this.")


def _fail(errors: Mapping[str, list[str]]) -> None:
    """Raise one ValidationFailed carrying every field's messages (the first is the summary)."""
    if errors:
        name, messages = next(iter(errors.items()))
        raise ValidationFailed(messages[0], field=name, errors=dict(errors))


def _add(errors: Errors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _pk(value: Any) -> int:
    return int(value.pk if hasattr(value, "pk") else value)


def _lock(contract: PlacementContract | int) -> PlacementContract:
    """Re-read the contract inside the transaction and hold its row until commit."""
    return PlacementContract.objects.select_for_update().get(pk=_pk(contract))


def _check(contract: PlacementContract, action: workflow.Action) -> workflow.Transition:
    try:
        return W.check_transition(contract.status, action)
    except W.TransitionError as exc:
        raise InvalidTransition(exc.message) from exc


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _amount(errors: Errors, name: str, value: Any, *, required: bool = False) -> int | None:
    """A whole number of pence, not negative."""
    if value is None or value == "":
        if required:
            _add(errors, name, "Enter an amount")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _add(errors, name, "Enter the amount in whole pence")
        return None
    if value < 0:
        _add(errors, name, "The amount cannot be negative")
        return None
    return int(value)


def _choice(errors: Errors, name: str, value: Any, enum_cls: type[enum.StrEnum], message: str) -> str:
    if value not in {member.value for member in enum_cls}:
        _add(errors, name, message)
        return ""
    return str(value)


def _percent(errors: Errors, name: str, value: Any, *, what: str) -> Decimal | None:
    """A percentage greater than 0 and at most 100, to at most 2 decimal places."""
    if value is None or value == "":
        _add(errors, name, f"Enter the {what}")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        _add(errors, name, f"Enter the {what} as a number, like 90 or 92.5")
        return None
    if not number.is_finite() or number <= 0 or number > 100:
        _add(errors, name, f"The {what} must be more than 0% and no more than 100%")
        return None
    if number != number.quantize(Decimal("0.01")):
        _add(errors, name, f"Enter the {what} to no more than 2 decimal places")
        return None
    return number.quantize(Decimal("0.01"))


def _event(
    *,
    actor: Any,
    action: PlacementEventAction,
    contract: PlacementContract | None = None,
    provider: Provider | None = None,
    from_status: str = "",
    to_status: str = "",
    payload: dict[str, Any] | None = None,
    note: str = "",
) -> PlacementEvent:
    """Write the event for a change. Payload: ids, codes, dates and amounts; never names."""
    return PlacementEvent.objects.create(
        contract=contract,
        provider=provider,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action.value,
        from_status=from_status,
        to_status=to_status,
        occurred_at=timezone.now(),
        payload=payload or {},
        note=note,
    )


def _ceiling(contract: PlacementContract) -> int:
    # An approval always carries a ceiling (panel_decision_ceiling_iff_approved).
    ceiling = PanelDecision.objects.values_list("agreed_annual_ceiling_pence", flat=True).get(
        pk=contract.panel_decision_id
    )
    return int(ceiling or 0)


def _refresh_totals(contract: PlacementContract) -> None:
    """Recompute the stored quoted and agreed annual totals from the cost lines, and hold the
    agreed total to the panel's ceiling while the contract is negotiating or active."""
    quoted, agreed = W.totals(line.facts() for line in CostLine.objects.filter(contract=contract))
    if max(quoted, agreed) > MAX_ANNUAL_PENCE:
        # The stored totals are 32-bit integers on PostgreSQL: refuse, do not crash.
        raise ValidationFailed(
            "The annual cost is too large; check the amounts and periods", field="quoted_amount_pence"
        )
    contract.quoted_annual_cost_pence = quoted
    contract.agreed_annual_cost_pence = agreed
    contract.save(update_fields=["quoted_annual_cost_pence", "agreed_annual_cost_pence", "updated_at"])
    if S(contract.status) in CEILING_STATUSES:
        ceiling = _ceiling(contract)
        if agreed > ceiling:
            # Raised inside the caller's transaction: the line change is rolled back.
            raise ValidationFailed(W.ceiling_message(agreed, ceiling), field="agreed")


def _contract_payload(contract: PlacementContract, **extra: Any) -> dict[str, Any]:
    return {
        "contract_id": contract.pk,
        "quoted_annual_cost_pence": contract.quoted_annual_cost_pence,
        "agreed_annual_cost_pence": contract.agreed_annual_cost_pence,
        **extra,
    }


# --- Providers -----------------------------------------------------------------------------------


def provider_upsert(
    *,
    actor: Any,
    establishment: Establishment | int,
    procurement_route: str,
    framework_lot: str = "",
    fee_bands: str = "",
    fee_min_annual_pence: int | None = None,
    fee_max_annual_pence: int | None = None,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    notes: str = "",
) -> Provider:
    """Add the commissioning record for an independent or non-maintained special school (or a
    specialist post-16 institution), or replace an existing one's details."""
    _require(actor)
    with transaction.atomic():
        errors: Errors = {}
        found = Establishment.objects.filter(pk=_pk(establishment)).first()
        if found is None:
            _add(errors, "establishment", "Select the school or college")
        elif found.type_group not in EstablishmentType.independent_or_non_maintained():
            _add(
                errors,
                "establishment",
                "Only an independent special school, non-maintained special school or specialist post-16 "
                "institution can be a provider",
            )
        _choice(errors, "procurement_route", procurement_route, W.ProcurementRoute, "Select the procurement route")
        low = _amount(errors, "fee_min_annual_pence", fee_min_annual_pence)
        high = _amount(errors, "fee_max_annual_pence", fee_max_annual_pence)
        if low is not None and high is not None and high < low:
            _add(errors, "fee_max_annual_pence", "The highest fee cannot be less than the lowest fee")
        if contact_email.strip():
            try:
                validate_email(contact_email.strip())
            except ValidationError:
                _add(errors, "contact_email", "Enter an email address in the correct format, like name@example.com")
        _fail(errors)
        assert found is not None
        values = {
            "procurement_route": procurement_route,
            "framework_lot": framework_lot.strip(),
            "fee_bands": fee_bands.strip(),
            "fee_min_annual_pence": low,
            "fee_max_annual_pence": high,
            "contact_name": contact_name.strip(),
            "contact_email": contact_email.strip(),
            "contact_phone": contact_phone.strip(),
            "notes": notes.strip(),
        }
        provider = Provider.objects.select_for_update().filter(establishment=found).first()
        created = provider is None
        if provider is None:
            provider = Provider.objects.create(establishment=found, **values)
        else:
            for name, value in values.items():
                setattr(provider, name, value)
            provider.save()
        _event(
            actor=actor,
            action=EA.PROVIDER_CREATED if created else EA.PROVIDER_UPDATED,
            provider=provider,
            payload={"provider_id": provider.pk, "establishment_id": found.pk, "procurement_route": procurement_route},
        )
    return provider


# --- Contracts -----------------------------------------------------------------------------------


def contract_create(
    *,
    actor: Any,
    panel_decision: PanelDecision | int,
    provider: Provider | int,
    start_on: date,
    end_on: date | None,
    annual_review_on: date,
    child: Child | int | None = None,
    note: str = "",
) -> PlacementContract:
    """Draft an Individual Placement Agreement following a panel approval. The child is the
    referral's child (``child``, if given, must be the same); the provider must be the school
    the panel approved."""
    _require(actor)
    with transaction.atomic():
        errors: Errors = {}
        # Locking the decision serialises two officers drafting from the same approval.
        decision = (
            PanelDecision.objects.select_for_update()
            .select_related("item__referral__request")
            .filter(pk=_pk(panel_decision))
            .first()
        )
        found_provider = Provider.objects.filter(pk=_pk(provider)).first()
        if decision is None:
            _add(errors, "panel_decision", "Select the panel decision that approved the placement")
        if found_provider is None:
            _add(errors, "provider", "Select the provider")
        _fail(errors)
        assert decision is not None and found_provider is not None
        referral = decision.item.referral
        child_id = referral.request.child_id
        if decision.outcome not in {o.value for o in APPROVALS}:
            _add(
                errors,
                "panel_decision",
                "The panel decision must be an approval (approved, or approved with conditions)",
            )
        if child is not None and _pk(child) != child_id:
            _add(errors, "panel_decision", "The panel decision is for a different child")
        if referral.proposed_establishment_id != found_provider.establishment_id:
            _add(errors, "provider", "The panel approved a place at a different school from this provider")
        if end_on is not None and end_on < start_on:
            _add(errors, "end_on", "The end date must be on or after the start date")
        if annual_review_on < start_on:
            _add(errors, "annual_review_on", "The annual review of fees must be on or after the start date")
        _fail(errors)
        if (
            PlacementContract.objects.filter(child_id=child_id, provider=found_provider)
            .exclude(status=S.ENDED)
            .exists()
        ):
            raise Conflict(
                "This child already has a placement contract with this provider that has not ended.", field="provider"
            )
        try:
            with transaction.atomic():
                contract = PlacementContract.objects.create(
                    child_id=child_id,
                    provider=found_provider,
                    panel_decision=decision,
                    start_on=start_on,
                    end_on=end_on,
                    annual_review_on=annual_review_on,
                    created_by=actor,
                )
        except IntegrityError as exc:  # a concurrent draft for the same child and provider
            raise Conflict(
                "This child already has a placement contract with this provider that has not ended.", field="provider"
            ) from exc
        contract.reference = f"{REFERENCE_PREFIX}{contract.pk:06d}"
        contract.save(update_fields=["reference"])
        _event(
            actor=actor,
            action=EA.CONTRACT_CREATED,
            contract=contract,
            provider=found_provider,
            to_status=S.DRAFT.value,
            payload=_contract_payload(
                contract, panel_decision_id=decision.pk, provider_id=found_provider.pk, child_id=child_id
            ),
            note=note.strip(),
        )
    return contract


def _move(*, contract: PlacementContract | int, action: workflow.Action) -> tuple[PlacementContract, str]:
    """Lock, check the transition, set the new status (the caller saves)."""
    locked = _lock(contract)
    transition = _check(locked, action)
    before = locked.status
    locked.status = W.ContractStatus(transition.to or before).value
    return locked, before


def _moved_event(
    contract: PlacementContract, before: str, *, actor: Any, action: PlacementEventAction, **kw: Any
) -> None:
    _event(actor=actor, action=action, contract=contract, from_status=before, to_status=contract.status, **kw)


def contract_start_negotiation(*, actor: Any, contract: PlacementContract | int, note: str = "") -> PlacementContract:
    """Open negotiation of the fees with the provider."""
    _require(actor)
    with transaction.atomic():
        locked, before = _move(contract=contract, action=A.START_NEGOTIATION)
        locked.save(update_fields=["status", "updated_at"])
        # Agreed lines from the draft now count against the ceiling.
        _refresh_totals(locked)
        _moved_event(
            locked, before, actor=actor, action=EA.START_NEGOTIATION, payload=_contract_payload(locked), note=note
        )
    return locked


def contract_agree(*, actor: Any, contract: PlacementContract | int, note: str = "") -> PlacementContract:
    """Agree the fees: every cost line agreed and the agreed annual total within the panel's
    ceiling. The placement becomes active."""
    _require(actor)
    with transaction.atomic():
        locked, before = _move(contract=contract, action=A.AGREE)
        lines = [line.facts() for line in CostLine.objects.filter(contract=locked)]
        problems = W.agree_problems(lines, ceiling_pence=_ceiling(locked))
        if problems:
            errors: Errors = {}
            for name, message in problems:
                _add(errors, name, message)
            # The ceiling is the decisive reason; put it first when it applies.
            if "agreed" in errors:
                errors = {"agreed": errors.pop("agreed"), **errors}
            _fail(errors)
        locked.save(update_fields=["status", "updated_at"])
        _refresh_totals(locked)
        _moved_event(
            locked,
            before,
            actor=actor,
            action=EA.AGREE,
            payload=_contract_payload(locked, ceiling_pence=_ceiling(locked)),
            note=note,
        )
    return locked


def contract_end(*, actor: Any, contract: PlacementContract | int, ended_on: date, reason: str) -> PlacementContract:
    """End an active placement on ``ended_on`` (which may be a future date once notice is
    given), with the reason."""
    _require(actor)
    with transaction.atomic():
        locked, before = _move(contract=contract, action=A.END)
        errors: Errors = {}
        if not reason.strip():
            _add(errors, "reason", "Enter the reason the placement ended")
        if ended_on is None:
            _add(errors, "ended_on", "Enter the date the placement ended")
        elif ended_on < locked.start_on:
            _add(errors, "ended_on", f"The end date must be on or after the start date, {_long(locked.start_on)}")
        _fail(errors)
        locked.ended_on = ended_on
        locked.status_reason = reason.strip()
        locked.save(update_fields=["status", "ended_on", "status_reason", "updated_at"])
        _moved_event(
            locked,
            before,
            actor=actor,
            action=EA.END,
            payload=_contract_payload(locked, ended_on=ended_on.isoformat()),
            note=reason.strip(),
        )
    return locked


def contract_reopen_negotiation(*, actor: Any, contract: PlacementContract | int, note: str = "") -> PlacementContract:
    """Reopen the fees for the annual review. The placement carries on at the agreed fees while
    the negotiation runs; the agreed total stays bound by the panel's ceiling."""
    _require(actor)
    with transaction.atomic():
        locked, before = _move(contract=contract, action=A.REOPEN_NEGOTIATION)
        locked.save(update_fields=["status", "updated_at"])
        _moved_event(
            locked, before, actor=actor, action=EA.REOPEN_NEGOTIATION, payload=_contract_payload(locked), note=note
        )
    return locked


# --- Cost lines ----------------------------------------------------------------------------------


def _periods(errors: Errors, period: str, periods_per_year: int | None, *, fifty_two_week: bool) -> int:
    if not period:
        return 0
    if periods_per_year is None:
        return W.default_periods_per_year(period, fifty_two_week=fifty_two_week)
    problem = W.periods_problem(period, periods_per_year)
    if problem:
        _add(errors, "periods_per_year", problem)
    return periods_per_year


def cost_line_add(
    *,
    actor: Any,
    contract: PlacementContract | int,
    category: str,
    quoted_amount_pence: int,
    period: str,
    periods_per_year: int | None = None,
    agreed_amount_pence: int | None = None,
    description: str = "",
    fifty_two_week: bool = False,
) -> CostLine:
    """Add a cost line, quoted (and, if already settled, agreed) per ``period``.
    ``periods_per_year`` defaults to 1 a year, 3 terms, 39 weeks (52 with ``fifty_two_week``)
    or 190 days; the number used is stored."""
    _require(actor)
    with transaction.atomic():
        locked = _lock(contract)
        _check(locked, A.CHANGE_COST_LINES)
        errors: Errors = {}
        _choice(errors, "category", category, W.CostCategory, "Select the kind of cost")
        quoted = _amount(errors, "quoted_amount_pence", quoted_amount_pence, required=True)
        agreed = _amount(errors, "agreed_amount_pence", agreed_amount_pence)
        period = _choice(errors, "period", period, W.Period, "Select what the amount is charged per")
        periods = _periods(errors, period, periods_per_year, fifty_two_week=fifty_two_week)
        if locked.status == S.ACTIVE and agreed is None and "agreed_amount_pence" not in errors:
            _add(errors, "agreed_amount_pence", "A line added to an active placement must have an agreed amount")
        _fail(errors)
        assert quoted is not None
        line = CostLine.objects.create(
            contract=locked,
            category=category,
            description=description.strip(),
            quoted_amount_pence=quoted,
            agreed_amount_pence=agreed,
            period=period,
            periods_per_year=periods,
        )
        _refresh_totals(locked)
        _event(
            actor=actor,
            action=EA.COST_LINE_ADDED,
            contract=locked,
            payload=_contract_payload(locked, **_line_payload(line)),
        )
    return line


def _line_payload(line: CostLine) -> dict[str, Any]:
    return {
        "cost_line_id": line.pk,
        "category": line.category,
        "quoted_amount_pence": line.quoted_amount_pence,
        "agreed_amount_pence": line.agreed_amount_pence,
        "period": line.period,
        "periods_per_year": line.periods_per_year,
    }


def cost_line_update(
    *,
    actor: Any,
    line: CostLine | int,
    quoted_amount_pence: int | Literal[_Unset.UNSET] = UNSET,
    agreed_amount_pence: int | None | Literal[_Unset.UNSET] = UNSET,
    category: str | Literal[_Unset.UNSET] = UNSET,
    description: str | Literal[_Unset.UNSET] = UNSET,
    period: str | Literal[_Unset.UNSET] = UNSET,
    periods_per_year: int | None | Literal[_Unset.UNSET] = UNSET,
    fifty_two_week: bool = False,
) -> CostLine:
    """Change a cost line: a new quote, the agreed amount (``None`` clears it, while
    negotiating), or its description or period. Arguments left out keep their value; changing
    ``period`` without ``periods_per_year`` uses the default for the new period."""
    _require(actor)
    with transaction.atomic():
        contract_id = CostLine.objects.values_list("contract_id", flat=True).filter(pk=_pk(line)).first()
        if contract_id is None:
            raise ValidationFailed("Select a cost line", field="line")
        locked = _lock(contract_id)
        _check(locked, A.CHANGE_COST_LINES)
        found = CostLine.objects.select_for_update().get(pk=_pk(line))
        before = _line_payload(found)
        errors: Errors = {}
        if category is not UNSET:
            found.category = _choice(errors, "category", category, W.CostCategory, "Select the kind of cost")
        if description is not UNSET:
            found.description = description.strip()
        if quoted_amount_pence is not UNSET:
            found.quoted_amount_pence = _amount(errors, "quoted_amount_pence", quoted_amount_pence, required=True) or 0
        if agreed_amount_pence is not UNSET:
            found.agreed_amount_pence = _amount(errors, "agreed_amount_pence", agreed_amount_pence)
        if period is not UNSET:
            found.period = _choice(errors, "period", period, W.Period, "Select what the amount is charged per")
            if periods_per_year is UNSET:
                periods_per_year = None
        if periods_per_year is not UNSET:
            found.periods_per_year = _periods(errors, found.period, periods_per_year, fifty_two_week=fifty_two_week)
        if locked.status == S.ACTIVE and found.agreed_amount_pence is None and "agreed_amount_pence" not in errors:
            _add(
                errors,
                "agreed_amount_pence",
                "A line on an active placement must keep an agreed amount; reopen the negotiation to change it",
            )
        _fail(errors)
        found.save()
        _refresh_totals(locked)
        _event(
            actor=actor,
            action=EA.COST_LINE_UPDATED,
            contract=locked,
            payload=_contract_payload(locked, **_line_payload(found), before=before),
        )
    return found


# --- Negotiation ---------------------------------------------------------------------------------


def negotiation_round_record(
    *,
    actor: Any,
    contract: PlacementContract | int,
    on: date,
    provider_offer_pence: int,
    council_counter_offer_pence: int | None = None,
    notes: str = "",
) -> NegotiationRound:
    """Record one exchange of annual offers. Rounds are numbered 1, 2, 3… and never changed."""
    _require(actor)
    with transaction.atomic():
        locked = _lock(contract)
        _check(locked, A.RECORD_ROUND)
        errors: Errors = {}
        offer = _amount(errors, "provider_offer_pence", provider_offer_pence, required=True)
        counter = _amount(errors, "council_counter_offer_pence", council_counter_offer_pence)
        if on is None:
            _add(errors, "on", "Enter the date of the round")
        elif on > timezone.localdate():
            _add(errors, "on", "The date must be today or in the past")
        _fail(errors)
        assert offer is not None
        # Safe under the contract lock: no other round for this contract can be numbered meanwhile.
        last = NegotiationRound.objects.filter(contract=locked).aggregate(n=Max("round_no"))["n"] or 0
        round_ = NegotiationRound.objects.create(
            contract=locked,
            round_no=last + 1,
            on=on,
            provider_offer_pence=offer,
            council_counter_offer_pence=counter,
            notes=notes.strip(),
            recorded_by=actor,
        )
        _event(
            actor=actor,
            action=EA.ROUND_RECORDED,
            contract=locked,
            payload={
                "contract_id": locked.pk,
                "round_id": round_.pk,
                "round_no": round_.round_no,
                "provider_offer_pence": offer,
                "council_counter_offer_pence": counter,
            },
        )
    return round_


# --- Penalty clause ------------------------------------------------------------------------------


def penalty_clause_set(
    *,
    actor: Any,
    contract: PlacementContract | int,
    threshold_percent: Decimal | int | str,
    rule: str,
    deduction_percent: Decimal | int | str | None = None,
    per_session_pence: int | None = None,
    authorised_counts_as_attended: bool = True,
) -> PenaltyClause:
    """Set (or replace) the contract's attendance clause. Returns already received keep the
    deductions computed under the clause they were submitted under."""
    _require(actor)
    with transaction.atomic():
        locked = _lock(contract)
        _check(locked, A.SET_PENALTY_CLAUSE)
        errors: Errors = {}
        threshold = _percent(errors, "threshold_percent", threshold_percent, what="attendance threshold")
        rule = _choice(errors, "rule", rule, W.PenaltyRule, "Select how the deduction is worked out")
        percent: Decimal | None = None
        per_session: int | None = None
        if rule == W.PenaltyRule.PERCENT_OF_PERIOD_FEE:
            percent = _percent(errors, "deduction_percent", deduction_percent, what="deduction percentage")
            if per_session_pence is not None:
                _add(errors, "per_session_pence", "A percentage deduction has no amount per session")
        elif rule == W.PenaltyRule.PER_SESSION_MISSED:
            per_session = _amount(errors, "per_session_pence", per_session_pence, required=True)
            if deduction_percent not in (None, ""):
                _add(errors, "deduction_percent", "A per-session deduction has no percentage")
        _fail(errors)
        assert threshold is not None
        clause, created = PenaltyClause.objects.update_or_create(
            contract=locked,
            defaults={
                "threshold_percent": threshold,
                "rule": rule,
                "deduction_percent": percent,
                "per_session_pence": per_session,
                "authorised_counts_as_attended": authorised_counts_as_attended,
            },
        )
        _event(
            actor=actor,
            action=EA.PENALTY_CLAUSE_SET,
            contract=locked,
            payload={
                "contract_id": locked.pk,
                "penalty_clause_id": clause.pk,
                "replaced": not created,
                "threshold_percent": str(threshold),
                "rule": rule,
                "deduction_percent": None if percent is None else str(percent),
                "per_session_pence": per_session,
                "authorised_counts_as_attended": authorised_counts_as_attended,
            },
        )
    return clause


# --- Attendance returns and deductions -----------------------------------------------------------


def _return_errors(
    contract: PlacementContract,
    *,
    period_kind: Any,
    period_start: date | None,
    period_end: date | None,
    facts: workflow.ReturnFacts | None,
) -> Errors:
    """Everything wrong with a return for ``contract``, keyed by field (= CSV column) name."""
    errors: Errors = {}
    if S(contract.status) not in W.RETURN_STATUSES:
        _add(errors, "contract_ref", _transition_message(contract, A.SUBMIT_RETURN))
    kind = _choice(errors, "period_kind", period_kind, W.PeriodKind, "Select term or month")
    if period_start is None:
        _add(errors, "period_start", "Enter the first day of the period")
    if period_end is None:
        _add(errors, "period_end", "Enter the last day of the period")
    if period_start is not None and period_end is not None:
        if period_end < period_start:
            _add(errors, "period_end", "The end of the period must be on or after its start")
        elif kind and (period_end - period_start).days + 1 > MAX_PERIOD_DAYS[W.PeriodKind(kind)]:
            most = MAX_PERIOD_DAYS[W.PeriodKind(kind)]
            _add(errors, "period_end", f"A {kind} lasts at most {most} days")
        if period_end < contract.start_on:
            _add(errors, "period_end", f"The period ends before the placement started on {_long(contract.start_on)}")
        finish = contract.ended_on or contract.end_on
        if finish is not None and period_start > finish:
            _add(errors, "period_start", f"The period starts after the placement ended on {_long(finish)}")
    if facts is not None:
        for name, message in W.return_problems(facts):
            _add(errors, name, message)
    return errors


def _transition_message(contract: PlacementContract, action: workflow.Action) -> str:
    try:
        W.check_transition(contract.status, action)
    except W.TransitionError as exc:
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
        fee = W.period_fee(contract.agreed_annual_cost_pence, period_kind)
        result = W.compute_deduction(clause.facts(), attendance.facts(), fee)
        if result.applies:
            values = {
                "amount_pence": result.amount_pence,
                "period_fee_pence": fee,
                "working": list(result.working),
                "status": DS.PENDING.value,
                "waived_reason": "",
                "decided_by": None,
                "decided_at": None,
                "computed_at": timezone.now(),
            }
            if deduction is None:
                deduction = Deduction.objects.create(attendance_return=attendance, **values)
                outcome = "created"
            else:
                reset = deduction.status != DS.PENDING
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
    _event(
        actor=actor,
        action=EA.RETURN_SUBMITTED if existing is None else EA.RETURN_CORRECTED,
        contract=contract,
        payload=payload,
    )
    if reset:
        assert deduction is not None and previous is not None
        _event(
            actor=actor,
            action=EA.DEDUCTION_RESET,
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
    """Record the provider's attendance return for a term or month. A return for a period
    already on file is a correction: the figures are replaced, the version goes up and the
    deduction is recomputed (a decided one goes back to pending; one no longer due is removed).
    Below the clause's threshold a pending deduction is created with its working."""
    _require(actor)
    facts = W.ReturnFacts(
        period_kind=period_kind,
        sessions_possible=possible,
        sessions_attended=attended,
        authorised_absence=authorised,
        unauthorised_absence=unauthorised,
    )
    with transaction.atomic():
        locked = _lock(contract)
        _check(locked, A.SUBMIT_RETURN)
        _fail(
            _return_errors(
                locked, period_kind=period_kind, period_start=period_start, period_end=period_end, facts=facts
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
    text = value.strip()
    return int(text) if text.isdigit() else None


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
    rows: list[_Row] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, date, date], int] = {}
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
                facts = W.ReturnFacts(
                    period_kind=kind,
                    sessions_possible=counts["sessions_possible"] or 0,
                    sessions_attended=counts["sessions_attended"] or 0,
                    authorised_absence=counts["authorised_absence"] or 0,
                    unauthorised_absence=counts["unauthorised_absence"] or 0,
                )
            found = _return_errors(contract, period_kind=kind, period_start=start, period_end=end, facts=facts)
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
            if not row_errors and facts is not None and start is not None and end is not None:
                rows.append(_Row(number, contract, kind, start, end, facts))
        else:
            # No contract to check the period against; the file's own figures can still be.
            if kind not in {k.value for k in W.PeriodKind}:
                row_errors.append(RowError(number, "period_kind", "Select term or month"))
            if start is not None and end is not None and end < start:
                row_errors.append(RowError(number, "period_end", "The end of the period must be on or after its start"))
            if all(v is not None for v in counts.values()):
                only = W.ReturnFacts(kind, *(int(v or 0) for v in counts.values()))
                row_errors.extend(RowError(number, column, message) for column, message in W.return_problems(only))
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
    _require(actor)
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
                if Deduction.objects.filter(attendance_return=attendance, status=DS.PENDING).exists():
                    pending += 1
    except _RowFailed as failed:
        return ImportResult(rows_read=rows_read, errors=[failed.error])
    return ImportResult(rows_read=rows_read, created=created, corrected=corrected, deductions_pending=pending)


def _lock_deduction(deduction: Deduction | int) -> tuple[PlacementContract, Deduction]:
    contract_id = (
        Deduction.objects.filter(pk=_pk(deduction)).values_list("attendance_return__contract_id", flat=True).first()
    )
    if contract_id is None:
        raise ValidationFailed("Select a deduction", field="deduction")
    contract = _lock(contract_id)
    _check(contract, A.DECIDE_DEDUCTION)
    found = Deduction.objects.select_for_update().select_related("attendance_return").get(pk=_pk(deduction))
    if found.status != DS.PENDING:
        raise InvalidTransition(f"This deduction has already been {found.status}.", field="deduction")
    return contract, found


def deduction_confirm(*, actor: Any, deduction: Deduction | int, note: str = "") -> Deduction:
    """Confirm a pending deduction: the amount comes off the provider's invoice."""
    _require(actor)
    with transaction.atomic():
        contract, found = _lock_deduction(deduction)
        found.status = DS.CONFIRMED.value
        found.decided_by = actor
        found.decided_at = timezone.now()
        found.save(update_fields=["status", "decided_by", "decided_at"])
        _event(
            actor=actor,
            action=EA.DEDUCTION_CONFIRMED,
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
    _require(actor)
    with transaction.atomic():
        contract, found = _lock_deduction(deduction)
        if not reason.strip():
            raise ValidationFailed("Enter the reason for waiving the deduction", field="reason")
        found.status = DS.WAIVED.value
        found.waived_reason = reason.strip()
        found.decided_by = actor
        found.decided_at = timezone.now()
        found.save(update_fields=["status", "waived_reason", "decided_by", "decided_at"])
        _event(
            actor=actor,
            action=EA.DEDUCTION_WAIVED,
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
