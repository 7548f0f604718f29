"""Factories for requests_app: one per request status, with the rows that status implies.

All data is synthetic. Dates are relative to today (``received_on`` 100 days ago by default),
so every factory-built request has dates in the past that the services accept. Each request
factory stores the clocks through the same helper the services use, and factories for closed
statuses also write the closing event (``request_reopen`` reads it).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.models import District, Establishment, EstablishmentType, NeedType, Phase
from core.roles import Role
from requests_app import workflow
from requests_app.models import (
    AdviceRequest,
    AdviserType,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    DecisionOutcome,
    DecisionStage,
    PlacementType,
    ProvisionEvaluation,
    Recommendation,
    RequestEvent,
    RequestSource,
    Sen2Outcome,
)
from requests_app.services.common import refresh_clocks
from tests.conftest import make_user

S = workflow.Status


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def _officer() -> User:
    return make_user(Role.SEN_OFFICER)


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("name",)

    name = factory.Iterator(["Ashford", "Canterbury", "Dartford", "Maidstone", "Swale", "Thanet"])


class EstablishmentFactory(DjangoModelFactory):
    class Meta:
        model = Establishment
        django_get_or_create = ("urn",)

    urn = factory.Sequence(lambda n: 990000 + n)
    name = factory.Sequence(lambda n: f"Test Primary School {n}")
    type_group = EstablishmentType.MAINSTREAM_ACADEMY
    phase = Phase.PRIMARY
    district = factory.SubFactory(DistrictFactory)


class ChildFactory(DjangoModelFactory):
    class Meta:
        model = Child

    forename = factory.Faker("first_name", locale="en_GB")
    # Unique surnames and dates of birth keep duplicate detection deterministic.
    surname = factory.Sequence(lambda n: f"Testchild{n}")
    date_of_birth = factory.Sequence(lambda n: date(2014, 1, 1) + timedelta(days=(n * 37) % 2900))
    sex = "U"
    postcode = "ME14 1XX"
    district = factory.SubFactory(DistrictFactory)
    primary_need = NeedType.ASD


class AssessmentRequestFactory(DjangoModelFactory):
    """A request just received. Subclasses below move it along the workflow."""

    class Meta:
        model = AssessmentRequest
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"TEST-{n:06d}")
    child = factory.SubFactory(ChildFactory)
    district = factory.SelfAttribute("child.district")  # the copy the services keep (decision 0007)
    received_on = factory.LazyFunction(lambda: days_ago(100))
    source = RequestSource.PARENT
    status = S.RECEIVED.value
    request_outcome = Sen2Outcome.UNDECIDED
    assessment_outcome = ""

    @classmethod
    def _create(cls, model_class: type[AssessmentRequest], *args: Any, **kwargs: Any) -> AssessmentRequest:
        request = model_class(*args, **kwargs)
        refresh_clocks(request)  # the services' own clock helper, so they agree
        request.save()
        return request


ReceivedRequestFactory = AssessmentRequestFactory


class EvaluatingRequestFactory(AssessmentRequestFactory):
    status = S.EVALUATING.value

    @factory.post_generation
    def evaluation(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            ProvisionEvaluation.objects.create(request=self)


class AwaitingDecisionRequestFactory(AssessmentRequestFactory):
    status = S.AWAITING_DECISION.value

    @factory.post_generation
    def evaluation(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            ProvisionEvaluation.objects.create(
                request=self,
                recommendation=Recommendation.ASSESS,
                completed_on=self.received_on + timedelta(days=20),
                schools_views_received=True,
                apdr_cycles=2,
            )


def _decision(request: AssessmentRequest, stage: str, outcome: str, notified_on: date) -> AssessmentDecision:
    return AssessmentDecision.objects.create(
        request=request,
        stage=stage,
        outcome=outcome,
        notified_on=notified_on,
        reasons=["needs_met_by_sen_support"] if outcome == DecisionOutcome.REFUSE else ["has_or_may_have_sen"],
        rights_text_sent=outcome in (DecisionOutcome.REFUSE, DecisionOutcome.NOT_ISSUE),
        decided_by=_officer(),
    )


def _closing_event(request: AssessmentRequest, action: workflow.Action, from_status: workflow.Status) -> None:
    RequestEvent.objects.create(
        request=request, action=action.value, from_status=from_status.value, to_status=request.status
    )


class AssessingRequestFactory(AssessmentRequestFactory):
    """Decided to assess 35 days after receipt (within the 6 weeks)."""

    status = S.ASSESSING.value
    request_outcome = Sen2Outcome.YES
    request_outcome_on = factory.LazyAttribute(lambda o: o.received_on + timedelta(days=35))
    assessment_outcome = Sen2Outcome.UNDECIDED

    @factory.post_generation
    def decisions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            _decision(self, DecisionStage.ASSESS, DecisionOutcome.ASSESS, self.request_outcome_on)


class AwaitingIssueDecisionRequestFactory(AssessingRequestFactory):
    status = S.AWAITING_ISSUE_DECISION.value


class RefusedRequestFactory(AssessmentRequestFactory):
    status = S.REFUSED.value
    request_outcome = Sen2Outcome.NO
    request_outcome_on = factory.LazyAttribute(lambda o: o.received_on + timedelta(days=35))

    @factory.post_generation
    def decisions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            _decision(self, DecisionStage.ASSESS, DecisionOutcome.REFUSE, self.request_outcome_on)
            _closing_event(self, workflow.Action.DECIDE_NOT_TO_ASSESS, S.AWAITING_DECISION)


class DraftingRequestFactory(AssessingRequestFactory):
    """Decided to issue 90 days after receipt."""

    status = S.DRAFTING.value

    @factory.post_generation
    def decisions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            _decision(self, DecisionStage.ASSESS, DecisionOutcome.ASSESS, self.request_outcome_on)
            _decision(self, DecisionStage.ISSUE, DecisionOutcome.ISSUE, self.received_on + timedelta(days=90))


class DraftIssuedRequestFactory(DraftingRequestFactory):
    """Draft served 95 days after receipt (5 days ago with the default dates)."""

    status = S.DRAFT_ISSUED.value
    draft_issued_on = factory.LazyAttribute(lambda o: o.received_on + timedelta(days=95))


class PlanIssuedRequestFactory(DraftIssuedRequestFactory):
    received_on = factory.LazyFunction(lambda: days_ago(150))
    status = S.PLAN_ISSUED.value
    final_plan_issued_on = factory.LazyAttribute(lambda o: o.received_on + timedelta(days=115))
    assessment_outcome = Sen2Outcome.YES
    assessment_outcome_on = factory.LazyAttribute(lambda o: o.final_plan_issued_on)
    placement_type = PlacementType.MAINSTREAM
    named_establishment = factory.SubFactory(EstablishmentFactory)


class NotIssuedRequestFactory(AssessingRequestFactory):
    status = S.NOT_ISSUED.value
    assessment_outcome = Sen2Outcome.NO
    assessment_outcome_on = factory.LazyAttribute(lambda o: o.received_on + timedelta(days=90))

    @factory.post_generation
    def decisions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            _decision(self, DecisionStage.ASSESS, DecisionOutcome.ASSESS, self.request_outcome_on)
            _decision(self, DecisionStage.ISSUE, DecisionOutcome.NOT_ISSUE, self.assessment_outcome_on)
            _closing_event(self, workflow.Action.DECIDE_NOT_TO_ISSUE, S.AWAITING_ISSUE_DECISION)


class WithdrawnRequestFactory(AssessmentRequestFactory):
    """Withdrawn before the decision to assess, while the evaluation was under way."""

    status = S.WITHDRAWN.value
    request_outcome = Sen2Outcome.WITHDRAWN
    request_outcome_on = factory.LazyAttribute(lambda o: o.received_on + timedelta(days=20))
    closed_reason = "Family moved out of the area"

    @factory.post_generation
    def closing(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            _closing_event(self, workflow.Action.WITHDRAW, S.EVALUATING)


class AdviceRequestFactory(DjangoModelFactory):
    class Meta:
        model = AdviceRequest

    request = factory.SubFactory(AssessingRequestFactory)
    adviser_type = AdviserType.EDUCATIONAL_PSYCHOLOGY
    addressee = "Educational Psychology Service"
    requested_on = factory.LazyAttribute(lambda o: o.request.received_on + timedelta(days=40))
    due_on = factory.LazyAttribute(lambda o: o.requested_on + timedelta(weeks=6))
    target_on = factory.LazyAttribute(lambda o: o.due_on)
    requested_by = factory.LazyFunction(_officer)


class ClockExceptionFactory(DjangoModelFactory):
    class Meta:
        model = ClockException

    request = factory.SubFactory(AssessingRequestFactory)
    kind = "personal_circumstances"
    start = factory.LazyAttribute(lambda o: o.request.received_on + timedelta(days=10))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(days=13))
    evidence = "Letter from the family's GP"
    recorded_by = factory.LazyFunction(_officer)
