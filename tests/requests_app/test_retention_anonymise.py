"""Anonymising a child's case file removes the identifying free text everywhere it is held
(issue 14; docs/retention.md): letters and the emails that carried them, case notes, the
timeline's notes, clock exceptions, documents, the panel's papers, decisions, declarations and
minutes (which cover other children too), and the placement's contract, costs, negotiation,
deductions and timeline.

Each place is seeded with text naming the child; after the run the name, the UPN and the
seeded phrases are nowhere in those tables, while the rows, dates and figures stay.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

from core.documents import documents_storage
from core.models import Document
from panels.models import (
    AgendaItem,
    Declaration,
    PanelDecision,
    PanelEvent,
    PanelMinutes,
    Referral,
    ReferralCostLine,
    ReferralOption,
)
from placements.models import (
    CostLine,
    Deduction,
    NegotiationRound,
    PlacementContract,
    PlacementEvent,
    PlacementReview,
)
from requests_app.models import CaseNote, Child, ClockException, RequestEvent
from requests_app.people_models import Contact, Letter, OutboundMessage
from requests_app.retention import REMOVED
from requests_app.services.retention import anonymise_child
from tests.conftest import make_user
from tests.panels.factories import AgendaItemFactory, HeldMeetingFactory, PanelDecisionFactory, ReferralFactory
from tests.placements.factories import ActiveContractFactory, CostLineFactory, DeductionFactory
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory, ClockExceptionFactory

pytestmark = pytest.mark.django_db

FORENAME, SURNAME, UPN = "Zebedee", "Quixotely", "K801200001007"
NAME = f"{FORENAME} {SURNAME}"
SECRET = "lives at 4 Orchard Lane"  # a phrase that identifies the family, seeded everywhere

TABLES: list[type[models.Model]] = [
    Letter,
    OutboundMessage,
    CaseNote,
    RequestEvent,
    ClockException,
    Document,
    Referral,
    ReferralOption,
    ReferralCostLine,
    AgendaItem,
    Declaration,
    PanelDecision,
    PanelEvent,
    PanelMinutes,
    PlacementContract,
    CostLine,
    NegotiationRound,
    Deduction,
    PlacementEvent,
    PlacementReview,
]


def _text_of(row: models.Model) -> str:
    return " ".join(
        str(getattr(row, field.attname))
        for field in row._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
    )


def _leaks() -> list[str]:
    found = []
    for table in TABLES:
        for row in table.objects.all():
            text = _text_of(row)
            for marker in (FORENAME, SURNAME, UPN, SECRET):
                if marker.lower() in text.lower():
                    found.append(f"{table.__name__} {row.pk}: {marker}")
    return found


def _seed() -> dict[str, Any]:
    officer = make_user()
    child = ChildFactory(forename=FORENAME, surname=SURNAME, upn=UPN)
    request = AssessingRequestFactory(child=child)
    contact = Contact.objects.create(
        child=child, kind="parent", name=f"Parent of {NAME}", email="parent@example.com", preferred_contact="email"
    )
    letter = Letter(
        request=request,
        kind="decision_to_assess",
        contact=contact,
        addressee_name=f"Parent of {NAME}",
        addressee_address=f"The family {SECRET}",
        subject=f"Needs assessment for {NAME}",
        body=f"Dear parent, we will assess {NAME}, who {SECRET}.",
        dated_on=timezone.localdate(),
    )
    letter.pdf.save("letter.pdf", ContentFile(f"%PDF {NAME}".encode()), save=False)
    letter.save()
    OutboundMessage.objects.create(
        letter=letter, to_email="parent@example.com", subject=f"Letter about {NAME}", body=f"{NAME} {SECRET}"
    )
    CaseNote.objects.create(
        request=request,
        kind="phone_call",
        happened_on=timezone.localdate(),
        with_whom=f"Mother of {NAME}",
        party="parent",
        direction="in",
        summary=f"Mother says {FORENAME} {SECRET}",
        recorded_by=officer,
    )
    RequestEvent.objects.create(request=request, action="created", note=f"{NAME} {SECRET}")
    ClockExceptionFactory(request=request, evidence=f"GP letter for {NAME}")
    key = "test/3f2a9c.pdf"  # random, as the upload names it
    documents_storage().save(key, ContentFile(b"%PDF report"))
    document = Document.objects.create(
        owner_kind="request",
        owner_id=request.pk,
        child_id=child.pk,
        doc_type="school_evidence",
        document_date=timezone.localdate(),
        supplied_by=f"Dr Smith about {NAME}",
        description=f"EP report, {SECRET}",
        uploaded_by=officer,
        uploaded_at=timezone.now(),
        original_filename=f"{SURNAME}-report.pdf",
        content_type="application/pdf",
        size=11,
        sha256="0" * 64,
        storage_key=key,
    )

    # The panel: the child's item and another child's item at one meeting, minuted together.
    referral = ReferralFactory(
        request=request,
        status="on_agenda",
        needs_summary=f"{FORENAME} needs a small setting",
        parental_preference=f"The family {SECRET}",
        notes=f"Spoke to {NAME}'s mother",
        options=[{"reason": f"No place for {FORENAME}"}],
        cost_lines=[{"annual_amount_pence": 100, "description": f"Transport from {SECRET}"}],
    )
    meeting = HeldMeetingFactory()
    item = AgendaItemFactory(meeting=meeting, referral=referral, status="decided")
    other_item = AgendaItemFactory(meeting=meeting)
    Declaration.objects.create(
        member=_member(),
        item=item,
        nature="personal",
        interest=f"Knows {NAME}'s family",
        recused=False,
        declared_at=timezone.now(),
    )
    PanelDecisionFactory(
        item=item,
        reasons_text=f"{FORENAME} cannot attend a large school",
        conditions=f"Review {SURNAME} in a year",
    )
    PanelEvent.objects.create(referral=referral, action="referral_created", occurred_at=timezone.now(), note=NAME)
    other_block = f"Item {other_item.position}: referral {other_item.referral_id} (Independent special, child OT)"
    minutes = PanelMinutes.objects.create(
        meeting=meeting,
        body=(
            "Central placement panel\nChair: A Chair\n\n"
            f"Item {item.position}: referral {referral.pk} (Independent special, child ZQ)\n"
            f"  Reasons: {FORENAME} cannot attend a large school; {SECRET}\n\n"
            f"{other_block}\n  Reasons: another child's reasons, kept\n\n"
            f"Any other business: the chair thanked {NAME}'s social worker.\n"
        ),
        content={
            "items": [
                {"position": item.position, "referral_id": referral.pk, "initials": "ZQ", "reasons": SECRET},
                {"position": other_item.position, "referral_id": other_item.referral_id, "initials": "OT"},
            ]
        },
        generated_at=timezone.now(),
    )

    # The placement.
    contract = ActiveContractFactory(child=child)
    CostLineFactory(contract=contract, description=f"1:1 support for {FORENAME}")
    DeductionFactory(
        attendance_return__contract=contract,
        status="waived",
        waived_reason=f"{FORENAME} was in hospital",
        decided_by=officer,
        decided_at=timezone.now(),
    )
    PlacementEvent.objects.create(contract=contract, action="contract_created", occurred_at=timezone.now(), note=SECRET)
    PlacementContract.objects.filter(pk=contract.pk).update(
        status_reason=f"{NAME} moved, {SECRET}", early_end_reason=f"{FORENAME} moved away"
    )
    PlacementReview.objects.create(
        contract=contract,
        due_on=timezone.localdate(),
        expected_outcomes=f"{FORENAME} attends every day",
        outcome="continue",
        held_on=timezone.localdate(),
        evidence=f"Report on {NAME}",
        recorded_by=officer,
        recorded_at=timezone.now(),
    )
    return {
        "child": child,
        "letter": letter,
        "document": document,
        "minutes": minutes,
        "other_block": other_block,
        "contract": contract,
    }


def _member() -> Any:
    from tests.panels.factories import PanelMemberFactory

    return PanelMemberFactory()


def test_every_place_that_held_the_childs_details_is_cleared(django_capture_on_commit_callbacks) -> None:
    seeded = _seed()
    rows_before = {table.__name__: table.objects.count() for table in TABLES}
    assert len(_leaks()) > 20  # the seeding reached every table

    # The stored files are deleted once the run commits.
    with django_capture_on_commit_callbacks(execute=True):
        anonymise_child(Child.objects.get(pk=seeded["child"].pk), now=timezone.now())

    assert _leaks() == []
    # Every row kept but the documents, which are erased with their files (docs/retention.md).
    assert {table.__name__: table.objects.count() for table in TABLES} == {**rows_before, "Document": 0}
    minutes = PanelMinutes.objects.get(pk=seeded["minutes"].pk)
    assert seeded["other_block"] in minutes.body  # the other child's item is untouched
    assert "another child's reasons, kept" in minutes.body
    assert REMOVED.lower() in minutes.body
    # The files are gone from storage; downloading them is a 404, not an error.
    assert not documents_storage().exists(seeded["document"].storage_key)
    letter = Letter.objects.get(pk=seeded["letter"].pk)
    assert not letter.pdf.storage.exists(letter.pdf.name)


def test_a_child_with_no_panel_or_placement_records_is_anonymised_too() -> None:
    child = ChildFactory(forename=FORENAME, surname=SURNAME, date_of_birth=timezone.localdate() - timedelta(days=40))
    anonymise_child(child, now=timezone.now())
    assert Child.objects.get(pk=child.pk).forename == "Anonymised"


def test_the_minutes_keep_other_items_and_lose_the_childs_pure() -> None:
    from panels.retention import strip_items

    body = "Header\n\nItem 1: referral 7 (x, child AB)\n  Reasons: private\n\nItem 2: referral 8 (y, child CD)\n  ok"
    stripped = strip_items(body, {7})
    assert "private" not in stripped and "child AB" not in stripped
    assert "Item 2: referral 8 (y, child CD)\n  ok" in stripped
    assert stripped.startswith("Header\n\nItem 1: referral 7 – ")


def test_an_email_not_yet_sent_is_never_sent_after_the_case_is_anonymised(django_capture_on_commit_callbacks) -> None:
    """A letter still being prepared, or whose email is waiting for a retry, when the retention run
    anonymises the case: the email is marked failed with the reason, so neither the worker nor the
    sweeper sends "Letter (anonymised)" or opens the erased PDF; one already sent stays sent."""
    from requests_app.people_models import LetterState, MessageState
    from requests_app.services.letters import message_send, messages_sweep
    from requests_app.services.retention import RETENTION_NOT_SENT

    seeded = _seed()
    letter = Letter.objects.get(pk=seeded["letter"].pk)
    waiting = OutboundMessage.objects.get(letter=letter)
    Letter.objects.filter(pk=letter.pk).update(state=LetterState.PREPARING)
    retrying = OutboundMessage.objects.create(
        letter=letter, to_email="parent@example.com", subject="s", body="b", state=MessageState.RETRYING, attempts=1
    )
    sent = OutboundMessage.objects.create(
        letter=letter,
        to_email="parent@example.com",
        subject="s",
        body="b",
        state=MessageState.SENT,
        sent_at=timezone.now(),
        attempts=1,
    )

    with django_capture_on_commit_callbacks(execute=True):
        anonymise_child(Child.objects.get(pk=seeded["child"].pk), now=timezone.now())

    for message in (waiting, retrying):
        message.refresh_from_db()
        assert (message.state, message.last_error) == (MessageState.FAILED, RETENTION_NOT_SENT)
        assert message_send(message_id=message.pk).state == MessageState.FAILED  # nothing sent, no error
    sent.refresh_from_db()
    assert (sent.state, sent.last_error) == (MessageState.SENT, "")
    # The sweeper, long after, hands none of them back to the worker.
    assert messages_sweep(now=timezone.now() + timedelta(days=1)) == []
