"""Letters, notices, outbound messages and officers' digests.

- ``letters_produce`` fills the council's template for each addressee and writes the letter
  ("being prepared") and one ``OutboundMessage`` per emailed letter (a letter for somebody who
  asked for post is marked for printing instead), inside the caller's transaction. After commit
  the worker renders the PDF with WeasyPrint (``letter_render``), stores it through Django's
  storage API under a random key and only then queues the email, so a rolled-back change sends
  nothing and the change's lock is not held while PDFs render. The sweeper re-queues a letter
  whose render was lost or failed: none is lost.
- ``auto_letters_issue`` is the hook of every change that sends letters itself (the request
  received, the decisions, the draft and final plan, ``advice_letters_issue`` for advice).
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
from requests_app.models import AdviceRequest, AdviserType, AssessmentDecision, AssessmentRequest, RequestEvent
from requests_app.people_models import (
    Contact,
    Letter,
    LetterState,
    LetterTemplate,
    MessageState,
    NotificationGap,
    OfficerDigest,
    OutboundMessage,
)
from requests_app.services.common import long_date, require, write_event

logger = logging.getLogger(__name__)

SEND_TASK = "requests_app.send_message"
RENDER_TASK = "requests_app.render_letter"
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
        "named_setting": request.named_establishment.name if request.named_establishment else "no school or setting",
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
    event: RequestEvent | None = None,
) -> list[Letter]:
    """One letter per recipient, each with its PDF and (unless posted) its message. Call inside
    the caller's transaction; no permission check here (the calling service made it). ``event``:
    the recorded change that sends it (an automatic letter)."""
    template = letter_template_text(kind)
    base = _case_values(request, dated_on=dated_on, actor=actor)
    made: list[Letter] = []
    for contact in recipients:
        address = "\n".join(part for part in (contact.address, contact.postcode) if part)
        values = {**base, "addressee_name": contact.name, "addressee_address": address}
        subject = rules.fill(template.subject, values)
        body = rules.fill(template.body, values)
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
            event=event,
            state=LetterState.PREPARING,
        )
        letter.save()
        if not contact.by_post:
            OutboundMessage.objects.create(letter=letter, to_email=contact.email, subject=subject, body=body)
        letter_render_enqueue_on_commit(letter.pk)
        made.append(letter)
    return made


def letter_render(*, letter_id: int) -> Letter:
    """The worker's half of a letter: render the PDF from the text the change stored, keep it,
    mark the letter ready and queue its email (after commit). Safe to run twice (a ready letter
    is left alone); a failure leaves the letter "being prepared" for the sweeper to retry."""
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter_id)
        if letter.state != LetterState.PREPARING:
            return letter
        pdf = render_pdf(
            subject=letter.subject,
            body=letter.body,
            addressee_name=letter.addressee_name,
            addressee_address=letter.addressee_address,
            dated_on=letter.dated_on,
        )
        letter.pdf.save("letter.pdf", ContentFile(pdf), save=False)
        letter.state = LetterState.READY
        letter.save(update_fields=["pdf", "state"])
        for message_id in letter.messages.pending().values_list("pk", flat=True):
            message_enqueue_on_commit(message_id)
    return letter


def letter_render_enqueue(letter_id: int) -> bool:
    """Hand one letter to the worker to render. If the broker is down the letter stays "being
    prepared" and the sweeper queues it later (the row was committed before this is called)."""
    try:
        current_app.send_task(RENDER_TASK, args=[letter_id])
    except Exception:  # kombu raises OperationalError and friends; the sweeper retries
        logger.warning("Could not queue letter %s for rendering; the sweeper will retry", letter_id)
        return False
    return True


def letter_render_enqueue_on_commit(letter_id: int) -> None:
    transaction.on_commit(lambda: letter_render_enqueue(letter_id))


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
class AutoLetters:
    letters: list[Letter]
    # (kind, addressee) that had nobody on file: each also written as a NotificationGap.
    missing: list[tuple[str, str]]


def auto_letters_issue(
    *,
    request: AssessmentRequest,
    event: RequestEvent,
    actor: User | None,
    dated_on: date,
    pairs: tuple[tuple[rules.LetterKind, rules.Addressee], ...] | None = None,
) -> AutoLetters:
    """The letters a recorded change sends (``rules.AUTO_LETTERS`` for its action, or ``pairs``),
    addressed to the contacts on the child's file, linked to ``event``. Runs inside the change's
    transaction (the service holds the request's lock); the emails are queued after commit, so a
    change rolled back sends nothing. Safe to call twice for one event: a contact who already has
    that letter for that event gets no second one (and the database refuses one). An addressee
    with nobody on file is recorded as a ``NotificationGap``, shown on the case and its timeline."""
    pairs = rules.AUTO_LETTERS.get(event.action, ()) if pairs is None else pairs
    if not pairs:
        return AutoLetters([], [])
    on_file = list(Contact.objects.current().filter(child_id=request.child_id))
    by_id = {c.pk: c for c in on_file}
    setting = named_setting(request)
    who = people_rules.addressees(
        request.child.date_of_birth, dated_on, [c.facts() for c in on_file], named_setting=setting
    )
    made: list[Letter] = []
    missing: list[tuple[str, str]] = []
    for kind, addressee in pairs:
        if addressee == rules.Addressee.NAMED_SETTING and setting is None:
            continue  # the plan names no setting (placement type "other"): nobody to send it to
        ids = who.get(addressee.value, ())
        if not ids:
            missing.append((kind.value, addressee.value))
            NotificationGap.objects.get_or_create(
                event=event, kind=kind.value, addressee=addressee.value, defaults={"request": request}
            )
            continue
        done = set(Letter.objects.filter(event=event, kind=kind).values_list("contact_id", flat=True))
        if kind == rules.LetterKind.REG_5_2_DECISION_NOTICE:
            # reg 5(2) tells "those notified under reg 4(2)": one not yet notified is notified first.
            notified = set(
                Letter.objects.filter(request=request, kind=rules.LetterKind.REG_4_2_NOTIFICATION).values_list(
                    "contact_id", flat=True
                )
            )
            made += letters_produce(
                request=request,
                kind=rules.LetterKind.REG_4_2_NOTIFICATION,
                recipients=[by_id[i] for i in ids if i not in notified],
                dated_on=dated_on,
                actor=actor,
                event=event,
            )
        made += letters_produce(
            request=request,
            kind=kind,
            recipients=[by_id[i] for i in ids if i not in done],
            dated_on=dated_on,
            actor=actor,
            event=event,
        )
    return AutoLetters(made, missing)


def advice_letters_issue(
    *, request: AssessmentRequest, event: RequestEvent, adviser_type: str, actor: User, dated_on: date
) -> AutoLetters:
    """The request for advice (reg 6(1)), to the adviser the type names (``rules.advice_addressee``);
    preparing-for-adulthood and other advice have no automatic letter (the officer sends it)."""
    addressee = rules.advice_addressee(adviser_type)
    if addressee is None:
        return AutoLetters([], [])
    return auto_letters_issue(
        request=request,
        event=event,
        actor=actor,
        dated_on=dated_on,
        pairs=((rules.LetterKind.ADVICE_REQUEST, addressee),),
    )


def named_setting(request: AssessmentRequest) -> people_rules.NamedSetting | None:
    """The setting named in the request's final plan, for ``people_rules.named_setting_recipients``."""
    named = request.named_establishment
    if named is None:
        return None
    return people_rules.NamedSetting(named.pk, named.name, request.child.current_establishment_id)


def notification_gaps(request: AssessmentRequest) -> list[str]:
    """The automatic letters on this request that had nobody to go to and have not been sent
    since (to anybody of that kind of addressee): "Decision to assess not sent to the parent or
    young person: no contact recorded". Shown on the request and its people page. A final plan
    not sent to the setting named in it names the setting, and closes only with a letter to
    somebody at that setting."""
    gaps: list[str] = []
    seen: set[tuple[str, str]] = set()
    setting = named_setting(request)
    for gap in NotificationGap.objects.filter(request=request).order_by("created_at", "pk"):
        if (gap.kind, gap.addressee) in seen:
            continue
        seen.add((gap.kind, gap.addressee))
        later = Letter.objects.filter(request=request, kind=gap.kind, created_at__gte=gap.created_at)

        def closes(contact: Contact, addressee: str = gap.addressee) -> bool:
            if addressee == rules.Addressee.NAMED_SETTING:
                return setting is not None and people_rules.at_named_setting(contact.facts(), setting)
            return addressee_of(contact) == addressee

        if not any(closes(letter.contact) for letter in later.select_related("contact")):
            gaps.append(rules.gap_message(gap.kind, gap.addressee, setting_name=setting.name if setting else ""))
    return gaps


def addressee_of(contact: Contact) -> str:
    """Which kind of addressee a contact is (for the gaps: a letter to any of them closes one)."""
    if contact.kind != people_rules.ContactKind.PROFESSIONAL:
        return rules.Addressee.FAMILY.value
    return {
        people_rules.ProfessionalRole.HEAD_TEACHER.value: rules.Addressee.SCHOOL.value,
        people_rules.ProfessionalRole.SENCO.value: rules.Addressee.SCHOOL.value,
        people_rules.ProfessionalRole.HEALTH.value: rules.Addressee.HEALTH.value,
        people_rules.ProfessionalRole.SOCIAL_CARE.value: rules.Addressee.SOCIAL_CARE.value,
        people_rules.ProfessionalRole.EP_SERVICE.value: rules.Addressee.EP_SERVICE.value,
    }.get(contact.professional_role, "")


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
        if message.letter is not None and message.letter.state == LetterState.PREPARING:
            return message  # not before its PDF: letter_render queues it once the letter is ready
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
    """Re-queue messages the broker lost: queued or retrying, and not tried for a while; and
    letters still being prepared a while after they were written (the broker lost the render,
    or it failed), for rendering again."""
    now = now or timezone.now()
    cutoff = now - SWEEP_AFTER
    for letter_id in Letter.objects.preparing().filter(created_at__lt=cutoff).values_list("pk", flat=True)[:500]:
        letter_render_enqueue(letter_id)
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
                "what": f"Advice due back ({_adviser_label(advice_row['adviser_type'])})",
            }
        )
    return items


def _adviser_label(code: str) -> str:
    """The adviser type's label ("Educational psychology"), never the raw code."""
    return str(dict(AdviserType.choices).get(code, code.replace("_", " ")))


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
