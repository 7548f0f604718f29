"""The requests app's subject data sections (core/subject_data.py): the child, their requests
and everything recorded on them."""

from __future__ import annotations

from core.subject_data import Section, rows
from requests_app.models import (
    AdviceRequest,
    Appeal,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    Mediation,
    ProvisionEvaluation,
    RequestEvent,
    SubjectAccessRequest,
)


def sections(child_id: int) -> list[Section]:
    by_request = {"request__child_id": child_id}
    return [
        Section("child", "The child's record", rows(Child.objects.filter(pk=child_id)), ("requests_app.Child",)),
        Section(
            "requests",
            "Requests for an EHC needs assessment, decisions dates and plans",
            rows(AssessmentRequest.objects.filter(child_id=child_id)),
            ("requests_app.AssessmentRequest",),
        ),
        Section(
            "provision_evaluations",
            "Provision evaluations",
            rows(ProvisionEvaluation.objects.filter(**by_request)),
            ("requests_app.ProvisionEvaluation",),
        ),
        Section(
            "decisions",
            "Decisions and their reasons",
            rows(AssessmentDecision.objects.filter(**by_request)),
            ("requests_app.AssessmentDecision",),
        ),
        Section(
            "advice",
            "Advice requested and received",
            rows(AdviceRequest.objects.filter(**by_request)),
            ("requests_app.AdviceRequest",),
        ),
        Section(
            "clock_exceptions",
            "Exceptions to the statutory time limits",
            rows(ClockException.objects.filter(**by_request)),
            ("requests_app.ClockException",),
        ),
        Section("mediations", "Mediation", rows(Mediation.objects.filter(**by_request)), ("requests_app.Mediation",)),
        Section(
            "appeals",
            "Appeals to the SEND Tribunal",
            rows(Appeal.objects.filter(**by_request)),
            ("requests_app.Appeal",),
        ),
        Section(
            "timeline",
            "Timeline of the case",
            rows(RequestEvent.objects.filter(**by_request)),
            ("requests_app.RequestEvent",),
        ),
        Section(
            "subject_access_requests",
            "Subject access requests made for this child",
            rows(SubjectAccessRequest.objects.filter(child_id=child_id), omit=("manifest",)),
            ("requests_app.SubjectAccessRequest",),
        ),
    ]
