"""Annual fee reviews (docs/domain.md §2.6): the provider's request for an uplift, the line-by-line
negotiation, and its outcome. Agreed within the panel's ceiling, the new fee takes effect from the
agreed date as the contract's next version; above the ceiling, the review goes back to the panel
as a new referral (``panels.services.referral_create_fee_review``) and the old fee stays in force
until the panel approves (:func:`fee_review_panel_decided`, called in the decision's transaction
through ``settings.PANEL_DECISION_HOOKS``).

Every function locks the contract first (the lock every change to its fees takes), then the
review; checks ``workflow.FEE_REVIEW_TRANSITIONS``; writes one ``PlacementEvent``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, ValidationFailed
from panels import services as panel_services
from panels.models import PanelDecision, Referral
from placements import workflow
from placements.models import (
    ContractVersion,
    CostLine,
    FeeReview,
    FeeReviewLine,
    PlacementContract,
    PlacementEventAction,
)
from placements.services.common import (
    Errors,
    add_error,
    fail,
    lock_contract,
    panel_ceiling,
    parse_amount,
    pk_of,
    refresh_totals,
    require_manage,
    write_event,
)
from placements.services.versions import version_add
from placements.workflow import ContractStatus, FeeReviewAction, FeeReviewStatus

__all__ = [
    "fee_review_agree",
    "fee_review_panel_decided",
    "fee_review_record_line",
    "fee_review_refuse",
    "fee_review_start",
    "fee_review_withdraw",
]


def _review_payload(review: FeeReview, **extra: Any) -> dict[str, Any]:
    return {
        "contract_id": review.contract_id,
        "fee_review_id": review.pk,
        "requested_annual_cost_pence": review.requested_annual_cost_pence,
        "current_annual_cost_pence": review.current_annual_cost_pence,
        "agreed_annual_cost_pence": review.agreed_annual_cost_pence,
        "effective_from": review.effective_from.isoformat(),
        **extra,
    }


def _lock_review(review: FeeReview | int) -> tuple[PlacementContract, FeeReview]:
    contract_id = FeeReview.objects.filter(pk=pk_of(review)).values_list("contract_id", flat=True).first()
    if contract_id is None:
        raise ValidationFailed("Select a fee review", field="review")
    contract = lock_contract(contract_id)
    return contract, FeeReview.objects.select_for_update().get(pk=pk_of(review))


def _move(review: FeeReview, action: FeeReviewAction) -> str:
    """Check the transition and set the status (the caller saves); the status before."""
    try:
        transition = workflow.check_fee_review_transition(review.status, action)
    except workflow.TransitionError as exc:
        raise InvalidTransition(exc.message, field="status") from exc
    before = review.status
    review.status = FeeReviewStatus(transition.status_after(FeeReviewStatus(before))).value
    return before


def _latest_version(contract: PlacementContract) -> ContractVersion | None:
    return ContractVersion.objects.filter(contract=contract).order_by("-version_no").first()


def _date_errors(errors: Errors, contract: PlacementContract, effective_from: date | None) -> None:
    if effective_from is None:
        add_error(errors, "effective_from", "Enter the date the new fee is to take effect")
        return
    latest = _latest_version(contract)
    finish = contract.ended_on if contract.status == ContractStatus.ENDED else contract.end_on
    for name, message in workflow.version_date_problems(
        effective_from,
        latest_effective_from=latest.effective_from if latest else None,
        placement_start=contract.start_on,
        placement_finish=finish,
    ):
        add_error(errors, name, message)


def _next_review_on(effective_from: date) -> date:
    """A year after the new fee takes effect (29 February moves to 28 February)."""
    try:
        return effective_from.replace(year=effective_from.year + 1)
    except ValueError:
        return effective_from.replace(year=effective_from.year + 1, day=28)


# --- Starting and negotiating ------------------------------------------------------------------------


def fee_review_start(
    *,
    actor: Any,
    contract: PlacementContract | int,
    received_on: date | None,
    effective_from: date | None,
    requested_annual_cost_pence: int | None,
    reasons: str,
) -> FeeReview:
    """Record the provider's request for an uplift on an active placement: the annual figure
    asked for, the reasons, the day it arrived and the day it would take effect. The review's
    lines start as the contract's agreed lines (current = requested, none agreed yet)."""
    require_manage(actor)
    with transaction.atomic():
        locked = lock_contract(contract)
        if locked.status != ContractStatus.ACTIVE:
            raise InvalidTransition(
                f"A contract that is {ContractStatus(locked.status).label.lower()} cannot have an annual fee review; "
                "only an active placement can",
                field="contract",
            )
        errors: Errors = {}
        requested = parse_amount(errors, "requested_annual_cost_pence", requested_annual_cost_pence, required=True)
        if requested is not None and requested <= 0:
            add_error(errors, "requested_annual_cost_pence", "The annual cost asked for must be more than £0.00")
        if received_on is None:
            add_error(errors, "received_on", "Enter the date the request was received")
        elif received_on > timezone.localdate():
            add_error(errors, "received_on", "The date received must be today or in the past")
        elif received_on < locked.start_on:
            add_error(errors, "received_on", "The request cannot have arrived before the placement started")
        if not reasons.strip():
            add_error(errors, "reasons", "Enter the provider's reasons for the uplift")
        _date_errors(errors, locked, effective_from)
        lines = list(CostLine.objects.filter(contract=locked).order_by("pk"))
        if not lines:
            add_error(errors, "contract", "The contract has no cost lines to review")
        fail(errors)
        assert requested is not None and received_on is not None and effective_from is not None
        if FeeReview.objects.open().filter(contract=locked).exists():
            raise Conflict("This contract already has an open fee review; settle it first.", field="contract")
        try:
            with transaction.atomic():
                review = FeeReview.objects.create(
                    contract=locked,
                    received_on=received_on,
                    effective_from=effective_from,
                    requested_annual_cost_pence=requested,
                    current_annual_cost_pence=locked.agreed_annual_cost_pence,
                    reasons=reasons.strip(),
                    created_by=actor,
                )
        except IntegrityError as exc:
            raise Conflict("This contract already has an open fee review; settle it first.", field="contract") from exc
        FeeReviewLine.objects.bulk_create(
            FeeReviewLine(
                review=review,
                cost_line=line,
                category=line.category,
                description=line.description,
                period=line.period,
                periods_per_year=line.periods_per_year,
                current_amount_pence=line.agreed_amount_pence or 0,
                requested_amount_pence=line.agreed_amount_pence or 0,
            )
            for line in lines
        )
        write_event(
            actor=actor,
            action=PlacementEventAction.FEE_REVIEW_STARTED,
            contract=locked,
            payload=_review_payload(review, received_on=received_on.isoformat()),
        )
    return review


def fee_review_record_line(
    *,
    actor: Any,
    line: FeeReviewLine | int,
    requested_amount_pence: int | None,
    agreed_amount_pence: int | None,
    notes: str = "",
) -> FeeReviewLine:
    """Record one line of the negotiation: what the provider asks for the line and, once settled,
    what the council agrees (per the line's period; empty while still open)."""
    require_manage(actor)
    with transaction.atomic():
        review_id = FeeReviewLine.objects.filter(pk=pk_of(line)).values_list("review_id", flat=True).first()
        if review_id is None:
            raise ValidationFailed("Select a line of the fee review", field="line")
        contract, review = _lock_review(review_id)
        before = _move(review, FeeReviewAction.RECORD_LINE)
        found = FeeReviewLine.objects.select_for_update().get(pk=pk_of(line))
        errors: Errors = {}
        requested = parse_amount(errors, "requested_amount_pence", requested_amount_pence, required=True)
        agreed = parse_amount(errors, "agreed_amount_pence", agreed_amount_pence)
        if requested is not None and agreed is not None and agreed > requested:
            add_error(
                errors,
                "agreed_amount_pence",
                f"The agreed amount {workflow.format_pounds(agreed)} is more than the provider asked for, "
                f"{workflow.format_pounds(requested)}",
            )
        fail(errors)
        assert requested is not None
        previous = {"requested": found.requested_amount_pence, "agreed": found.agreed_amount_pence}
        found.requested_amount_pence = requested
        found.agreed_amount_pence = agreed
        found.notes = notes.strip()
        found.save()
        review.save(update_fields=["status", "updated_at"])
        write_event(
            actor=actor,
            action=PlacementEventAction.FEE_REVIEW_LINE,
            contract=contract,
            payload=_review_payload(
                review,
                line_id=found.pk,
                category=found.category,
                requested_amount_pence=requested,
                agreed_amount_pence=agreed,
                before=previous,
                status_before=before,
            ),
        )
    return found


# --- Outcomes ----------------------------------------------------------------------------------------


def _put_in_force(*, actor: Any, contract: PlacementContract, review: FeeReview) -> ContractVersion:
    """The agreed lines become the contract's, and the next version takes effect from the review's
    date (the caller holds both locks and has set the status)."""
    for row in review.lines.select_related("cost_line"):
        line = row.cost_line
        line.quoted_amount_pence = row.requested_amount_pence
        line.agreed_amount_pence = row.agreed_amount_pence
        line.save(update_fields=["quoted_amount_pence", "agreed_amount_pence", "updated_at"])
    refresh_totals(contract)
    contract.annual_review_on = max(contract.annual_review_on, _next_review_on(review.effective_from))
    contract.save(update_fields=["annual_review_on", "updated_at"])
    return version_add(
        actor=actor,
        contract=contract,
        effective_from=review.effective_from,
        annual_cost_pence=review.agreed_annual_cost_pence or 0,
        requested_annual_cost_pence=review.requested_annual_cost_pence,
        fee_review=review,
    )


def fee_review_agree(
    *,
    actor: Any,
    review: FeeReview | int,
    outcome_on: date | None = None,
    effective_from: date | None = None,
    note: str = "",
) -> FeeReview:
    """The council and the provider agree the new fee (every line agreed). Within the panel's
    ceiling it takes effect from ``effective_from`` (the date asked for unless another was agreed)
    as the contract's next version. Above the ceiling the review goes back to the panel as a new
    referral and waits; the old fee stays in force."""
    require_manage(actor)
    with transaction.atomic():
        contract, found = _lock_review(review)
        lines = list(found.lines.order_by("pk"))
        facts = [line.facts() for line in lines]
        _current, requested_total, agreed_total = workflow.review_totals(facts)
        ceiling = panel_ceiling(contract)
        action = workflow.fee_review_agree_action(agreed_total, ceiling)
        before = _move(found, action)
        errors: Errors = {}
        for name, message in workflow.fee_review_agree_problems(facts):
            add_error(errors, name, message)
        outcome_on = outcome_on or timezone.localdate()
        if outcome_on > timezone.localdate():
            add_error(errors, "outcome_on", "The date agreed must be today or in the past")
        elif outcome_on < found.received_on:
            add_error(errors, "outcome_on", "The date agreed cannot be before the request was received")
        found.effective_from = effective_from or found.effective_from
        _date_errors(errors, contract, found.effective_from)
        fail(errors)
        found.agreed_annual_cost_pence = agreed_total
        found.ceiling_pence = ceiling
        found.outcome_on = outcome_on
        if action is FeeReviewAction.AGREE:
            found.save()
            version = _put_in_force(actor=actor, contract=contract, review=found)
            write_event(
                actor=actor,
                action=PlacementEventAction.FEE_REVIEW_AGREED,
                contract=contract,
                payload=_review_payload(found, version_id=version.pk, ceiling_pence=ceiling, status_before=before),
                note=note.strip(),
            )
            return found
        referral = panel_services.referral_create_fee_review(
            actor=actor,
            original=PanelDecision.objects.values_list("item__referral_id", flat=True).get(
                pk=contract.panel_decision_id
            ),
            contract_reference=contract.reference,
            current_annual_pence=found.current_annual_cost_pence,
            proposed_annual_pence=agreed_total,
            cost_lines=[
                {
                    "category": workflow.panel_cost_category(line.category),
                    "annual_amount_pence": line.agreed_annual_pence or 0,
                    "description": line.description,
                }
                for line in lines
            ],
            notes=(
                f"Annual fee review of {contract.reference}: the provider asked for "
                f"{workflow.format_pounds(requested_total)} a year; the council agreed "
                f"{workflow.format_pounds(agreed_total)}, above the panel's ceiling of "
                f"{workflow.format_pounds(ceiling)}. The fee in force stays "
                f"{workflow.format_pounds(found.current_annual_cost_pence)} until the panel decides."
            ),
        )
        found.referral = referral
        found.save()
        write_event(
            actor=actor,
            action=PlacementEventAction.FEE_REVIEW_REFERRED,
            contract=contract,
            payload=_review_payload(found, referral_id=referral.pk, ceiling_pence=ceiling, status_before=before),
            note=note.strip(),
        )
    return found


def _close(
    *,
    actor: Any,
    review: FeeReview | int,
    action: FeeReviewAction,
    event: PlacementEventAction,
    outcome_on: date | None,
    reason: str,
) -> FeeReview:
    require_manage(actor)
    with transaction.atomic():
        contract, found = _lock_review(review)
        before = _move(found, action)
        errors: Errors = {}
        if not reason.strip():
            add_error(errors, "reason", "Enter the reason")
        outcome_on = outcome_on or timezone.localdate()
        if outcome_on > timezone.localdate():
            add_error(errors, "outcome_on", "The date must be today or in the past")
        fail(errors)
        found.outcome_on = outcome_on
        found.outcome_reason = reason.strip()
        found.save()
        write_event(
            actor=actor,
            action=event,
            contract=contract,
            payload=_review_payload(found, status_before=before),
            note=reason.strip(),
        )
    return found


def fee_review_refuse(*, actor: Any, review: FeeReview | int, reason: str, outcome_on: date | None = None) -> FeeReview:
    """The council refuses the uplift; the fee in force does not change."""
    return _close(
        actor=actor,
        review=review,
        action=FeeReviewAction.REFUSE,
        event=PlacementEventAction.FEE_REVIEW_REFUSED,
        outcome_on=outcome_on,
        reason=reason,
    )


def fee_review_withdraw(
    *, actor: Any, review: FeeReview | int, reason: str, outcome_on: date | None = None
) -> FeeReview:
    """The provider withdraws its request; the fee in force does not change."""
    return _close(
        actor=actor,
        review=review,
        action=FeeReviewAction.WITHDRAW,
        event=PlacementEventAction.FEE_REVIEW_WITHDRAWN,
        outcome_on=outcome_on,
        reason=reason,
    )


# --- The panel's decision ------------------------------------------------------------------------------


def fee_review_panel_decided(*, actor: Any, decision: PanelDecision, referral: Referral) -> FeeReview | None:
    """The panel decided the referral of a fee review (``panels.services.decision_record`` calls
    this inside its transaction, as the chair). An approval whose ceiling covers the agreed fee
    puts it in force from the review's date, and the contract now runs under that approval; an
    approval below it sends the review back to negotiation (within the new ceiling, if the fee in
    force fits it); a decline refuses the review and the old fee stays; a deferral or a request for
    more information leaves it waiting. Nothing happens for any other referral."""
    review_id = FeeReview.objects.filter(referral=referral).values_list("pk", flat=True).first()
    if review_id is None:
        return None
    contract, found = _lock_review(review_id)
    if found.status != FeeReviewStatus.AWAITING_PANEL:
        return found
    action = workflow.fee_review_panel_action(
        decision.outcome,
        ceiling_pence=decision.agreed_annual_ceiling_pence,
        agreed_annual_pence=found.agreed_annual_cost_pence or 0,
    )
    if action is None:
        return found
    before = _move(found, action)
    payload_extra: dict[str, Any] = {"decision_id": decision.pk, "status_before": before}
    if action is FeeReviewAction.PANEL_APPROVE:
        contract.panel_decision = decision
        contract.save(update_fields=["panel_decision", "updated_at"])
        found.ceiling_pence = decision.agreed_annual_ceiling_pence
        found.outcome_on = timezone.localdate()
        found.save()
        version = _put_in_force(actor=actor, contract=contract, review=found)
        event = PlacementEventAction.FEE_REVIEW_AGREED
        payload_extra["version_id"] = version.pk
    elif action is FeeReviewAction.PANEL_DECLINE:
        found.outcome_on = timezone.localdate()
        found.outcome_reason = "The panel declined the new fee; the fee in force does not change."
        found.save()
        event = PlacementEventAction.FEE_REVIEW_REFUSED
    else:
        ceiling = decision.agreed_annual_ceiling_pence or 0
        if ceiling >= contract.agreed_annual_cost_pence:
            contract.panel_decision = decision
            contract.save(update_fields=["panel_decision", "updated_at"])
        found.ceiling_pence = ceiling
        found.agreed_annual_cost_pence = None
        found.outcome_on = None
        found.save()
        event = PlacementEventAction.FEE_REVIEW_RETURNED
    write_event(actor=actor, action=event, contract=contract, payload=_review_payload(found, **payload_extra))
    return found
