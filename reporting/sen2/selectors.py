"""The case record read into the SEN2 builders' facts (docs/sen2.md).

Reads every request that might be in the return for a census date, with every date it holds;
``build.request_as_at`` then keeps only what had happened by the census date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from reporting.sen2 import codes
from reporting.sen2.build import DisputeFacts, PersonFacts, PlacementFacts, RequestFacts
from requests_app.models import (
    AssessmentDecision,
    AssessmentRequest,
    Child,
    DecisionOutcome,
    DecisionStage,
    PlanPlacement,
)


def sen2_source(request: AssessmentRequest) -> str:
    """The SEN2 RequestSource: the officer's own code, else the one derived from the requester kind."""
    return request.sen2_request_source or codes.REQUEST_SOURCE_FROM_KIND.get(request.source, "5")


def candidate_requests(census: date) -> QuerySet[AssessmentRequest]:
    """Requests that may be in scope on ``census``: received by then, and either with a plan not
    ended before the collection period, or with some activity since its start, or undecided."""
    period_start, _ = codes.collection_period(census)
    maybe = (
        Q(final_plan_issued_on__isnull=False, plan_ceased_on__isnull=True)
        | Q(plan_ceased_on__gte=period_start)
        | Q(received_on__gte=period_start)
        | Q(request_outcome_on__isnull=True)
        | Q(request_outcome_on__gte=period_start)
        | Q(assessment_outcome_on__gte=period_start)
        | Q(request_outcome="Y", assessment_outcome_on__isnull=True)
    )
    return AssessmentRequest.objects.filter(Q(received_on__lte=census) & maybe)


def _placements(request: AssessmentRequest) -> tuple[PlacementFacts, ...]:
    rows = list(request.plan_placements.all())
    if not rows and request.named_establishment is not None and request.final_plan_issued_on:
        # A plan recorded before placements were: the establishment named in it, from its issue.
        est = request.named_establishment
        return (
            PlacementFacts(
                urn=est.urn,
                rank=1,
                named_in_plan=True,
                entry_on=request.final_plan_issued_on,
                resourced_provision=request.placement_type == "resourced_provision",
            ),
        )
    return tuple(
        PlacementFacts(
            urn=row.establishment.urn if row.establishment else None,
            sen_setting=row.sen_setting,
            sen_setting_other=row.sen_setting_other,
            rank=row.rank,
            named_in_plan=row.named_in_plan,
            entry_on=row.entry_on,
            leaving_on=row.leaving_on,
            sen_unit=row.sen_unit,
            resourced_provision=row.resourced_provision,
        )
        for row in rows
    )


def _disputes(request: AssessmentRequest) -> tuple[DisputeFacts, ...]:
    # A mediation counts from the day it was held. One loaded from a SEN2 return's flag has no
    # such date: it counts from that return's census (held by then), so exporting for the same
    # census gives the same flag, and a return for an earlier census does not claim it. An
    # imported appeal's registered_on is a stand-in (the decision's date): its census counts.
    found = [
        DisputeFacts(m.against, on, False)
        for m in request.mediations.all()
        if (on := m.held_on or m.imported_from_census) is not None
    ]
    found += [DisputeFacts(a.against, a.imported_from_census or a.registered_on, True) for a in request.appeals.all()]
    return tuple(found)


def request_facts(request: AssessmentRequest) -> RequestFacts:
    # A standing decision to issue (prefetched), or else a draft plan issued, which follows one.
    issue_decisions = [d.notified_on for d in request.decisions.all()]
    if request.draft_issued_on is not None:
        issue_decisions.append(request.draft_issued_on)
    child = request.child
    return RequestFacts(
        key=request.pk,
        received_on=request.received_on,
        source=sen2_source(request),
        rya=request.rya,
        request_outcome=request.request_outcome,
        request_outcome_on=request.request_outcome_on,
        issue_decided_on=min(issue_decisions) if issue_decisions else None,
        assessment_outcome=request.assessment_outcome,
        assessment_outcome_on=request.assessment_outcome_on,
        plan_start_on=request.plan_start_on,
        plan_ceased_on=request.plan_ceased_on,
        cease_reason=request.plan_cease_reason,
        week20=request.week20,
        placements=_placements(request),
        needs=tuple(n for n in (child.primary_need, child.secondary_need) if n),
        disputes=_disputes(request),
    )


def persons_for(census: date, *, chunk: int = 500) -> Iterator[PersonFacts]:
    """Each child with a candidate request, with those requests, in child order."""
    requests = (
        candidate_requests(census)
        .select_related("child", "named_establishment")
        .prefetch_related(
            Prefetch("plan_placements", queryset=PlanPlacement.objects.select_related("establishment")),
            Prefetch(
                "decisions",
                queryset=AssessmentDecision.objects.filter(
                    stage=DecisionStage.ISSUE, outcome=DecisionOutcome.ISSUE, superseded=False
                ),
            ),
            "mediations",
            "appeals",
        )
        .order_by("child_id", "received_on", "pk")
    )
    current: list[RequestFacts] = []
    child: Child | None = None
    for request in requests.iterator(chunk_size=chunk):
        if child is not None and request.child_id != child.pk:
            yield _person(child, current)
            current = []
        child = request.child
        current.append(request_facts(request))
    if child is not None:
        yield _person(child, current)


def _person(child: Child, requests: list[RequestFacts]) -> PersonFacts:
    return PersonFacts(
        key=child.pk,
        surname=child.surname,
        forename=child.forename,
        birth_date=child.date_of_birth,
        sex=child.sex,
        ethnicity=child.ethnicity,
        postcode=child.postcode,
        upn=child.upn,
        uln=child.uln,
        upn_unknown=child.upn_unknown,
        requests=tuple(requests),
    )
