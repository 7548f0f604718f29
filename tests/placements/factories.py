"""Factories for placements: a provider, contracts in each status, cost lines, a clause, returns
and deductions; and helpers that build an APPROVED panel decision for a child (through the
panels factories) and an active contract through the services. All data synthetic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.models import Establishment, EstablishmentType
from core.roles import Role
from panels import workflow as panel_workflow
from panels.models import AgendaItemStatus, PanelDecision
from placements import workflow
from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    PenaltyClause,
    PlacementContract,
    Provider,
)
from placements.services import contracts as contract_services
from placements.workflow import ContractStatus
from requests_app.models import OPEN, AssessmentRequest, Child
from tests.conftest import make_user
from tests.panels.factories import (
    AgendaItemFactory,
    IndependentSchoolFactory,
    MeetingFactory,
    PanelDecisionFactory,
    ReferralFactory,
)
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory

START = date(2025, 9, 1)  # the placements begin with the autumn term
REVIEW = date(2026, 9, 1)


class NonMaintainedSchoolFactory(IndependentSchoolFactory):
    name = factory.Sequence(lambda n: f"Test Non-maintained Special School {n}")
    type_group = EstablishmentType.NON_MAINTAINED_SPECIAL


def finance_user() -> User:
    return make_user(Role.FINANCE_OFFICER, username="placement_finance")


def approved_decision(
    *,
    child: Child | None = None,
    establishment: Establishment | None = None,
    ceiling_pence: int = 5_500_000,
    outcome: str = panel_workflow.DecisionOutcome.APPROVE.value,
) -> PanelDecision:
    """A panel decision (an approval by default) on a referral of ``child``'s open request for a
    place at ``establishment``. Reuses the child's open request: a child has only one."""
    child = child or ChildFactory()
    request = AssessmentRequest.objects.filter(child=child, status__in=OPEN).first()
    if request is None:
        request = AssessingRequestFactory(child=child)
    referral = ReferralFactory(
        request=request,
        proposed_establishment=establishment or IndependentSchoolFactory(),
        status=panel_workflow.ReferralStatus.DECIDED.value,
    )
    approval = outcome in {o.value for o in panel_workflow.APPROVALS}
    return PanelDecisionFactory(
        item=AgendaItemFactory(referral=referral, status=AgendaItemStatus.DECIDED),
        outcome=outcome,
        agreed_annual_ceiling_pence=ceiling_pence if approval else None,
        conditions="Review attendance termly"
        if outcome == panel_workflow.DecisionOutcome.APPROVE_WITH_CONDITIONS
        else "",
        resources_answer="yes" if approval else "no",
        deferred_to=MeetingFactory() if outcome == panel_workflow.DecisionOutcome.DEFER else None,
    )


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    establishment = factory.SubFactory(IndependentSchoolFactory)
    procurement_route = workflow.ProcurementRoute.FRAMEWORK.value
    framework_lot = "Lot 2: SEMH and ASD, 5 to 19"
    fee_bands = "Band A £45,000; Band B £58,000; Band C £72,000"
    fee_min_annual_pence = 4_500_000
    fee_max_annual_pence = 7_200_000
    contact_name = "Admissions officer"
    contact_email = "placements@example.org"


class ContractFactory(DjangoModelFactory):
    """A draft contract following an approval for the same child and the provider's school."""

    class Meta:
        model = PlacementContract
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    child = factory.SubFactory(ChildFactory)
    panel_decision = factory.LazyAttribute(
        lambda o: approved_decision(child=o.child, establishment=o.provider.establishment)
    )
    status = ContractStatus.DRAFT.value
    start_on = START
    annual_review_on = REVIEW
    created_by = factory.LazyFunction(finance_user)

    @classmethod
    def _create(cls, model_class: type[PlacementContract], *args: Any, **kwargs: Any) -> PlacementContract:
        contract = super()._create(model_class, *args, **kwargs)
        contract.reference = f"{contract_services.REFERENCE_PREFIX}{contract.pk:06d}"
        contract.save(update_fields=["reference"])
        return contract


DraftContractFactory = ContractFactory


class NegotiatingContractFactory(ContractFactory):
    status = ContractStatus.NEGOTIATING.value


class ActiveContractFactory(ContractFactory):
    """Active at £50,000 a year agreed (quoted £52,000) under a £55,000 ceiling: one tuition line."""

    status = ContractStatus.ACTIVE.value
    quoted_annual_cost_pence = 5_200_000
    agreed_annual_cost_pence = 5_000_000

    @factory.post_generation
    def lines(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is None:
            CostLineFactory(contract=self, quoted_amount_pence=5_200_000, agreed_amount_pence=5_000_000)


class EndedContractFactory(ActiveContractFactory):
    status = ContractStatus.ENDED.value
    ended_on = date(2026, 7, 22)
    status_reason = "Moved to a maintained special school after the annual review"
    leaving_reason = workflow.LeavingReason.MOVED_SCHOOL.value


class CostLineFactory(DjangoModelFactory):
    class Meta:
        model = CostLine

    contract = factory.SubFactory(NegotiatingContractFactory)
    category = workflow.CostCategory.TUITION.value
    description = "Day place"
    quoted_amount_pence = 5_200_000
    agreed_amount_pence = None
    period = workflow.Period.YEAR.value
    periods_per_year = 1


class PenaltyClauseFactory(DjangoModelFactory):
    """90% threshold, 10% of the period's fee, authorised absence counted as attended."""

    class Meta:
        model = PenaltyClause

    contract = factory.SubFactory(ActiveContractFactory)
    threshold_percent = Decimal("90.00")
    rule = workflow.PenaltyRule.PERCENT_OF_PERIOD_FEE.value
    deduction_percent = Decimal("10.00")
    per_session_pence = None
    authorised_counts_as_attended = True


class AttendanceReturnFactory(DjangoModelFactory):
    class Meta:
        model = AttendanceReturn

    contract = factory.SubFactory(ActiveContractFactory)
    period_kind = workflow.PeriodKind.TERM.value
    period_start = date(2025, 9, 1)
    period_end = date(2025, 12, 19)
    sessions_possible = 140
    sessions_attended = 130
    authorised_absence = 6
    unauthorised_absence = 4
    submitted_by = factory.LazyFunction(finance_user)
    submitted_at = factory.LazyFunction(timezone.now)


class DeductionFactory(DjangoModelFactory):
    class Meta:
        model = Deduction

    attendance_return = factory.SubFactory(AttendanceReturnFactory)
    amount_pence = 166_667
    period_fee_pence = 1_666_667
    working = factory.LazyFunction(lambda: ["Attendance below threshold"])
    status = workflow.DeductionStatus.PENDING.value


# --- Through the services ------------------------------------------------------------------------

Line = tuple[str, int, int | None, str, int]  # category, quoted, agreed, period, periods per year


def make_active_contract(
    *,
    actor: User,
    child: Child | None = None,
    provider: Provider | None = None,
    lines: Sequence[Line] = (("tuition", 5_200_000, 5_000_000, "year", 1),),
    ceiling_pence: int = 5_500_000,
    start_on: date = START,
) -> PlacementContract:
    """Draft, cost, negotiate and agree a contract through the services (events and all)."""
    child = child or ChildFactory()
    provider = provider or ProviderFactory()
    decision = approved_decision(child=child, establishment=provider.establishment, ceiling_pence=ceiling_pence)
    contract = contract_services.contract_create(
        actor=actor,
        panel_decision=decision,
        provider=provider,
        start_on=start_on,
        end_on=None,
        annual_review_on=REVIEW,
    )
    contract_services.contract_start_negotiation(actor=actor, contract=contract)
    for category, quoted, agreed, period, periods in lines:
        contract_services.cost_line_add(
            actor=actor,
            contract=contract,
            category=category,
            quoted_amount_pence=quoted,
            agreed_amount_pence=agreed,
            period=period,
            periods_per_year=periods,
        )
    return contract_services.contract_agree(actor=actor, contract=contract)
