"""Demo fee histories (docs/domain.md §2.6): version 1 for every agreed demo contract, and three
contracts with two or three years of history through annual fee reviews — one agreed within the
panel's ceiling, one whose second review went back to the panel and is in force after its approval,
and one waiting for the panel (its old fee still in force after the date asked for).

Written with the ORM like the rest of the placements demo, keeping the services' rules: versions in
date order after the start, agreed lines within the ceiling in force, an above-ceiling figure in
force only under a later approval that covers it. Synthetic data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from panels import workflow as panel_workflow
from panels.models import AgendaItem, AgendaItemStatus, PanelDecision, PanelMeeting, Referral, ReferralCostLine
from placements import workflow
from placements.models import (
    ContractVersion,
    CostLine,
    FeeReview,
    FeeReviewLine,
    PlacementContract,
    PlacementEvent,
    PlacementEventAction,
)

W = workflow
PW = panel_workflow
REASONS = "Teaching staff pay award and higher energy costs; therapy hours unchanged."


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _year_on(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _round_up(pence: int, step: int) -> int:
    return -(-pence // step) * step


def _snapshot(lines: list[CostLine]) -> list[dict[str, Any]]:
    return [
        {
            "cost_line_id": line.pk,
            "category": line.category,
            "description": line.description,
            "period": line.period,
            "periods_per_year": line.periods_per_year,
            "quoted_amount_pence": line.quoted_amount_pence,
            "agreed_amount_pence": line.agreed_amount_pence,
            "agreed_annual_pence": line.agreed_annual_pence or 0,
        }
        for line in lines
    ]


def _annual(lines: list[CostLine], amounts: list[int]) -> int:
    return sum(W.annualise(a, line.period, line.periods_per_year) for line, a in zip(lines, amounts, strict=True))


def _scaled(amounts: list[int], factor: Decimal, rounding: str) -> list[int]:
    return [int((Decimal(a) * factor).quantize(Decimal(1), rounding=rounding)) for a in amounts]


@dataclass
class _Ctx:
    today: date
    finance: User
    events: list[PlacementEvent]


def _event(ctx: _Ctx, contract: PlacementContract, action: PlacementEventAction, on: date, **payload: Any) -> None:
    ctx.events.append(
        PlacementEvent(
            contract=contract,
            actor=ctx.finance,
            action=action.value,
            occurred_at=_at(on, 11),
            payload={"contract_id": contract.pk, **payload},
        )
    )


def _review(
    ctx: _Ctx,
    contract: PlacementContract,
    lines: list[CostLine],
    *,
    received: date,
    effective: date,
    requested: list[int],
    agreed: list[int],
    status: W.FeeReviewStatus,
    ceiling: int,
    outcome_on: date,
) -> FeeReview:
    current = [line.agreed_amount_pence or 0 for line in lines]
    review = FeeReview.objects.create(
        contract=contract,
        status=W.FeeReviewStatus.NEGOTIATING.value,
        received_on=received,
        effective_from=effective,
        requested_annual_cost_pence=_annual(lines, requested),
        current_annual_cost_pence=_annual(lines, current),
        reasons=REASONS,
        created_by=ctx.finance,
        created_at=_at(received, 9),
    )
    FeeReviewLine.objects.bulk_create(
        FeeReviewLine(
            review=review,
            cost_line=line,
            category=line.category,
            description=line.description,
            period=line.period,
            periods_per_year=line.periods_per_year,
            current_amount_pence=c,
            requested_amount_pence=r,
            agreed_amount_pence=a,
        )
        for line, c, r, a in zip(lines, current, requested, agreed, strict=True)
    )
    # Waiting for the panel needs the referral first (_fee_review_referral sets it).
    review.status = W.FeeReviewStatus.NEGOTIATING.value if status is W.FeeReviewStatus.AWAITING_PANEL else status.value
    review.agreed_annual_cost_pence = _annual(lines, agreed)
    review.ceiling_pence = ceiling
    review.outcome_on = outcome_on
    review.save()
    _event(ctx, contract, PlacementEventAction.FEE_REVIEW_STARTED, received, fee_review_id=review.pk)
    for row in review.lines.all():
        _event(
            ctx,
            contract,
            PlacementEventAction.FEE_REVIEW_LINE,
            received + timedelta(days=14),
            fee_review_id=review.pk,
            line_id=row.pk,
            requested_amount_pence=row.requested_amount_pence,
            agreed_amount_pence=row.agreed_amount_pence,
        )
    return review


def _in_force(
    ctx: _Ctx, contract: PlacementContract, lines: list[CostLine], review: FeeReview, version_no: int, on: date
) -> ContractVersion:
    """The agreed lines become the contract's and the next version starts on the review's date."""
    for line, row in zip(lines, review.lines.order_by("pk"), strict=True):
        line.quoted_amount_pence = row.requested_amount_pence
        line.agreed_amount_pence = row.agreed_amount_pence
        line.save(update_fields=["quoted_amount_pence", "agreed_amount_pence"])
    contract.quoted_annual_cost_pence = sum(line.quoted_annual_pence for line in lines)
    contract.agreed_annual_cost_pence = sum(line.agreed_annual_pence or 0 for line in lines)
    contract.annual_review_on = max(contract.annual_review_on, _year_on(review.effective_from, 1))
    contract.save(
        update_fields=["quoted_annual_cost_pence", "agreed_annual_cost_pence", "annual_review_on", "panel_decision"]
    )
    version = ContractVersion.objects.create(
        contract=contract,
        version_no=version_no,
        effective_from=review.effective_from,
        annual_cost_pence=contract.agreed_annual_cost_pence,
        requested_annual_cost_pence=review.requested_annual_cost_pence,
        lines=_snapshot(lines),
        panel_decision_id=contract.panel_decision_id,
        fee_review=review,
        created_by=ctx.finance,
        created_at=_at(on, 12),
    )
    _event(ctx, contract, PlacementEventAction.FEE_REVIEW_AGREED, on, fee_review_id=review.pk, version_id=version.pk)
    _event(
        ctx,
        contract,
        PlacementEventAction.VERSION_ADDED,
        on,
        version_no=version_no,
        effective_from=review.effective_from.isoformat(),
        annual_cost_pence=version.annual_cost_pence,
    )
    return version


def _at_least_quoted(lines: list[CostLine], requested: list[int]) -> list[int]:
    """A provider asks for no less than it first quoted (the negotiation rounds on record were
    measured against that quote)."""
    return [max(r, line.quoted_amount_pence) for line, r in zip(lines, requested, strict=True)]


def _within(lines: list[CostLine], ceiling: int) -> tuple[list[int], list[int]]:
    """Requested +5%; agreed up to +2.5%, never above the ceiling (rounded down per line)."""
    current = [line.agreed_amount_pence or 0 for line in lines]
    total = _annual(lines, current)
    requested = _scaled(current, Decimal("1.05"), ROUND_CEILING)
    headroom = Decimal(max(0, ceiling - total)) / Decimal(total) if total else Decimal(0)
    agreed = _scaled(current, Decimal(1) + min(Decimal("0.025"), headroom), ROUND_FLOOR)
    return _at_least_quoted(lines, requested), agreed


def _above(lines: list[CostLine], ceiling: int) -> tuple[list[int], list[int]]:
    """An agreed figure a little above the ceiling (and above the fee in force)."""
    current = [line.agreed_amount_pence or 0 for line in lines]
    total = _annual(lines, current)
    factor = max(Decimal("1.04"), Decimal(ceiling) / Decimal(total) + Decimal("0.02"))
    agreed = _scaled(current, factor, ROUND_CEILING)
    requested = _scaled(current, factor + Decimal("0.03"), ROUND_CEILING)
    return _at_least_quoted(lines, requested), agreed


def _fee_review_referral(
    contract: PlacementContract, review: FeeReview, *, status: str, referred_on: date, finance: User
) -> Referral:
    original = contract.panel_decision.item.referral
    referral = Referral.objects.create(
        request=original.request,
        kind=original.kind,
        status=status,
        proposed_establishment=original.proposed_establishment,
        parental_preference=original.parental_preference,
        needs_summary=original.needs_summary,
        evidence=list(original.evidence or []),
        notes=f"Annual fee review of {contract.reference}: agreed above the panel's ceiling.",
        referred_by=finance,
        referred_on=referred_on,
        fee_review_contract=contract.reference,
        fee_review_current_pence=review.current_annual_cost_pence,
        fee_review_proposed_pence=review.agreed_annual_cost_pence,
    )
    ReferralCostLine.objects.bulk_create(
        ReferralCostLine(
            referral=referral,
            category=W.panel_cost_category(row.category),
            annual_amount_pence=row.agreed_annual_pence or 0,
            description=row.description,
        )
        for row in review.lines.order_by("pk")
    )
    review.referral = referral
    review.status = W.FeeReviewStatus.AWAITING_PANEL.value
    review.save(update_fields=["referral", "status"])
    return referral


def _approve(referral: Referral, contract: PlacementContract, *, after: date, today: date) -> PanelDecision | None:
    """The panel approves the fee review's referral at the first held demo meeting after ``after``."""
    meeting = (
        PanelMeeting.objects.filter(held_on__gt=after, held_on__lt=today, status=PW.MeetingStatus.MINUTES_APPROVED)
        .order_by("held_on")
        .first()
    )
    if meeting is None:
        return None
    original = contract.panel_decision
    position = (
        AgendaItem.objects.filter(meeting=meeting).order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    item = AgendaItem.objects.create(
        meeting=meeting, referral=referral, position=position, status=AgendaItemStatus.DECIDED, added_by=meeting.chair
    )
    requested = sum(c.annual_amount_pence for c in referral.cost_lines.all())
    return PanelDecision.objects.create(
        item=item,
        outcome=PW.DecisionOutcome.APPROVE.value,
        meeting_status_at_decision=PW.MeetingStatus.HELD.value,
        suitable_answer=PW.TestAnswer.YES.value,
        suitable_text="The placement continues to meet need.",
        compatible_answer=PW.TestAnswer.YES.value,
        compatible_text="No concerns raised by the school.",
        resources_answer=PW.TestAnswer.YES.value,
        resources_text="The uplift is justified by the provider's evidenced costs.",
        requested_annual_cost_pence=requested,
        maintained_alternative_cost_pence=original.maintained_alternative_cost_pence,
        reasons_text="Annual fee review: the uplift is approved; the placement continues.",
        agreed_annual_ceiling_pence=_round_up(requested, 50_000),
        quorum=original.quorum,
        recorded_by=meeting.chair or original.recorded_by,
        recorded_at=_at(meeting.held_on, 12),
    )


def seed_fee_histories(
    contracts: list[tuple[PlacementContract, list[Any]]], *, today: date, finance: User, events: list[PlacementEvent]
) -> dict[int, list[W.VersionFacts]]:
    """Version 1 for every agreed contract and the three fee histories. ``contracts``: each agreed
    demo contract with its (saved) cost lines. Returns each contract's versions, for the
    deductions (worked out from the fee in force on each period's first day)."""
    ctx = _Ctx(today=today, finance=finance, events=events)
    ContractVersion.objects.bulk_create(
        ContractVersion(
            contract=contract,
            version_no=1,
            effective_from=contract.start_on,
            annual_cost_pence=contract.agreed_annual_cost_pence,
            requested_annual_cost_pence=contract.quoted_annual_cost_pence,
            lines=_snapshot(lines),
            panel_decision_id=contract.panel_decision_id,
            created_by=finance,
            created_at=_at(contract.start_on - timedelta(days=5), 11),
        )
        for contract, lines in contracts
    )
    running = sorted(
        ((c, lines) for c, lines in contracts if c.status == W.ContractStatus.ACTIVE and c.end_on is None and lines),
        key=lambda pair: (pair[0].start_on, pair[0].pk),
    )
    long_running = [pair for pair in running if pair[0].start_on <= today - timedelta(days=800)]
    recent = [
        pair for pair in running if today - timedelta(days=700) <= pair[0].start_on <= today - timedelta(days=400)
    ]
    if long_running:
        _panel_history(ctx, *long_running[0])
    if recent:
        _within_history(ctx, *recent[0])
    if len(recent) > 1:
        _waiting_history(ctx, *recent[1])
    return {
        contract.pk: [v.facts() for v in ContractVersion.objects.filter(contract=contract).order_by("version_no")]
        for contract, _lines in contracts
        if contract.pk in {p[0].pk for p in long_running[:1] + recent[:2]}
    }


def _within_history(ctx: _Ctx, contract: PlacementContract, lines: list[CostLine]) -> None:
    """One review, agreed within the ceiling, in force from the first anniversary."""
    effective = _year_on(contract.start_on, 1)
    requested, agreed = _within(lines, contract.panel_decision.agreed_annual_ceiling_pence or 0)
    review = _review(
        ctx,
        contract,
        lines,
        received=effective - timedelta(days=60),
        effective=effective,
        requested=requested,
        agreed=agreed,
        status=W.FeeReviewStatus.AGREED,
        ceiling=contract.panel_decision.agreed_annual_ceiling_pence or 0,
        outcome_on=effective - timedelta(days=20),
    )
    _in_force(ctx, contract, lines, review, 2, effective - timedelta(days=20))


def _panel_history(ctx: _Ctx, contract: PlacementContract, lines: list[CostLine]) -> None:
    """Year 2 agreed within the ceiling; year 3 agreed above it, back to the panel, approved, and
    in force from the second anniversary under the new approval."""
    _within_history(ctx, contract, lines)
    effective = _year_on(contract.start_on, 2)
    ceiling = contract.panel_decision.agreed_annual_ceiling_pence or 0
    requested, agreed = _above(lines, ceiling)
    outcome_on = effective - timedelta(days=50)
    review = _review(
        ctx,
        contract,
        lines,
        received=effective - timedelta(days=90),
        effective=effective,
        requested=requested,
        agreed=agreed,
        status=W.FeeReviewStatus.AWAITING_PANEL,
        ceiling=ceiling,
        outcome_on=outcome_on,
    )
    referral = _fee_review_referral(
        contract, review, status=PW.ReferralStatus.DECIDED.value, referred_on=outcome_on, finance=ctx.finance
    )
    _event(
        ctx,
        contract,
        PlacementEventAction.FEE_REVIEW_REFERRED,
        outcome_on,
        fee_review_id=review.pk,
        referral_id=referral.pk,
    )
    decision = _approve(referral, contract, after=outcome_on, today=ctx.today)
    if decision is None or (decision.agreed_annual_ceiling_pence or 0) < (review.agreed_annual_cost_pence or 0):
        Referral.objects.filter(pk=referral.pk).update(status=PW.ReferralStatus.AWAITING_PANEL.value)
        return
    contract.panel_decision = decision
    review.status = W.FeeReviewStatus.AGREED.value
    review.ceiling_pence = decision.agreed_annual_ceiling_pence
    review.outcome_on = decision.item.meeting.held_on
    review.save()
    _in_force(ctx, contract, lines, review, 3, review.outcome_on)


def _waiting_history(ctx: _Ctx, contract: PlacementContract, lines: list[CostLine]) -> None:
    """Agreed above the ceiling and waiting for the panel; the date asked for has passed, and the
    old fee is still in force."""
    ceiling = contract.panel_decision.agreed_annual_ceiling_pence or 0
    requested, agreed = _above(lines, ceiling)
    effective = max(ctx.today - timedelta(days=14), contract.start_on + timedelta(days=1))
    outcome_on = ctx.today - timedelta(days=10)
    review = _review(
        ctx,
        contract,
        lines,
        received=ctx.today - timedelta(days=60),
        effective=effective,
        requested=requested,
        agreed=agreed,
        status=W.FeeReviewStatus.AWAITING_PANEL,
        ceiling=ceiling,
        outcome_on=outcome_on,
    )
    referral = _fee_review_referral(
        contract, review, status=PW.ReferralStatus.AWAITING_PANEL.value, referred_on=outcome_on, finance=ctx.finance
    )
    _event(
        ctx,
        contract,
        PlacementEventAction.FEE_REVIEW_REFERRED,
        outcome_on,
        fee_review_id=review.pk,
        referral_id=referral.pk,
    )
