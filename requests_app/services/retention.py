"""The retention schedule applied (docs/retention.md): the nightly job lists what is due; an
administrator approves the list; applying it anonymises each child's case file that is not
under legal hold and erases access-log rows past their retention.

Anonymising keeps every row (so stored figures, counts and the statutory returns built from
them stay as they were) and removes what identifies the child: names, UPN, postcode, the
previous system's reference, the day and month of birth, the requester's contact details and
the free text officers wrote on the requests. Stored aggregate figures (MonthlyMetric,
AnnualMetric) are never recomputed by it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string

from core.access import access_log_record, erase_access_log_before
from core.documents import documents_erase_for_child
from core.errors import InvalidTransition
from core.models import AccessAction, AccessLog
from core.roles import Capability
from requests_app import retention
from requests_app.models import (
    AdviceRequest,
    AssessmentDecision,
    AssessmentRequest,
    CaseNote,
    Child,
    ClockException,
    ProvisionEvaluation,
    RequestEvent,
    RetentionItem,
    RetentionRun,
    RetentionRunStatus,
)
from requests_app.people_models import Contact, Letter, LetterState, MessageState, OutboundMessage
from requests_app.services.common import require

logger = logging.getLogger(__name__)

CASE_FILE = "sen_case_file"
# What an anonymised letter's PDF field holds: a name with no file behind it (the download says
# the file is missing; the subject-access copy lists the letter without it).
ERASED_PDF = "letters/erased"
RETENTION_NOT_SENT = "Not sent: the case file was anonymised under the retention schedule"
ACCESS_LOG = "access_log"


def _rules() -> dict[str, retention.Rule]:
    return retention.schedule(settings.RETENTION_SCHEDULE)


def _born_on_or_before(rule: retention.Rule, today: date) -> date:
    """Children born on or before this date are past the rule today."""
    try:
        return today.replace(year=today.year - rule.years)
    except ValueError:  # 29 February today: born on 28 February or before
        return today.replace(year=today.year - rule.years, day=28)


def _on_hold() -> Q:
    held_request = AssessmentRequest.objects.filter(child_id=OuterRef("pk"), legal_hold=True)
    return Q(legal_hold=True) | Q(Exists(held_request))


def retention_review(*, today: date | None = None, now: datetime | None = None) -> RetentionRun:
    """The dry run: list what is due today. Changes nothing but the list (one per day; running
    it again the same day returns the same list). Earlier lists still awaiting approval are
    superseded."""
    rules = _rules()
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    case_rule, log_rule = rules[CASE_FILE], rules[ACCESS_LOG]
    with transaction.atomic():
        existing = RetentionRun.objects.select_for_update().filter(as_of=today).first()
        if existing is not None:
            return existing
        RetentionRun.objects.filter(status=RetentionRunStatus.AWAITING_APPROVAL).update(
            status=RetentionRunStatus.SUPERSEDED
        )
        cutoff = log_rule.cutoff(now)
        run = RetentionRun.objects.create(
            as_of=today,
            listed_at=now,
            access_log_cutoff=cutoff,
            access_log_due=AccessLog.objects.filter(at__lt=cutoff).count(),
        )
        due = (
            Child.objects.filter(anonymised_at__isnull=True, date_of_birth__lte=_born_on_or_before(case_rule, today))
            .annotate(held=_on_hold())
            .order_by("date_of_birth", "pk")
        )
        RetentionItem.objects.bulk_create(
            RetentionItem(
                run=run,
                child=child,
                record_class=CASE_FILE,
                due_on=case_rule.due_on(child.date_of_birth),
                action=case_rule.action,
                held=bool(child.held),
            )
            for child in due
        )
    return run


def retention_approve(*, actor: User, run: RetentionRun) -> RetentionRun:
    """An administrator approves the list; the job that applies it is queued."""
    require(actor, Capability.ADMIN)
    with transaction.atomic():
        run = RetentionRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RetentionRunStatus.AWAITING_APPROVAL:
            raise InvalidTransition("Only a list awaiting approval can be approved")
        run.status, run.approved_by, run.approved_at = RetentionRunStatus.APPROVED, actor, timezone.now()
        run.save(update_fields=["status", "approved_by", "approved_at"])
        from requests_app.tasks import retention_apply_task

        transaction.on_commit(lambda: retention_apply_task.delay(run.pk))
    return run


def anonymise_child(child: Child, *, now: datetime) -> None:
    """Remove what identifies the child; keep every row and every date the figures use."""
    _anonymise_elsewhere(child, now)
    Child.objects.filter(pk=child.pk).update(
        forename="Anonymised",
        surname=f"Child {child.pk}",
        upn="",
        postcode="",
        legacy_ref="",
        date_of_birth=child.date_of_birth.replace(month=1, day=1),
        anonymised_at=now,
    )
    requests = AssessmentRequest.objects.filter(child_id=child.pk)
    requests.update(
        requester_name="", requester_email="", requester_phone="", requester_relationship="", closed_reason=""
    )
    by_request = {"request__child_id": child.pk}
    ProvisionEvaluation.objects.filter(**by_request).update(attainment_summary="", other_agencies="", notes="")
    AssessmentDecision.objects.filter(**by_request).update(reasons_text="", sen_support_advice="")
    AdviceRequest.objects.filter(**by_request).update(notes="", cancelled_reason="")
    # The people around the child: names and how to reach them (kind and role stay for counts).
    # A stated preference must stay usable (a database rule), so a filled-in address or email
    # becomes a placeholder rather than empty.
    Contact.objects.filter(child_id=child.pk).update(
        name="Anonymised",
        relationship="",
        postcode="",
        phone="",
        address=Case(When(address="", then=Value("")), default=Value("Anonymised")),
        email=Case(When(email="", then=Value("")), default=Value("anonymised@example.invalid")),
    )
    # The documents on the record (requests, advice, panel referrals, contracts): the rows and
    # their stored files are erased; the timeline keeps that a document was added, not the file.
    documents_erase_for_child(child.pk)
    # The letters: kind, regulation and dates stay (the statutory record: "told on ..."); who they
    # went to, what they said and the PDF go. The PDFs are deleted once the run commits.
    letters = Letter.objects.filter(request__child_id=child.pk)
    pdfs = [name for name in letters.values_list("pdf", flat=True) if name and name != ERASED_PDF]
    letters.update(
        addressee_name="Anonymised",
        addressee_address="",
        subject="Letter (anonymised)",
        body="",
        pdf=ERASED_PDF,
        state=LetterState.READY,  # one still being prepared is never rendered now
    )
    # An email not yet sent (queued, or retrying after a failure) is never sent now: its letter's
    # text and PDF are gone, and the sweeper would otherwise keep handing it to the worker.
    unsent = Q(state__in=[MessageState.QUEUED, MessageState.RETRYING])
    OutboundMessage.objects.filter(letter__request__child_id=child.pk).update(
        to_email="anonymised@example.invalid",
        subject="Letter (anonymised)",
        body="",
        state=Case(When(unsent, then=Value(MessageState.FAILED.value)), default=F("state")),
        last_error=Case(When(unsent, then=Value(RETENTION_NOT_SENT)), default=Value("")),
    )
    storage = Letter._meta.get_field("pdf").storage

    def delete_pdfs() -> None:
        for name in pdfs:
            try:
                storage.delete(name)
            except Exception:  # already gone, or the store down: the row no longer points at it
                logger.warning("retention: a letter's PDF could not be deleted")

    transaction.on_commit(delete_pdfs)
    _anonymise_case_text(child)


def _removed_unless_empty(field: str) -> Case:
    """Free text a database rule may require: the placeholder where there was text."""
    return Case(When(**{field: ""}, then=Value("")), default=Value(retention.REMOVED))


def _anonymise_case_text(child: Child) -> None:
    """The free text on the case file besides letters and documents (anonymise_child erases
    those): case notes, the timeline's notes and clock exceptions' evidence."""
    by_request = {"request__child_id": child.pk}
    CaseNote.objects.filter(**by_request).update(
        with_whom=Case(When(with_whom="", then=Value("")), default=Value("Anonymised")), summary=retention.REMOVED
    )
    RequestEvent.objects.filter(**by_request).redact_for_retention(note="")
    ClockException.objects.filter(**by_request).update(
        evidence=retention.REMOVED, removed_reason=_removed_unless_empty("removed_reason")
    )


def _anonymise_elsewhere(child: Child, now: datetime) -> None:
    """Each later app's own anonymiser (``settings.RETENTION_ANONYMISERS``: panel papers and
    minutes, placement contracts), called while the child's identifiers are still on the row,
    so text that names several children (minutes) can have this child's name struck out."""
    for path in settings.RETENTION_ANONYMISERS:
        import_string(path)(child, now=now)


def retention_apply(run_id: int) -> RetentionRun:
    """Apply an approved list: each item re-checked for a legal hold at this moment."""
    now = timezone.now()
    with transaction.atomic():
        run = RetentionRun.objects.select_for_update().get(pk=run_id)
        if run.status == RetentionRunStatus.DONE:
            return run
        if run.status != RetentionRunStatus.APPROVED:
            raise InvalidTransition("The list has not been approved")
        held_now = set(Child.objects.filter(_on_hold()).values_list("pk", flat=True))
        for item in run.items.select_related("child").filter(done_at__isnull=True, held=False):
            if item.child_id in held_now:
                RetentionItem.objects.filter(pk=item.pk).update(held=True)
                continue
            anonymise_child(item.child, now=now)
            RetentionItem.objects.filter(pk=item.pk).update(done_at=now)
            # The erasure is recorded as metadata only: which child id, when, by whose approval.
            access_log_record(
                user=run.approved_by,
                child_id=item.child_id,
                object_type=CASE_FILE,
                object_id=run.pk,
                action=AccessAction.ERASE,
                reason="retention",
            )
        run.access_log_erased = erase_access_log_before(run.access_log_cutoff)
        run.status, run.finished_at = RetentionRunStatus.DONE, timezone.now()
        run.save(update_fields=["access_log_erased", "status", "finished_at"])
    return run
