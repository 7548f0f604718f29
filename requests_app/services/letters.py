"""Letters, notices, outbound messages and officers' digests.

- ``letters_produce`` fills the council's template for each addressee, renders a PDF with
  WeasyPrint, stores it through Django's storage API under a random key, and writes one
  ``OutboundMessage`` per emailed letter (a letter for somebody who asked for post is marked
  for printing instead). It runs inside the caller's transaction; each message is handed to
  Celery only after commit, so a rolled-back change sends nothing.
- ``decision_letters_issue`` is the decision flow's hook (reg 5(1), 4(2), 5(2)).
- ``message_send`` sends one message through the configured backend (``requests_app.messaging``);
  ``messages_sweep`` re-queues messages the broker never delivered.
- ``digests_build`` writes each officer's morning digest, once a day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML  # type: ignore[import-untyped]

from core.errors import NotPermitted, ValidationFailed
from core.roles import Capability, user_can
from requests_app import contacts as people_rules
from requests_app import letters as rules
from requests_app import workflow
from requests_app.messaging import OutgoingEmail, SendFailed, SendRejected, get_backend
from requests_app.models import AdviceRequest, AssessmentDecision, AssessmentRequest
from requests_app.people_models import Contact, Letter, LetterTemplate, MessageState, OfficerDigest, OutboundMessage
from requests_app.services.common import long_date, require, write_event

logger = logging.getLogger(__name__)

SEND_TASK = "requests_app.send_message"
MAX_ATTEMPTS = 5
# A queued message older than this with no attempt is presumed lost by the broker.
SWEEP_AFTER = timedelta(minutes=10)
DIGEST_HORIZON_DAYS = 7


# --- Templates ----------------------------------------------------------------------------------


def can_edit_templates(user: Any) -> bool:
    return user_can(user, Capability.REQUEST_DECIDE) or user_can(user, Capability.ADMIN)


def letter_template_text(kind: rules.LetterKind | str) -> rules.TemplateText:
    """The council's wording if it saved one, otherwise the default."""
    row = LetterTemplate.objects.filter(kind=kind).first()
    if row is not None:
        return rules.TemplateText(row.subject, row.body)
    return rules.DEFAULT_TEMPLATES[rules.LetterKind(kind)]


def letter_template_update(*, actor: User, kind: str, subject: str, body: str) -> LetterTemplate:
    if not can_edit_templates(actor):
        raise NotPermitted("You do not have permission to do this.")
    if kind not in {k.value for k in rules.LetterKind}:
        raise ValidationFailed("Select a letter", field="kind")
    errors: dict[str, list[str]] = {}
    if not subject.strip():
        errors.setdefault("subject", []).append("Enter the subject")
    if not body.strip():
        errors.setdefault("body", []).append("Enter the letter's text")
    for field, text in (("subject", subject), ("body", body)):
        for message in rules.template_errors(text):
            errors.setdefault(field, []).append(message)
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(messages[0], field=field, errors=errors)
    with transaction.atomic():
        row, _ = LetterTemplate.objects.select_for_update().get_or_create(
            kind=kind, defaults={"subject": subject, "body": body, "updated_by": actor}
        )
        row.subject, row.body, row.updated_by = subject.strip(), body.strip(), actor
        row.save()
    return row


# --- Producing letters ----------------------------------------------------------------------------


def _case_values(request: AssessmentRequest, *, dated_on: date, actor: User | None) -> dict[str, str]:
    child = request.child
    decision = (
        AssessmentDecision.objects.filter(request=request, superseded=False).order_by("-decided_at", "-pk").first()
    )
    reasons = ""
    if decision is not None:
        labels = workflow.S36_ASSESS_REASONS | workflow.S36_REFUSAL_REASONS
        reasons = "\n".join(f"- {labels.get(code, code)}" for code in decision.reasons)
        if decision.reasons_text:
            reasons = f"{reasons}\n{decision.reasons_text}".strip()
    officer = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        officer = actor.get_full_name() or actor.username
    return {
        "child_name": child.full_name,
        "child_first_name": child.forename,
        "child_date_of_birth": long_date(child.date_of_birth),
        "request_reference": request.reference or str(request.pk),
        "received_on": long_date(request.received_on),
        "letter_date": long_date(dated_on),
        "decision_date": long_date(decision.notified_on) if decision else "",
        "reasons": reasons or "(see the enclosed decision)",
        "officer_name": officer or "The SEN team",
        "council_name": str(settings.COUNCIL_NAME),
        "establishment_name": child.current_establishment.name if child.current_establishment else "their setting",
    }


def render_pdf(*, subject: str, body: str, addressee_name: str, addressee_address: str, dated_on: date) -> bytes:
    """The letter as a PDF. The text is escaped by the template (autoescape)."""
    html = render_to_string(
        "requests_app/letter_pdf.html",
        {
            "council_name": settings.COUNCIL_NAME,
            "subject": subject,
            "paragraphs": [p for p in body.split("\n\n")],
            "addressee_name": addressee_name,
            "addressee_address": addressee_address,
            "dated_on": long_date(dated_on),
        },
    )
    return bytes(HTML(string=html).write_pdf())


def letters_produce(
    *,
    request: AssessmentRequest,
    kind: rules.LetterKind,
    recipients: list[Contact],
    dated_on: date,
    actor: User | None,
) -> list[Letter]:
    """One letter per recipient, each with its PDF and (unless posted) its message. Call inside
    the caller's transaction; no permission check here (the calling service made it)."""
    template = letter_template_text(kind)
    base = _case_values(request, dated_on=dated_on, actor=actor)
    made: list[Letter] = []
    for contact in recipients:
        address = "\n".join(part for part in (contact.address, contact.postcode) if part)
        values = {**base, "addressee_name": contact.name, "addressee_address": address}
        subject = rules.fill(template.subject, values)
        body = rules.fill(template.body, values)
        pdf = render_pdf(
            subject=subject, body=body, addressee_name=contact.name, addressee_address=address, dated_on=dated_on
        )
        letter = Letter(
            request=request,
            kind=kind.value,
            regulation=rules.REGULATION[kind],
            contact=contact,
            addressee_name=contact.name,
            addressee_address=address,
            subject=subject,
            body=body,
            dated_on=dated_on,
            for_print=contact.by_post,
            created_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        )
        letter.pdf.save("letter.pdf", ContentFile(pdf), save=False)
        letter.save()
        if not contact.by_post:
            message = OutboundMessage.objects.create(letter=letter, to_email=contact.email, subject=subject, body=body)
            message_enqueue_on_commit(message.pk)
        made.append(letter)
    return made


def letter_issue(
    *,
    actor: User,
    request: AssessmentRequest | int,
    kind: str,
    contact_ids: list[int],
    dated_on: date | None = None,
) -> list[Letter]:
    """An officer sends a letter of ``kind`` to chosen people on the file (one event)."""
    require(actor, Capability.REQUEST_DECIDE)
    if kind not in {k.value for k in rules.LetterKind}:
        raise ValidationFailed("Select the letter to send", field="kind")
    if not contact_ids:
        raise ValidationFailed("Select who the letter goes to", field="contact_ids")
    dated_on = dated_on or timezone.localdate()
    with transaction.atomic():
        pk = request.pk if isinstance(request, AssessmentRequest) else request
        locked = AssessmentRequest.objects.select_for_update().select_related("child").get(pk=pk)
        recipients = list(Contact.objects.current().filter(child_id=locked.child_id, pk__in=contact_ids))
        if len(recipients) != len(set(contact_ids)):
            raise ValidationFailed("Select people who are on the child's file", field="contact_ids")
        made = letters_produce(
            request=locked, kind=rules.LetterKind(kind), recipients=recipients, dated_on=dated_on, actor=actor
        )
        write_event(
            locked,
            actor=actor,
            action="letter_issued",
            from_status=locked.status,
            payload={
                "letter_ids": [letter.pk for letter in made],
                "kind": kind,
                "regulation": rules.REGULATION[rules.LetterKind(kind)],
                "dated_on": dated_on,
            },
        )
    return made


@dataclass(frozen=True)
class DecisionLetters:
    family: list[Letter]
    reg_4_2: list[Letter]
    reg_5_2: list[Letter]
    problem: str


def decision_letters_issue(
    *, request: AssessmentRequest, outcome: str, notified_on: date, actor: User
) -> DecisionLetters:
    """The decision whether to assess, told to the parent or young person (reg 5(1)) and to
    those notified under reg 4(2) (reg 5(2)); a reg 4(2) notification not yet recorded for one
    of them is recorded first. Runs inside ``request_decide_assessment``'s transaction."""
    on_file = list(Contact.objects.current().filter(child_id=request.child_id))
    if not on_file:
        # Nobody recorded yet: no letter can be addressed (the people page asks for a parent).
        return DecisionLetters([], [], [], "Nobody is recorded on the child's file")
    facts = [c.facts() for c in on_file]
    by_id = {c.pk: c for c in on_file}
    who = people_rules.letter_recipients(request.child.date_of_birth, notified_on, facts)
    kind = rules.LetterKind.DECISION_TO_ASSESS if outcome == "assess" else rules.LetterKind.DECISION_NOT_TO_ASSESS
    family = letters_produce(
        request=request, kind=kind, recipients=[by_id[i] for i in who.contact_ids], dated_on=notified_on, actor=actor
    )
    professionals = [by_id[i] for i in people_rules.reg_4_2_recipients(facts)]
    already = set(
        Letter.objects.filter(request=request, kind=rules.LetterKind.REG_4_2_NOTIFICATION).values_list(
            "contact_id", flat=True
        )
    )
    reg_4_2 = letters_produce(
        request=request,
        kind=rules.LetterKind.REG_4_2_NOTIFICATION,
        recipients=[c for c in professionals if c.pk not in already],
        dated_on=notified_on,
        actor=actor,
    )
    reg_5_2 = letters_produce(
        request=request,
        kind=rules.LetterKind.REG_5_2_DECISION_NOTICE,
        recipients=professionals,
        dated_on=notified_on,
        actor=actor,
    )
    return DecisionLetters(family, reg_4_2, reg_5_2, who.problem)


# --- Sending --------------------------------------------------------------------------------------


def message_enqueue(message_id: int) -> bool:
    """Hand one message to Celery. If the broker is down the row stays queued and the sweeper
    sends it later: nothing is lost (the row was committed before this is called)."""
    try:
        current_app.send_task(SEND_TASK, args=[message_id])
    except Exception:  # kombu raises OperationalError and friends; any failure leaves the row queued
        logger.warning("Could not queue message %s; the sweeper will retry", message_id)
        return False
    return True


def message_enqueue_on_commit(message_id: int) -> None:
    transaction.on_commit(lambda: message_enqueue(message_id))


def retry_delay(attempts: int) -> int:
    """Seconds before the next try: 1, 2, 4, 8 minutes... (exponential backoff)."""
    return int(60 * 2 ** max(attempts - 1, 0))


def message_send(*, message_id: int) -> OutboundMessage:
    """Send one message (safe to run twice: a sent message is left alone). Raises ``SendFailed``
    when a retry is worth it; the message then shows "retrying" (or "failed" at the last try)."""
    failed: SendFailed | None = None
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update(of=("self",)).select_related("letter").get(pk=message_id)
        if message.state in (MessageState.SENT, MessageState.FAILED):
            return message
        backend = get_backend()
        attachment = None
        if message.letter is not None:
            with message.letter.pdf.open("rb") as handle:
                attachment = handle.read()
        email = OutgoingEmail(
            reference=f"msg-{message.pk}",
            to_email=message.to_email,
            subject=message.subject,
            body=message.body,
            attachment=attachment,
        )
        message.attempts += 1
        message.last_attempt_at = timezone.now()
        message.backend = backend.name
        try:
            message.provider_id = backend.send_email(email)[:100]
        except SendRejected as exc:
            message.state, message.last_error = MessageState.FAILED, str(exc)[:300]
            message.save()
            return message
        except SendFailed as exc:
            last = message.attempts >= MAX_ATTEMPTS
            message.state = MessageState.FAILED if last else MessageState.RETRYING
            message.last_error = str(exc)[:300]
            message.save()
            if last:
                return message
            failed = exc  # raised after the block commits, so the attempt is recorded
        else:
            message.state, message.sent_at, message.last_error = MessageState.SENT, timezone.now(), ""
            message.save()
            return message
    assert failed is not None
    raise failed


def messages_sweep(*, now: Any = None) -> list[int]:
    """Re-queue messages the broker lost: queued or retrying, and not tried for a while."""
    now = now or timezone.now()
    cutoff = now - SWEEP_AFTER
    stuck = OutboundMessage.objects.pending().filter(
        Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created_at__lt=cutoff)
    )
    ids = list(stuck.values_list("pk", flat=True)[:500])
    for message_id in ids:
        message_enqueue(message_id)
    return ids


# --- Officers' digests ----------------------------------------------------------------------------


def digest_items(*, officer: User, day: date) -> list[dict[str, Any]]:
    """The officer's requests whose next deadline is within 7 days or past, and the advice
    due back on their requests within 7 days or overdue. Ids, references and dates only."""
    horizon = day + timedelta(days=DIGEST_HORIZON_DAYS)
    items: list[dict[str, Any]] = []
    requests = (
        AssessmentRequest.objects.open()
        .filter(assigned_officer=officer, next_deadline_on__lte=horizon)
        .order_by("next_deadline_on", "pk")
        .values("pk", "reference", "next_deadline_on", "status")
    )
    for row in requests:
        due = row["next_deadline_on"]
        assert due is not None  # filtered on it above
        items.append(
            {
                "kind": "request",
                "request_id": row["pk"],
                "reference": row["reference"],
                "due_on": due.isoformat(),
                "overdue": due < day,
                "what": workflow.stage_label(row["status"]),
            }
        )
    advice = (
        AdviceRequest.objects.outstanding()
        .filter(request__assigned_officer=officer, target_on__lte=horizon)
        .order_by("target_on", "pk")
        .values("pk", "request_id", "request__reference", "target_on", "adviser_type")
    )
    for advice_row in advice:
        advice_due: date = advice_row["target_on"]
        items.append(
            {
                "kind": "advice",
                "request_id": advice_row["request_id"],
                "reference": advice_row["request__reference"],
                "due_on": advice_due.isoformat(),
                "overdue": advice_due < day,
                "what": f"Advice due back ({advice_row['adviser_type'].replace('_', ' ')})",
            }
        )
    return items


def _digest_body(items: list[dict[str, Any]], day: date) -> str:
    lines = [f"Your deadlines on {long_date(day)} (within 7 days or overdue):", ""]
    for item in items:
        flag = "OVERDUE " if item["overdue"] else ""
        lines.append(f"- {flag}{item['reference']}: {item['what']}, due {item['due_on']}")
    return "\n".join(lines)


def digest_build(*, officer: User, day: date) -> OfficerDigest | None:
    """One officer's digest for ``day``: written once (the unique constraint makes a second
    run a no-op) and emailed through the same backend as letters."""
    items = digest_items(officer=officer, day=day)
    if not items:
        return None
    try:
        with transaction.atomic():
            digest = OfficerDigest.objects.create(officer=officer, day=day, items=items)
            if officer.email:
                digest.message = OutboundMessage.objects.create(
                    officer=officer,
                    to_email=officer.email,
                    subject=f"SEN Portal: {len(items)} deadline(s) to watch",
                    body=_digest_body(items, day),
                )
                digest.save(update_fields=["message"])
                message_enqueue_on_commit(digest.message.pk)
    except IntegrityError:
        return None  # already built today
    return digest


def digests_build(*, day: date | None = None) -> int:
    """Every officer's digest for ``day`` (the beat job's entry point). Returns how many were new."""
    day = day or timezone.localdate()
    officer_ids = (
        AssessmentRequest.objects.open()
        .filter(assigned_officer__isnull=False, assigned_officer__is_active=True)
        .values_list("assigned_officer_id", flat=True)
        .distinct()
    )
    made = 0
    for officer in User.objects.filter(pk__in=list(officer_ids)).order_by("pk"):
        if digest_build(officer=officer, day=day) is not None:
            made += 1
    return made
