"""A placement contract (Individual Placement Agreement): drafting, the status moves, cost lines,
negotiation rounds and the attendance penalty clause."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import Conflict, ValidationFailed
from panels.models import PanelDecision
from panels.workflow import APPROVALS
from placements import workflow
from placements.models import (
    CostLine,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEventAction,
    Provider,
)
from placements.services.common import (
    Errors,
    add_error,
    check_action,
    contract_payload,
    fail,
    lock_contract,
    long_date,
    panel_ceiling,
    parse_amount,
    parse_choice,
    parse_percent,
    pk_of,
    refresh_totals,
    require_manage,
    write_event,
)
from placements.services.reviews import first_review_create, notice_period_check
from placements.services.versions import version_sync_variation
from placements.workflow import Action, ContractStatus
from requests_app.models import Child

__all__ = [
    "REFERENCE_PREFIX",
    "UNSET",
    "contract_agree",
    "contract_create",
    "contract_end",
    "contract_start_negotiation",
    "cost_line_add",
    "cost_line_update",
    "negotiation_round_correct",
    "negotiation_round_record",
    "penalty_clause_set",
]

REFERENCE_PREFIX = "IPA-"


class _Unset(enum.Enum):
    UNSET = 0


# "Leave this as it is" for cost_line_update, where None means "clear the agreed amount".
UNSET = _Unset.UNSET

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
    notice_period: int | None = None,
    notice_period_unit: str = workflow.NoticeUnit.DAYS,
    first_review_on: date | None = None,
    expected_attendance_percent: Any = None,
    expected_outcomes: str | None = None,
) -> PlacementContract:
    """Draft an Individual Placement Agreement following a panel approval. The child is the
    referral's child (``child``, if given, must be the same); the provider must be the school
    the panel approved. The approval's conditions become the first placement review
    (``reviews.first_review_create``): due on ``first_review_on`` or 12 weeks after the start,
    with the attendance and outcomes the panel expected unless given here."""
    require_manage(actor)
    with transaction.atomic():
        errors: Errors = {}
        # Locking the decision serialises two officers drafting from the same approval.
        decision = (
            PanelDecision.objects.select_for_update()
            .select_related("item__referral__request")
            .filter(pk=pk_of(panel_decision))
            .first()
        )
        found_provider = Provider.objects.filter(pk=pk_of(provider)).first()
        if decision is None:
            add_error(errors, "panel_decision", "Select the panel decision that approved the placement")
        if found_provider is None:
            add_error(errors, "provider", "Select the provider")
        fail(errors)
        assert decision is not None and found_provider is not None
        referral = decision.item.referral
        child_id = referral.request.child_id
        if decision.outcome not in {o.value for o in APPROVALS}:
            add_error(
                errors,
                "panel_decision",
                "The panel decision must be an approval (approved, or approved with conditions)",
            )
        if child is not None and pk_of(child) != child_id:
            add_error(errors, "panel_decision", "The panel decision is for a different child")
        if referral.proposed_establishment_id != found_provider.establishment_id:
            add_error(errors, "provider", "The panel approved a place at a different school from this provider")
        if end_on is not None and end_on < start_on:
            add_error(errors, "end_on", "The end date must be on or after the start date")
        if annual_review_on < start_on:
            add_error(errors, "annual_review_on", "The annual review of fees must be on or after the start date")
        notice_days = notice_period_check(errors, notice_period, notice_period_unit)
        fail(errors)
        if (
            PlacementContract.objects.filter(child_id=child_id, provider=found_provider)
            .exclude(status=ContractStatus.ENDED)
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
                    notice_period_days=notice_days,
                    created_by=actor,
                )
        except IntegrityError as exc:  # a concurrent draft for the same child and provider
            raise Conflict(
                "This child already has a placement contract with this provider that has not ended.", field="provider"
            ) from exc
        contract.reference = f"{REFERENCE_PREFIX}{contract.pk:06d}"
        contract.save(update_fields=["reference"])
        write_event(
            actor=actor,
            action=PlacementEventAction.CONTRACT_CREATED,
            contract=contract,
            provider=found_provider,
            to_status=ContractStatus.DRAFT.value,
            payload=contract_payload(
                contract, panel_decision_id=decision.pk, provider_id=found_provider.pk, child_id=child_id
            ),
            note=note.strip(),
        )
        first_review_create(
            actor=actor,
            contract=contract,
            conditions=decision.conditions,
            due_on=first_review_on,
            expected_attendance_percent=expected_attendance_percent,
            expected_outcomes=expected_outcomes,
        )
    return contract


def _move(*, contract: PlacementContract | int, action: workflow.Action) -> tuple[PlacementContract, str]:
    """Lock, check the transition, set the new status (the caller saves)."""
    locked = lock_contract(contract)
    transition = check_action(locked, action)
    before = locked.status
    locked.status = workflow.ContractStatus(transition.to or before).value
    return locked, before


def _moved_event(
    contract: PlacementContract, before: str, *, actor: Any, action: PlacementEventAction, **kw: Any
) -> None:
    write_event(actor=actor, action=action, contract=contract, from_status=before, to_status=contract.status, **kw)


def contract_start_negotiation(*, actor: Any, contract: PlacementContract | int, note: str = "") -> PlacementContract:
    """Open negotiation of the fees with the provider."""
    require_manage(actor)
    with transaction.atomic():
        locked, before = _move(contract=contract, action=Action.START_NEGOTIATION)
        locked.save(update_fields=["status", "updated_at"])
        # Agreed lines from the draft now count against the ceiling.
        refresh_totals(locked)
        _moved_event(
            locked,
            before,
            actor=actor,
            action=PlacementEventAction.START_NEGOTIATION,
            payload=contract_payload(locked),
            note=note,
        )
    return locked


def contract_agree(*, actor: Any, contract: PlacementContract | int, note: str = "") -> PlacementContract:
    """Agree the fees: every cost line agreed and the agreed annual total within the panel's
    ceiling. The placement becomes active."""
    require_manage(actor)
    with transaction.atomic():
        locked, before = _move(contract=contract, action=Action.AGREE)
        lines = [line.facts() for line in CostLine.objects.filter(contract=locked)]
        problems = workflow.agree_problems(lines, ceiling_pence=panel_ceiling(locked))
        if problems:
            errors: Errors = {}
            for name, message in problems:
                add_error(errors, name, message)
            # The ceiling is the decisive reason; put it first when it applies.
            if "agreed" in errors:
                errors = {"agreed": errors.pop("agreed"), **errors}
            fail(errors)
        locked.save(update_fields=["status", "updated_at"])
        refresh_totals(locked)
        # The first agreement is version 1; agreeing again after a reopened negotiation, a new
        # version from today (placements.services.versions).
        version_sync_variation(actor=actor, contract=locked)
        _moved_event(
            locked,
            before,
            actor=actor,
            action=PlacementEventAction.AGREE,
            payload=contract_payload(locked, ceiling_pence=panel_ceiling(locked)),
            note=note,
        )
    return locked


def contract_end(
    *,
    actor: Any,
    contract: PlacementContract | int,
    ended_on: date,
    reason: str,
    leaving_reason: str = workflow.LeavingReason.OTHER,
    early_end_reason: str = "",
) -> PlacementContract:
    """End an active placement: the day the child left (``ended_on``, which may be a future date
    once notice is given), why (``leaving_reason`` from the list, and ``reason`` in words). With
    a notice period on the contract, an end sooner than the notice allows (counted from the day
    notice was given, or from today if none was recorded) needs ``early_end_reason``. No
    attendance return is accepted for a period after ``ended_on``."""
    require_manage(actor)
    with transaction.atomic():
        locked, before = _move(contract=contract, action=Action.END)
        errors: Errors = {}
        parse_choice(errors, "leaving_reason", leaving_reason, workflow.LeavingReason, "Select why the placement ended")
        if not reason.strip():
            add_error(errors, "reason", "Enter the reason the placement ended")
        early = False
        if ended_on is None:
            add_error(errors, "ended_on", "Enter the date the placement ended")
        elif ended_on < locked.start_on:
            add_error(
                errors, "ended_on", f"The end date must be on or after the start date, {long_date(locked.start_on)}"
            )
        elif locked.notice_period_days:
            given = locked.notice_given_on or timezone.localdate()
            early = workflow.ends_before_notice(
                ended_on, notice_given_on=given, notice_period_days=locked.notice_period_days
            )
            if early and not (early_end_reason.strip() or locked.early_end_reason):
                allowed = workflow.earliest_end(given, locked.notice_period_days)
                add_error(
                    errors,
                    "early_end_reason",
                    f"The notice period allows the placement to end on {long_date(allowed)} at the earliest; "
                    "enter the reason it ends sooner",
                )
        fail(errors)
        locked.ended_on = ended_on
        locked.status_reason = reason.strip()
        locked.leaving_reason = leaving_reason
        if early and early_end_reason.strip():
            locked.early_end_reason = early_end_reason.strip()
        locked.save(
            update_fields=["status", "ended_on", "status_reason", "leaving_reason", "early_end_reason", "updated_at"]
        )
        _moved_event(
            locked,
            before,
            actor=actor,
            action=PlacementEventAction.END,
            payload=contract_payload(
                locked, ended_on=ended_on.isoformat(), leaving_reason=leaving_reason, early=bool(early)
            ),
            note=reason.strip(),
        )
    return locked


# --- Cost lines ----------------------------------------------------------------------------------


def _periods(errors: Errors, period: str, periods_per_year: int | None, *, fifty_two_week: bool) -> int:
    if not period:
        return 0
    if periods_per_year is None:
        return workflow.default_periods_per_year(period, fifty_two_week=fifty_two_week)
    problem = workflow.periods_problem(period, periods_per_year)
    if problem:
        add_error(errors, "periods_per_year", problem)
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
    require_manage(actor)
    with transaction.atomic():
        locked = lock_contract(contract)
        check_action(locked, Action.CHANGE_COST_LINES)
        errors: Errors = {}
        parse_choice(errors, "category", category, workflow.CostCategory, "Select the kind of cost")
        quoted = parse_amount(errors, "quoted_amount_pence", quoted_amount_pence, required=True)
        agreed = parse_amount(errors, "agreed_amount_pence", agreed_amount_pence)
        period = parse_choice(errors, "period", period, workflow.Period, "Select what the amount is charged per")
        periods = _periods(errors, period, periods_per_year, fifty_two_week=fifty_two_week)
        if locked.status == ContractStatus.ACTIVE and agreed is None and "agreed_amount_pence" not in errors:
            add_error(errors, "agreed_amount_pence", "A line added to an active placement must have an agreed amount")
        above_ask = workflow.asked_price_problem(quoted, agreed)
        if above_ask and "agreed_amount_pence" not in errors:
            add_error(errors, "agreed_amount_pence", above_ask)
        fail(errors)
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
        refresh_totals(locked)
        if locked.status == ContractStatus.ACTIVE:
            version_sync_variation(actor=actor, contract=locked)
        write_event(
            actor=actor,
            action=PlacementEventAction.COST_LINE_ADDED,
            contract=locked,
            payload=contract_payload(locked, **_line_payload(line)),
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
    require_manage(actor)
    with transaction.atomic():
        contract_id = CostLine.objects.values_list("contract_id", flat=True).filter(pk=pk_of(line)).first()
        if contract_id is None:
            raise ValidationFailed("Select a cost line", field="line")
        locked = lock_contract(contract_id)
        check_action(locked, Action.CHANGE_COST_LINES)
        found = CostLine.objects.select_for_update().get(pk=pk_of(line))
        before = _line_payload(found)
        description_before = found.description
        errors: Errors = {}
        if category is not UNSET:
            found.category = parse_choice(
                errors, "category", category, workflow.CostCategory, "Select the kind of cost"
            )
        if description is not UNSET:
            found.description = description.strip()
        if quoted_amount_pence is not UNSET:
            found.quoted_amount_pence = (
                parse_amount(errors, "quoted_amount_pence", quoted_amount_pence, required=True) or 0
            )
        if agreed_amount_pence is not UNSET:
            found.agreed_amount_pence = parse_amount(errors, "agreed_amount_pence", agreed_amount_pence)
        if period is not UNSET:
            found.period = parse_choice(
                errors, "period", period, workflow.Period, "Select what the amount is charged per"
            )
            if periods_per_year is UNSET:
                periods_per_year = None
        if periods_per_year is not UNSET:
            found.periods_per_year = _periods(errors, found.period, periods_per_year, fifty_two_week=fifty_two_week)
        if (
            locked.status == ContractStatus.ACTIVE
            and found.agreed_amount_pence is None
            and "agreed_amount_pence" not in errors
        ):
            add_error(
                errors,
                "agreed_amount_pence",
                "A line on an active placement must keep an agreed amount; change the fee through an annual fee review",
            )
        above_ask = workflow.asked_price_problem(found.quoted_amount_pence, found.agreed_amount_pence)
        if above_ask and not errors.get("agreed_amount_pence") and not errors.get("quoted_amount_pence"):
            add_error(errors, "agreed_amount_pence", above_ask)
        fail(errors)
        found.save()
        refresh_totals(locked)
        if locked.status == ContractStatus.ACTIVE:
            version_sync_variation(actor=actor, contract=locked)
        write_event(
            actor=actor,
            action=PlacementEventAction.COST_LINE_UPDATED,
            contract=locked,
            # Before and after for every field the timeline shows; the description is free text,
            # so only whether it changed.
            payload=contract_payload(
                locked,
                **_line_payload(found),
                before=before,
                description_changed=found.description != description_before,
            ),
        )
    return found


# --- Negotiation ---------------------------------------------------------------------------------


def _round_errors(
    contract: PlacementContract,
    *,
    on: date | None,
    provider_offer_pence: Any,
    council_counter_offer_pence: Any,
) -> tuple[Errors, int | None, int | None]:
    """The round's figures checked (``workflow.round_problems``): errors, offer, counter-offer."""
    errors: Errors = {}
    offer = parse_amount(errors, "provider_offer_pence", provider_offer_pence, required=True)
    counter = parse_amount(errors, "council_counter_offer_pence", council_counter_offer_pence)
    if on is None:
        add_error(errors, "on", "Enter the date of the round")
    if errors:
        return errors, offer, counter
    assert on is not None and offer is not None
    ceiling, decided_on = PanelDecision.objects.values_list(
        "agreed_annual_ceiling_pence", "item__meeting__held_on"
    ).get(pk=contract.panel_decision_id)
    problems = workflow.round_problems(
        on=on,
        today=timezone.localdate(),
        decided_on=decided_on,
        provider_offer_pence=offer,
        council_counter_offer_pence=counter,
        quoted_annual_pence=contract.quoted_annual_cost_pence,
        ceiling_pence=int(ceiling or 0),
    )
    for name, message in problems:
        add_error(errors, name, message)
    return errors, offer, counter


def _round_payload(round_: NegotiationRound) -> dict[str, Any]:
    return {
        "on": round_.on.isoformat(),
        "provider_offer_pence": round_.provider_offer_pence,
        "council_counter_offer_pence": round_.council_counter_offer_pence,
    }


def negotiation_round_record(
    *,
    actor: Any,
    contract: PlacementContract | int,
    on: date,
    provider_offer_pence: int,
    council_counter_offer_pence: int | None = None,
    notes: str = "",
) -> NegotiationRound:
    """Record one exchange of annual offers. Rounds are numbered 1, 2, 3… in the order they are
    entered and listed by date; the rules are ``workflow.round_problems``. A mistake is put
    right with :func:`negotiation_round_correct`."""
    require_manage(actor)
    with transaction.atomic():
        locked = lock_contract(contract)
        check_action(locked, Action.RECORD_ROUND)
        errors, offer, counter = _round_errors(
            locked,
            on=on,
            provider_offer_pence=provider_offer_pence,
            council_counter_offer_pence=council_counter_offer_pence,
        )
        fail(errors)
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
        write_event(
            actor=actor,
            action=PlacementEventAction.ROUND_RECORDED,
            contract=locked,
            payload={
                "contract_id": locked.pk,
                "round_id": round_.pk,
                "round_no": round_.round_no,
                **_round_payload(round_),
            },
        )
    return round_


def negotiation_round_correct(
    *,
    actor: Any,
    negotiation_round: NegotiationRound | int,
    on: date,
    provider_offer_pence: int,
    council_counter_offer_pence: int | None = None,
    notes: str = "",
    reason: str,
) -> NegotiationRound:
    """Correct a round entered wrongly (a date or a figure mistyped), with the reason. The same
    rules as recording one apply; the event keeps the figures before and after, so the record of
    the negotiation shows what was changed, when, by whom and why. Only while negotiating."""
    require_manage(actor)
    with transaction.atomic():
        contract_id = (
            NegotiationRound.objects.filter(pk=pk_of(negotiation_round)).values_list("contract_id", flat=True).first()
        )
        if contract_id is None:
            raise ValidationFailed("Select a negotiation round", field="round")
        locked = lock_contract(contract_id)
        check_action(locked, Action.RECORD_ROUND)
        found = NegotiationRound.objects.select_for_update().get(pk=pk_of(negotiation_round))
        errors, offer, counter = _round_errors(
            locked,
            on=on,
            provider_offer_pence=provider_offer_pence,
            council_counter_offer_pence=council_counter_offer_pence,
        )
        if not reason.strip():
            add_error(errors, "reason", "Enter the reason for the correction")
        fail(errors)
        assert offer is not None
        before = _round_payload(found)
        notes_before = found.notes
        found.on = on
        found.provider_offer_pence = offer
        found.council_counter_offer_pence = counter
        found.notes = notes.strip()
        after = _round_payload(found)
        if after == before and found.notes == notes_before:
            raise ValidationFailed("Nothing has changed; change the date, a figure or the notes", field="on")
        found.version += 1
        found.save()
        write_event(
            actor=actor,
            action=PlacementEventAction.ROUND_CORRECTED,
            contract=locked,
            payload={
                "contract_id": locked.pk,
                "round_id": found.pk,
                "round_no": found.round_no,
                "version": found.version,
                "before": before,
                **after,
            },
            note=reason.strip(),
        )
    return found


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
    require_manage(actor)
    with transaction.atomic():
        locked = lock_contract(contract)
        check_action(locked, Action.SET_PENALTY_CLAUSE)
        errors: Errors = {}
        threshold = parse_percent(errors, "threshold_percent", threshold_percent, what="attendance threshold")
        rule = parse_choice(errors, "rule", rule, workflow.PenaltyRule, "Select how the deduction is worked out")
        percent: Decimal | None = None
        per_session: int | None = None
        if rule == workflow.PenaltyRule.PERCENT_OF_PERIOD_FEE:
            percent = parse_percent(errors, "deduction_percent", deduction_percent, what="deduction percentage")
            if per_session_pence is not None:
                add_error(errors, "per_session_pence", "A percentage deduction has no amount per session")
        elif rule == workflow.PenaltyRule.PER_SESSION_MISSED:
            per_session = parse_amount(errors, "per_session_pence", per_session_pence, required=True)
            if deduction_percent not in (None, ""):
                add_error(errors, "deduction_percent", "A per-session deduction has no percentage")
        fail(errors)
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
        write_event(
            actor=actor,
            action=PlacementEventAction.PENALTY_CLAUSE_SET,
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
