"""Automatic letters (docs/domain.md, "Letters and notices"): each recorded change that the law
says must be told sends its letters itself, through the outbox, linked to its event; nobody on
file is recorded and shown; one letter per contact per event; nothing on a failure or rollback.
Services on PostgreSQL."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.errors import ValidationFailed
from requests_app.models import AssessmentRequest, Contact, Letter, OutboundMessage, RequestEvent
from requests_app.people_models import NotificationGap
from requests_app.services import advice as advice_services
from requests_app.services import contacts as contact_services
from requests_app.services import letters as letter_services
from requests_app.services import lifecycle
from tests.conftest import Personas
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AwaitingDecisionRequestFactory,
    AwaitingIssueDecisionRequestFactory,
    ChildFactory,
    DistrictFactory,
    DraftingRequestFactory,
    DraftIssuedRequestFactory,
    EstablishmentFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MESSAGE_BACKEND = "outbox"


def _people(child_id: int, *roles: str, parents: int = 2) -> dict[str, Contact]:
    made: dict[str, Contact] = {}
    for n in range(parents):
        made[f"parent{n}"] = Contact.objects.create(
            child_id=child_id,
            kind="parent",
            name=f"Parent{n} Testfamily",
            parental_responsibility=True,
            email=f"p{n}@example.org",
        )
    for role in roles:
        made[role] = Contact.objects.create(
            child_id=child_id,
            kind="professional",
            name=f"{role} person",
            professional_role=role,
            organisation="Test organisation",
            email=f"{role}@example.org",
        )
    return made


def _sent(request: AssessmentRequest, kind: str) -> set[int]:
    return set(Letter.objects.filter(request=request, kind=kind).values_list("contact_id", flat=True))


def _event(request: AssessmentRequest, action: str) -> RequestEvent:
    return RequestEvent.objects.filter(request=request, action=action).latest("occurred_at", "pk")


# --- The request received: s.36(4) and reg 4(2) --------------------------------------------------


def test_a_new_request_tells_the_family_the_school_health_and_social_care(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    child = ChildFactory()
    people = _people(child.pk, "head_teacher", "senco", "health", "social_care")
    with (
        mock.patch.object(letter_services, "letter_render_enqueue", return_value=True) as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        request = lifecycle.request_create(
            actor=personas.officer, child=child, received_on=days_ago(2), source="school", requester_name="Mrs Ng"
        )
    assert _sent(request, "request_received") == {people["parent0"].pk, people["parent1"].pk}
    # reg 4(2): the head teacher (not the SENCO as well), the ICB and social care.
    assert _sent(request, "reg_4_2_notification") == {
        people["head_teacher"].pk,
        people["health"].pk,
        people["social_care"].pk,
    }
    created = _event(request, "created")
    assert set(Letter.objects.filter(request=request).values_list("event_id", flat=True)) == {created.pk}
    # Each letter is handed to the worker to render after commit (its email follows the PDF).
    assert enqueue.call_count == OutboundMessage.objects.count() == 5
    assert letter_services.notification_gaps(request) == []
    assert not NotificationGap.objects.filter(request=request).exists()


def test_nobody_on_file_is_recorded_and_shown_until_a_letter_reaches_them(personas: Personas) -> None:
    child = ChildFactory()
    people = _people(child.pk, "head_teacher", parents=1)
    request = lifecycle.request_create(actor=personas.officer, child=child, received_on=days_ago(2), source="parent")
    gaps = letter_services.notification_gaps(request)
    assert gaps == [
        "Notification that a request is being considered not sent to the health body (ICB): no contact recorded",
        "Notification that a request is being considered not sent to children's social care: no contact recorded",
    ]
    missing = NotificationGap.objects.filter(request=request)
    assert {gap.addressee for gap in missing} == {"health", "social_care"}
    assert {gap.event.action for gap in missing} == {"created"}
    assert _sent(request, "request_received") == {people["parent0"].pk}
    # The officer adds the ICB and sends the notification by hand: that gap closes.
    icb = _people(child.pk, "health", parents=0)["health"]
    letter_services.letter_issue(
        actor=personas.officer, request=request, kind="reg_4_2_notification", contact_ids=[icb.pk]
    )
    assert letter_services.notification_gaps(request) == [
        "Notification that a request is being considered not sent to children's social care: no contact recorded"
    ]


def test_a_new_child_with_nobody_on_file_shows_every_gap(personas: Personas) -> None:
    request = lifecycle.request_create(
        actor=personas.officer,
        child_data={
            "forename": "Gapless",
            "surname": "Testchild",
            "date_of_birth": days_ago(3000),
            "sex": "F",
            "postcode": "ME14 1XX",
            "district": DistrictFactory(),
            "primary_need": "ASD",
        },
        received_on=days_ago(1),
        source="parent",
        confirmed_different_child=True,
    )
    gaps = letter_services.notification_gaps(request)
    assert len(gaps) == 4 and gaps[0].startswith("Request received: we are considering it not sent to the parent")
    assert not Letter.objects.filter(request=request).exists()


def test_an_imported_request_sends_nothing(personas: Personas) -> None:
    child = ChildFactory()
    _people(child.pk, "head_teacher")
    request = lifecycle.request_create(
        actor=personas.admin, child=child, received_on=days_ago(200), source="parent", imported=True, reference="OLD-1"
    )
    assert not Letter.objects.filter(request=request).exists()
    assert letter_services.notification_gaps(request) == []


# --- The decisions and the plan ------------------------------------------------------------------


def test_a_refusal_sends_the_rights_to_the_family_and_tells_the_reg_4_2_bodies(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory(source="school", requester_name="Mrs Ng (SENCO)")
    people = _people(request.child_id, "head_teacher", "health")
    lifecycle.request_decide_assessment(
        actor=personas.officer,
        request=request,
        outcome="refuse",
        notified_on=days_ago(1),
        reasons=["needs_met_by_sen_support"],
        rights_text_sent=True,
    )
    refusals = Letter.objects.filter(request=request, kind="decision_not_to_assess")
    assert {letter.contact_id for letter in refusals} == {people["parent0"].pk, people["parent1"].pk}
    body = refusals.first().body  # type: ignore[union-attr]
    assert "appeal" in body and "mediation adviser within 2 months" in body
    assert _sent(request, "reg_5_2_decision_notice") == {people["head_teacher"].pk, people["health"].pk}
    event = _event(request, "decide_not_to_assess")
    assert all(letter.event_id == event.pk for letter in Letter.objects.filter(request=request))
    # Social care had nobody on file: shown.
    assert letter_services.notification_gaps(request) == [
        "Notice of the decision whether to assess not sent to children's social care: no contact recorded"
    ]


def test_a_hook_run_twice_for_one_event_sends_nothing_twice(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    _people(request.child_id, "head_teacher")
    lifecycle.request_decide_assessment(
        actor=personas.officer, request=request, outcome="assess", notified_on=days_ago(1)
    )
    before = (Letter.objects.count(), OutboundMessage.objects.count())
    event = _event(request, "decide_to_assess")
    again = letter_services.auto_letters_issue(
        request=request, event=event, actor=personas.officer, dated_on=days_ago(1)
    )
    assert again.letters == []
    assert (Letter.objects.count(), OutboundMessage.objects.count()) == before
    # The database refuses a second letter of a kind to one contact for one event.
    first = Letter.objects.filter(event=event).first()
    assert first is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(
            request=request,
            kind=first.kind,
            contact=first.contact,
            addressee_name="x",
            subject="x",
            body="x",
            pdf=first.pdf.name,
            dated_on=first.dated_on,
            event=event,
        )


def test_a_decision_not_to_issue_writes_the_family_letter(personas: Personas) -> None:
    request = AwaitingIssueDecisionRequestFactory()
    AdviceRequestFactory(request=request, requested_on=days_ago(20))
    people = _people(request.child_id, "health")
    lifecycle.request_decide_issue(
        actor=personas.officer,
        request=request,
        outcome="not_issue",
        notified_on=days_ago(1),
        reasons_text="Needs can be met at SEN support",
        rights_text_sent=True,
    )
    letters = Letter.objects.filter(request=request, kind="decision_not_to_issue")
    assert {letter.contact_id for letter in letters} == {people["parent0"].pk, people["parent1"].pk}
    assert all(letter.regulation == "reg 10(1) and 10(3)" for letter in letters)
    # reg 10(2): the health body is told; the school had nobody on file, so that shows.
    assert _sent(request, "reg_10_2_notice") == {people["health"].pk}
    assert letter_services.notification_gaps(request) == [
        "Notice of the decision not to issue a plan not sent to the school or setting (head teacher, principal "
        "or SEN lead): no contact recorded"
    ]


def test_a_decision_to_issue_sends_nothing_by_itself(personas: Personas) -> None:
    request = AwaitingIssueDecisionRequestFactory()
    _people(request.child_id)
    lifecycle.request_decide_issue(actor=personas.officer, request=request, outcome="issue", notified_on=days_ago(1))
    assert not Letter.objects.filter(request=request).exists()


def test_the_draft_and_the_final_plan_send_their_cover_letters_to_the_family(personas: Personas) -> None:
    request = DraftingRequestFactory(received_on=days_ago(130))  # decided to issue 40 days ago
    people = _people(request.child_id, "head_teacher")
    draft_on = days_ago(30)
    lifecycle.plan_issue_draft(actor=personas.officer, request=request, issued_on=draft_on)
    family = {people["parent0"].pk, people["parent1"].pk}
    assert _sent(request, "draft_plan_cover") == family
    assert Letter.objects.get(request=request, kind="draft_plan_cover", contact=people["parent0"]).dated_on == draft_on
    lifecycle.plan_issue_final(
        actor=personas.officer,
        request=request,
        issued_on=days_ago(1),
        named_establishment=EstablishmentFactory(),
        placement_type="mainstream",
    )
    assert _sent(request, "final_plan_cover") == family
    assert _event(request, "issue_final").letters.count() == 2


def test_a_request_for_advice_goes_to_the_adviser(personas: Personas) -> None:
    request = AssessingRequestFactory()
    people = _people(request.child_id, "ep_service", "health")
    advice_services.advice_request_create(
        actor=personas.officer,
        request=request,
        adviser_type="educational_psychology",
        addressee="EP service",
        requested_on=days_ago(1),
    )
    letters = Letter.objects.filter(request=request, kind="advice_request")
    assert [letter.contact_id for letter in letters] == [people["ep_service"].pk]
    assert letters.get().event == _event(request, "request_advice")
    # Advice on preparing for adulthood comes from whoever the officer picks: no automatic letter.
    advice_services.advice_request_create(
        actor=personas.officer,
        request=request,
        adviser_type="preparing_for_adulthood",
        addressee="Careers adviser",
        requested_on=days_ago(1),
    )
    assert letters.count() == 1


def test_advice_with_no_adviser_on_file_is_shown(personas: Personas) -> None:
    request = AssessingRequestFactory()
    _people(request.child_id)
    advice_services.advice_request_create(
        actor=personas.officer, request=request, adviser_type="social_care", addressee="CSC", requested_on=days_ago(1)
    )
    assert letter_services.notification_gaps(request) == [
        "Request for advice not sent to children's social care: no contact recorded"
    ]


# --- The final plan to the named setting and the health body (reg 13(2)(b), (c)) ----------------


def _issue_final(personas: Personas, request: AssessmentRequest, named: Any) -> RequestEvent:
    lifecycle.plan_issue_final(
        actor=personas.officer,
        request=request,
        issued_on=days_ago(1),
        named_establishment=named,
        placement_type="mainstream",
    )
    request.refresh_from_db()
    return _event(request, "issue_final")


def test_the_final_plan_goes_to_the_named_settings_head_and_the_health_body_not_the_current_school(
    personas: Personas,
) -> None:
    current, named = EstablishmentFactory(), EstablishmentFactory(name="Oak Hill Academy")
    request = DraftIssuedRequestFactory(received_on=days_ago(130), child=ChildFactory(current_establishment=current))
    people = _people(request.child_id, "head_teacher", "health", parents=1)  # the current school's head
    named_head = contact_services.contact_add(
        actor=personas.officer,
        request=request,
        kind="professional",
        name="Ms Okafor",
        professional_role="head_teacher",
        organisation="Oak Hill Academy Trust",
        setting_urn=str(named.urn),
        email="head@oakhill.example.org",
    )
    event = _issue_final(personas, request, named)
    assert _sent(request, "final_plan_copy") == {named_head.pk, people["health"].pk}
    assert _sent(request, "final_plan_cover") == {people["parent0"].pk}
    copy = Letter.objects.get(request=request, kind="final_plan_copy", contact=named_head)
    assert (copy.event_id, copy.regulation) == (event.pk, "reg 13(2)")
    assert "It names Oak Hill Academy in section I" in copy.body
    assert OutboundMessage.objects.filter(letter=copy, to_email="head@oakhill.example.org").exists()
    assert letter_services.notification_gaps(request) == []
    # Replaying the hook sends nothing twice.
    before = (Letter.objects.count(), OutboundMessage.objects.count(), NotificationGap.objects.count())
    again = letter_services.auto_letters_issue(request=request, event=event, actor=None, dated_on=days_ago(1))
    assert again.letters == [] and again.missing == []
    assert (Letter.objects.count(), OutboundMessage.objects.count(), NotificationGap.objects.count()) == before


def test_the_current_schools_head_is_the_named_settings_when_the_plan_names_that_school(personas: Personas) -> None:
    school = EstablishmentFactory()
    request = DraftIssuedRequestFactory(received_on=days_ago(130), child=ChildFactory(current_establishment=school))
    people = _people(request.child_id, "head_teacher", "senco", "health", parents=1)
    _issue_final(personas, request, school)
    assert _sent(request, "final_plan_copy") == {people["head_teacher"].pk, people["health"].pk}


def test_nobody_at_the_named_setting_is_a_gap_until_its_head_is_added_and_sent_the_plan(
    personas: Personas, page_client_for: Any
) -> None:
    named = EstablishmentFactory(name="Oak Hill Academy")
    request = DraftIssuedRequestFactory(
        received_on=days_ago(130), child=ChildFactory(current_establishment=EstablishmentFactory())
    )
    _people(request.child_id, "head_teacher", parents=1)  # the current school's head only
    event = _issue_final(personas, request, named)
    assert not Letter.objects.filter(request=request, kind="final_plan_copy").exists()
    assert letter_services.notification_gaps(request) == [
        "Final plan not sent to Oak Hill Academy: no contact recorded",
        "Final plan not sent to the health body (ICB): no contact recorded",
    ]
    assert set(NotificationGap.objects.filter(event=event).values_list("addressee", flat=True)) == {
        "named_setting",
        "health",
    }
    client = page_client_for(personas.officer)
    page = client.get(reverse("requests:people", args=[request.pk])).content.decode()
    assert "Final plan not sent to Oak Hill Academy: no contact recorded" in page
    # The timeline, under the final plan: the family's letter sent, the setting's and the ICB's not.
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Final plan to Oak Hill Academy; Final plan to the health body (ICB)" in page
    # Replaying records no second gap.
    letter_services.auto_letters_issue(request=request, event=event, actor=None, dated_on=days_ago(1))
    assert NotificationGap.objects.filter(event=event).count() == 2
    # A head recorded at another school, sent the plan, does not close it.
    other = EstablishmentFactory()
    elsewhere = contact_services.contact_add(
        actor=personas.officer,
        request=request,
        kind="professional",
        name="Mr Elsewhere",
        professional_role="head_teacher",
        organisation="Another school",
        setting_urn=str(other.urn),
        email="head@elsewhere.example.org",
    )
    letter_services.letter_issue(
        actor=personas.officer, request=request, kind="final_plan_copy", contact_ids=[elsewhere.pk]
    )
    assert "Final plan not sent to Oak Hill Academy: no contact recorded" in letter_services.notification_gaps(request)
    # The officer adds the named setting's head and sends the plan: that gap closes.
    head = contact_services.contact_add(
        actor=personas.officer,
        request=request,
        kind="professional",
        name="Ms Okafor",
        professional_role="head_teacher",
        organisation="Oak Hill Academy",
        setting_urn=str(named.urn),
        email="head@oakhill.example.org",
    )
    letter_services.letter_issue(actor=personas.officer, request=request, kind="final_plan_copy", contact_ids=[head.pk])
    assert letter_services.notification_gaps(request) == [
        "Final plan not sent to the health body (ICB): no contact recorded"
    ]


def test_a_plan_naming_no_setting_sends_it_to_the_health_body_only(personas: Personas) -> None:
    request = DraftIssuedRequestFactory(received_on=days_ago(130))
    people = _people(request.child_id, "health", parents=1)
    lifecycle.plan_issue_final(
        actor=personas.officer, request=request, issued_on=days_ago(1), named_establishment=None, placement_type="other"
    )
    assert _sent(request, "final_plan_copy") == {people["health"].pk}
    assert letter_services.notification_gaps(request) == []


def test_a_setting_urn_that_is_not_loaded_or_not_for_a_school_role_is_refused(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    base = {"kind": "professional", "name": "X", "organisation": "Y", "email": "x@example.org"}
    with pytest.raises(ValidationFailed) as unknown:
        contact_services.contact_add(
            actor=personas.officer, request=request, professional_role="head_teacher", setting_urn="999999", **base
        )
    assert unknown.value.field == "setting_urn" and "No school or setting with URN 999999" in str(unknown.value)
    with pytest.raises(ValidationFailed) as wrong_role:
        contact_services.contact_add(
            actor=personas.officer,
            request=request,
            professional_role="health",
            setting_urn=str(EstablishmentFactory().urn),
            **base,
        )
    assert wrong_role.value.field == "setting_urn"
    assert not Contact.objects.filter(child_id=request.child_id).exists()


# --- Nothing on failure or rollback ---------------------------------------------------------------


def test_a_failing_render_does_not_undo_the_change_and_loses_no_letter(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    request = DraftingRequestFactory()
    _people(request.child_id)
    # The PDFs are rendered by the worker after the change commits: a renderer failing then
    # leaves the draft issued and its letters "being prepared", for the sweeper to retry.
    with mock.patch.object(letter_services, "render_pdf", side_effect=RuntimeError("boom")) as render:
        lifecycle.plan_issue_draft(actor=personas.officer, request=request, issued_on=days_ago(2))
        assert render.call_count == 0
        letters = Letter.objects.filter(request=request, kind="draft_plan_cover")
        with pytest.raises(RuntimeError):
            letter_services.letter_render(letter_id=letters[0].pk)
    request.refresh_from_db()
    assert request.status == "draft_issued" and request.draft_issued_on == days_ago(2)
    assert {letter.state for letter in letters} == {"preparing"} and letters.count() == 2
    assert not OutboundMessage.objects.exclude(state="queued").exists()
    with django_capture_on_commit_callbacks(execute=False):
        assert {letter_services.letter_render(letter_id=letter.pk).state for letter in letters} == {"ready"}


def test_a_rolled_back_change_queues_no_email(personas: Personas, django_capture_on_commit_callbacks: Any) -> None:
    request = DraftIssuedRequestFactory(received_on=days_ago(130))  # the draft went 35 days ago
    _people(request.child_id)
    with (
        mock.patch.object(letter_services, "message_enqueue", return_value=True) as enqueue,
        mock.patch.object(letter_services, "letter_render_enqueue", return_value=True) as render_enqueue,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lifecycle.plan_issue_final(
            actor=personas.officer,
            request=request,
            issued_on=days_ago(1),
            named_establishment=EstablishmentFactory(),
            placement_type="mainstream",
        )
        assert Letter.objects.filter(request=request, kind="final_plan_cover").count() == 2
        raise RuntimeError("the caller's transaction fails after the service")
    assert enqueue.call_count == render_enqueue.call_count == 0
    assert not Letter.objects.exists() and not OutboundMessage.objects.exists()


# --- The digest -----------------------------------------------------------------------------------


def test_the_digest_names_the_adviser_type_not_its_code(personas: Personas) -> None:
    officer = personas.officer
    today = days_ago(0)
    assessing = AssessingRequestFactory(assigned_officer=officer, received_on=days_ago(20))
    AdviceRequestFactory(request=assessing, requested_on=days_ago(40), adviser_type="educational_psychology")
    items = letter_services.digest_items(officer=officer, day=today)
    advice = [item["what"] for item in items if item["kind"] == "advice"]
    assert advice == ["Advice due back (Educational psychology)"]


# --- Retention ------------------------------------------------------------------------------------


def test_the_retention_run_anonymises_the_letters_and_deletes_their_pdfs(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from core.roles import Role
    from requests_app.services import retention
    from tests.conftest import make_user

    today = timezone.localdate()
    request = AwaitingDecisionRequestFactory(child=ChildFactory(date_of_birth=today.replace(year=today.year - 33)))
    parent = _people(request.child_id, parents=1)["parent0"]
    (letter,) = letter_services.letter_issue(
        actor=personas.officer, request=request, kind="decision_to_assess", contact_ids=[parent.pk]
    )
    letter = letter_services.letter_render(letter_id=letter.pk)  # the worker's step
    pdf_name = letter.pdf.name
    assert default_storage.exists(pdf_name)
    admin = make_user(Role.ADMIN, username="retention_admin")
    run = retention.retention_review()
    with django_capture_on_commit_callbacks(execute=False):
        retention.retention_approve(actor=admin, run=run)
    with django_capture_on_commit_callbacks(execute=True):
        retention.retention_apply(run.pk)
    letter.refresh_from_db()
    assert (letter.addressee_name, letter.body, letter.pdf.name) == ("Anonymised", "", retention.ERASED_PDF)
    assert (letter.kind, letter.regulation) == ("decision_to_assess", "reg 5(1)")  # the record stays
    assert not default_storage.exists(pdf_name)
    message = OutboundMessage.objects.get(letter=letter)
    assert (message.to_email, message.body) == ("anonymised@example.invalid", "")
