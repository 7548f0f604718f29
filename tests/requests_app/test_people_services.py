"""Contacts, letters, the decision hook, sending (outbox, Notify against a fake server, retries,
broker outage) and the officers' digest, at the services (PostgreSQL)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from unittest import mock

import jwt
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import NotPermitted, ValidationFailed
from requests_app.models import Contact, Letter, OfficerDigest, OutboundMessage, RequestEvent
from requests_app.people_models import MessageState
from requests_app.services import contacts as contact_services
from requests_app.services import letters as letter_services
from requests_app.services import lifecycle
from requests_app.tasks import send_message
from tests.conftest import Personas, signed_in
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AwaitingDecisionRequestFactory,
    ChildFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MESSAGE_BACKEND = "outbox"


def family(personas: Personas, request: Any) -> dict[str, Contact]:
    add = contact_services.contact_add
    officer = personas.officer
    return {
        "mum": add(
            actor=officer,
            request=request,
            kind="parent",
            name="Ada Testparent",
            relationship="Mother",
            parental_responsibility=True,
            email="ada@example.org",
            preferred_contact="email",
        ),
        "dad": add(
            actor=officer,
            request=request,
            kind="parent",
            name="Ben Testparent",
            relationship="Father",
            parental_responsibility=True,
            address="1 Test Road\nMaidstone",
            postcode="ME14 1XX",
            preferred_contact="post",
        ),
        "head": add(
            actor=officer,
            request=request,
            kind="professional",
            name="Cat Head",
            professional_role="head_teacher",
            organisation="Test Primary School",
            email="head@school.example",
            preferred_contact="email",
        ),
        "senco": add(
            actor=officer,
            request=request,
            kind="professional",
            name="Dee Senco",
            professional_role="senco",
            organisation="Test Primary School",
            email="senco@school.example",
            preferred_contact="email",
        ),
        "dco": add(
            actor=officer,
            request=request,
            kind="professional",
            name="Eve Clinician",
            professional_role="health",
            organisation="Kent and Medway ICB",
            email="dco@icb.example",
            preferred_contact="email",
        ),
    }


# --- Contacts ----------------------------------------------------------------------------------


def test_adding_a_contact_writes_one_event_without_personal_data(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    contact = contact_services.contact_add(
        actor=personas.officer,
        request=request,
        kind="parent",
        name="Ada Testparent",
        parental_responsibility=True,
        email="ada@example.org",
    )
    event = RequestEvent.objects.get(request=request, action="contact_changed")
    assert event.payload["contact_id"] == contact.pk and event.payload["change"] == "added"
    assert "Ada" not in json.dumps(event.payload)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "parent", "name": "", "email": "a@example.org"}, "name"),
        ({"kind": "parent", "name": "A", "preferred_contact": "email"}, "email"),
        ({"kind": "parent", "name": "A", "preferred_contact": "post"}, "address"),
        ({"kind": "professional", "name": "A", "email": "a@example.org"}, "professional_role"),
        ({"kind": "professional", "name": "A", "email": "a@x.org", "professional_role": "senco"}, "organisation"),
        ({"kind": "parent", "name": "A", "email": "not-an-email"}, "email"),
        ({"kind": "alien", "name": "A", "email": "a@example.org"}, "kind"),
    ],
)
def test_a_contact_missing_what_its_kind_needs_is_refused_naming_the_field(
    personas: Personas, values: dict[str, Any], field: str
) -> None:
    request = AwaitingDecisionRequestFactory()
    with pytest.raises(ValidationFailed) as refused:
        contact_services.contact_add(actor=personas.officer, request=request, **values)
    assert field in refused.value.errors
    assert not Contact.objects.exists()


def test_only_one_young_person_per_child(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    values = {"kind": "young_person", "name": "Y P", "email": "yp@example.org"}
    contact_services.contact_add(actor=personas.officer, request=request, **values)
    with pytest.raises(ValidationFailed) as refused:
        contact_services.contact_add(actor=personas.officer, request=request, **values)
    assert refused.value.field == "kind"


def test_the_database_refuses_a_professional_without_an_organisation() -> None:
    child = ChildFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(child=child, kind="professional", name="X", professional_role="senco", email="x@y.z")


def test_the_database_refuses_parental_responsibility_for_a_professional() -> None:
    child = ChildFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(
            child=child,
            kind="professional",
            name="X",
            professional_role="senco",
            organisation="S",
            email="x@y.z",
            parental_responsibility=True,
        )


@pytest.mark.parametrize("role", ["evaluator", "ep", "head_teacher", "finance", "manager"])
def test_only_officers_change_contacts(personas: Personas, role: str) -> None:
    request = AwaitingDecisionRequestFactory()
    with pytest.raises(NotPermitted):
        contact_services.contact_add(
            actor=getattr(personas, role), request=request, kind="parent", name="A", email="a@example.org"
        )


def test_removing_a_contact_keeps_the_row_for_earlier_letters(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    people = family(personas, request)
    contact_services.contact_remove(actor=personas.officer, request=request, contact=people["dad"])
    assert Contact.objects.current().filter(pk=people["dad"].pk).count() == 0
    assert Contact.objects.filter(pk=people["dad"].pk).exists()


# --- The decision hook (regs 5(1), 4(2), 5(2)) ---------------------------------------------------


@pytest.mark.embedded
def test_deciding_to_assess_writes_letters_to_the_parents_not_the_school_requester(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    request = AwaitingDecisionRequestFactory(source="school", requester_name="Mrs Ng (SENCO)")
    people = family(personas, request)
    with (
        mock.patch.object(letter_services, "message_enqueue", return_value=True) as enqueue,
        mock.patch.object(letter_services, "letter_render_enqueue", return_value=True) as render_enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        lifecycle.request_decide_assessment(
            actor=personas.officer, request=request, outcome="assess", notified_on=days_ago(1)
        )
    # The change wrote the letters and their messages; no PDF was rendered inside it.
    assert render_enqueue.call_count == Letter.objects.count() == 6
    assert set(Letter.objects.values_list("state", flat=True)) == {"preparing"} and enqueue.call_count == 0
    family_letters = Letter.objects.filter(request=request, kind="decision_to_assess")
    assert {letter.contact_id for letter in family_letters} == {people["mum"].pk, people["dad"].pk}
    assert all("Mrs Ng" not in letter.body for letter in family_letters)
    # The worker renders each one after commit, and only then queues its email.
    with (
        mock.patch.object(letter_services, "message_enqueue", return_value=True) as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for letter_id in Letter.objects.values_list("pk", flat=True):
            letter_services.letter_render(letter_id=letter_id)
    mum_letter = family_letters.get(contact=people["mum"])
    assert mum_letter.state == "ready" and mum_letter.body.startswith("Dear Ada Testparent")
    assert mum_letter.regulation == "reg 5(1)" and mum_letter.dated_on == days_ago(1)
    with mum_letter.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert "Testchild" not in mum_letter.pdf.name and mum_letter.pdf.name.startswith("letters/")
    # The father asked for post: his letter is marked for printing and not emailed.
    dad_letter = family_letters.get(contact=people["dad"])
    assert dad_letter.for_print and not dad_letter.messages.exists()
    assert mum_letter.messages.get().state == MessageState.QUEUED
    # reg 4(2) and 5(2): the head teacher and the ICB (the SENCO stands in only without a head).
    for kind in ("reg_4_2_notification", "reg_5_2_decision_notice"):
        told = set(Letter.objects.filter(request=request, kind=kind).values_list("contact_id", flat=True))
        assert told == {people["head"].pk, people["dco"].pk}
    # Each emailed letter was handed to Celery once its PDF was ready.
    assert enqueue.call_count == OutboundMessage.objects.count() == 5
    # Rendering again changes nothing.
    again = letter_services.letter_render(letter_id=mum_letter.pk)
    assert again.pdf.name == mum_letter.pdf.name


def test_a_letter_whose_render_fails_stays_being_prepared_unsent_until_the_sweeper_retries(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    request = AwaitingDecisionRequestFactory()
    people = family(personas, request)
    lifecycle.request_decide_assessment(
        actor=personas.officer, request=request, outcome="assess", notified_on=days_ago(1)
    )
    request.refresh_from_db()
    assert request.status == "assessing"  # the decision stands, whatever happens to the PDFs
    letter = Letter.objects.get(kind="decision_to_assess", contact=people["mum"])
    with (
        mock.patch.object(letter_services, "render_pdf", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        letter_services.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    assert letter.state == "preparing" and not letter.pdf
    # Its email is not sent without the PDF, even if the message is picked up.
    message = letter.messages.get()
    assert letter_services.message_send(message_id=message.pk).state == MessageState.QUEUED
    # The page says so and offers no download; the download itself is not found.
    client = signed_in(personas.officer)
    page = client.get(reverse("requests:people", args=[request.pk])).content.decode()
    assert "Being prepared" in page
    assert client.get(reverse("requests:letter-download", args=[request.pk, letter.pk])).status_code == 404
    # Ten minutes on, the sweeper hands it to the worker again, which renders it and sends it.
    with mock.patch("requests_app.services.letters.current_app.send_task") as send_task:
        letter_services.messages_sweep(now=timezone.now() + timedelta(minutes=11))
    send_task.assert_any_call("requests_app.render_letter", args=[letter.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert letter_services.letter_render(letter_id=letter.pk).state == "ready"
    assert len(callbacks) == 1  # its email, queued after the render commits
    assert letter_services.message_send(message_id=message.pk).state == MessageState.SENT


def test_a_template_edited_by_the_council_is_used_and_unsafe_text_refused(personas: Personas) -> None:
    with pytest.raises(ValidationFailed) as refused:
        letter_services.letter_template_update(
            actor=personas.officer, kind="decision_to_assess", subject="x", body="{{ settings.SECRET_KEY }}"
        )
    assert refused.value.field == "body"
    letter_services.letter_template_update(
        actor=personas.officer,
        kind="decision_to_assess",
        subject="Assessment for {child_first_name}",
        body="Hello {addressee_name}.",
    )
    request = AwaitingDecisionRequestFactory()
    family(personas, request)
    lifecycle.request_decide_assessment(
        actor=personas.officer, request=request, outcome="assess", notified_on=days_ago(1)
    )
    letter = Letter.objects.get(request=request, kind="decision_to_assess", contact__name="Ada Testparent")
    assert letter.body == "Hello Ada Testparent." and letter.subject == f"Assessment for {request.child.forename}"


# --- Sending -------------------------------------------------------------------------------------


def _queued_message(personas: Personas) -> OutboundMessage:
    request = AssessingRequestFactory()
    people = family(personas, request)
    letters = letter_services.letter_issue(
        actor=personas.officer, request=request, kind="advice_request", contact_ids=[people["dco"].pk]
    )
    letter_services.letter_render(letter_id=letters[0].pk)  # the worker's step
    return letters[0].messages.get()


def test_the_outbox_backend_marks_a_message_sent(personas: Personas) -> None:
    message = _queued_message(personas)
    sent = letter_services.message_send(message_id=message.pk)
    assert sent.state == MessageState.SENT and sent.backend == "outbox" and sent.attempts == 1
    # Running it twice sends nothing more.
    assert letter_services.message_send(message_id=message.pk).attempts == 1


class _FakeNotify(BaseHTTPRequestHandler):
    statuses: list[int] = []
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).received.append({"path": self.path, "auth": self.headers["Authorization"], "body": body})
        status = type(self).statuses.pop(0) if type(self).statuses else 201
        payload: dict[str, Any] = {"id": str(uuid.uuid4())} if status == 201 else {"errors": [{"error": "x"}]}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_notify(settings: Any) -> Iterator[type[_FakeNotify]]:
    server = HTTPServer(("127.0.0.1", 0), _FakeNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    settings.MESSAGE_BACKEND = "notify"
    settings.NOTIFY_API_KEY = f"senportal_test-{service_id}-{secret}"
    settings.NOTIFY_EMAIL_TEMPLATE_ID = str(uuid.uuid4())
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    _FakeNotify.statuses, _FakeNotify.received = [], []
    _FakeNotify.service_id, _FakeNotify.secret = service_id, secret  # type: ignore[attr-defined]
    yield _FakeNotify
    server.shutdown()
    server.server_close()


def test_notify_receives_the_email_signed_with_the_service_key(personas: Personas, fake_notify: Any) -> None:
    message = _queued_message(personas)
    sent = letter_services.message_send(message_id=message.pk)
    assert sent.state == MessageState.SENT and sent.backend == "notify" and sent.provider_id
    [call] = fake_notify.received
    assert call["path"] == "/v2/notifications/email"
    assert call["body"]["email_address"] == "dco@icb.example"
    assert call["body"]["reference"] == f"msg-{message.pk}"
    assert call["body"]["personalisation"]["subject"] == message.subject
    assert call["body"]["personalisation"]["link_to_file"]["file"]  # the PDF, base64
    token = call["auth"].removeprefix("Bearer ")
    claims = jwt.decode(token, fake_notify.secret, algorithms=["HS256"])
    assert claims["iss"] == fake_notify.service_id


def test_a_failed_notify_send_is_retried_with_backoff_then_sent(personas: Personas, fake_notify: Any) -> None:
    message = _queued_message(personas)
    fake_notify.statuses = [500]
    with (
        mock.patch.object(send_message, "retry", side_effect=RuntimeError("retry scheduled")) as retry,
        pytest.raises(RuntimeError, match="retry scheduled"),
    ):
        send_message.run(message.pk)
    assert retry.call_args.kwargs["countdown"] == 60
    message.refresh_from_db()
    assert message.state == MessageState.RETRYING and message.attempts == 1 and "500" in message.last_error
    assert send_message.run(message.pk) == "sent"
    message.refresh_from_db()
    assert message.attempts == 2 and message.sent_at is not None


def test_a_message_notify_refuses_is_marked_failed_and_not_retried(personas: Personas, fake_notify: Any) -> None:
    message = _queued_message(personas)
    fake_notify.statuses = [400]
    assert send_message.run(message.pk) == "failed"


def test_a_broker_outage_loses_no_message(personas: Personas, django_capture_on_commit_callbacks: Any) -> None:
    with (
        mock.patch("requests_app.services.letters.current_app.send_task", side_effect=OSError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = _queued_message(personas)
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    # Ten minutes later the sweeper hands it to the broker again, which is back.
    with mock.patch("requests_app.services.letters.current_app.send_task") as send_task:
        swept = letter_services.messages_sweep(now=timezone.now() + timedelta(minutes=11))
    assert swept == [message.pk]
    send_task.assert_called_once_with("requests_app.send_message", args=[message.pk])


# --- Digest --------------------------------------------------------------------------------------


def test_the_digest_lists_an_officers_deadlines_once_a_day(personas: Personas) -> None:
    officer = personas.officer
    officer.email = "officer@council.example"
    officer.save()
    today = timezone.localdate()
    soon = AwaitingDecisionRequestFactory(assigned_officer=officer, received_on=today - timedelta(days=38))
    AwaitingDecisionRequestFactory(assigned_officer=officer, received_on=today - timedelta(days=5))  # not yet
    late = AwaitingDecisionRequestFactory(assigned_officer=officer, received_on=today - timedelta(days=60))
    assessing = AssessingRequestFactory(assigned_officer=officer, received_on=today - timedelta(days=20))
    AdviceRequestFactory(request=assessing, requested_on=today - timedelta(days=40))
    assert letter_services.digests_build(day=today) == 1
    assert letter_services.digests_build(day=today) == 0  # idempotent per day
    digest = OfficerDigest.objects.get(officer=officer, day=today)
    refs = {(item["kind"], item["reference"]) for item in digest.items}
    assert ("request", soon.reference) in refs and ("request", late.reference) in refs
    assert ("advice", assessing.reference) in refs
    assert len([i for i in digest.items if i["kind"] == "request"]) == 2
    assert any(item["overdue"] for item in digest.items)
    assert digest.message is not None and digest.message.to_email == "officer@council.example"
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficerDigest.objects.create(officer=officer, day=today, items=[])


def test_digest_dates_are_plain(personas: Personas) -> None:
    assert date.fromisoformat(days_ago(1).isoformat()) == days_ago(1)
