"""The requests app's subject data sections (core/subject_data.py): the child, their requests
and everything recorded on them."""

from __future__ import annotations

import logging

from core.subject_data import Section, rows
from requests_app.models import (
    AdviceRequest,
    Appeal,
    AssessmentDecision,
    AssessmentRequest,
    CaseNote,
    Child,
    ClockException,
    Mediation,
    PlanPlacement,
    ProvisionEvaluation,
    RequestEvent,
    SubjectAccessRequest,
)
from requests_app.people_models import Contact, Letter, LetterState, NotificationGap, OutboundMessage

logger = logging.getLogger(__name__)


def _letter_files(letters: list[Letter]) -> list[tuple[str, bytes]]:
    """Each letter's PDF as sent; one that cannot be read is named in the log, not the copy."""
    files: list[tuple[str, bytes]] = []
    for letter in letters:
        if letter.state == LetterState.PREPARING:
            continue  # no PDF yet: its text is in the letters section
        try:
            with letter.pdf.open("rb") as handle:
                files.append((f"letter-{letter.pk}.pdf", handle.read()))
        except OSError:
            logger.warning("subject access: the PDF of letter %s could not be read", letter.pk)
    return files


def sections(child_id: int) -> list[Section]:
    by_request = {"request__child_id": child_id}
    letters = Letter.objects.filter(**by_request).order_by("pk")
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
            "contact_log",
            "Contact log: calls, meetings, emails and notes",
            rows(CaseNote.objects.filter(**by_request)),
            ("requests_app.CaseNote",),
        ),
        Section(
            "placements",
            "Settings named in the plan and attended (SEN2)",
            rows(PlanPlacement.objects.filter(**by_request)),
            ("requests_app.PlanPlacement",),
        ),
        Section(
            "contacts",
            "Family members and professionals recorded for the child",
            rows(Contact.objects.filter(child_id=child_id)),
            ("requests_app.Contact",),
        ),
        Section(
            "letters",
            "Letters (the PDFs are in files/letters)",
            rows(letters, omit=("pdf",)),
            ("requests_app.Letter",),
            files=_letter_files(list(letters)),
        ),
        Section(
            "messages",
            "Emails sent with the letters",
            rows(OutboundMessage.objects.filter(letter__request__child_id=child_id)),
            ("requests_app.OutboundMessage",),
        ),
        Section(
            "notification_gaps",
            "Letters the law requires that could not be sent: nobody recorded to send them to",
            rows(NotificationGap.objects.filter(**by_request)),
            ("requests_app.NotificationGap",),
        ),
        Section(
            "subject_access_requests",
            "Subject access requests made for this child",
            rows(SubjectAccessRequest.objects.filter(child_id=child_id), omit=("manifest",)),
            ("requests_app.SubjectAccessRequest",),
        ),
    ]
