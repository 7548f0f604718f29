"""The database itself refuses bad panel rows, whatever door they come through (not the
services). Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.roles import Role
from panels.models import (
    AgendaItem,
    Attendance,
    Declaration,
    PanelDecision,
    PanelEvent,
    PanelMeeting,
    PanelMember,
    PanelMinutes,
    Referral,
    ReferralCostLine,
    ReferralOption,
)
from tests.conftest import make_user
from tests.panels.factories import (
    AgendaItemFactory,
    HeadTeacherMemberFactory,
    MeetingFactory,
    PanelDecisionFactory,
    PanelMemberFactory,
    ReferralFactory,
    ScheduledMeetingFactory,
)

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def _update(factory: Callable[[], models.Model], **changes: Any) -> Callable[[], None]:
    """Build a valid row, then write ``changes`` straight to the table (no model validation)."""

    def write() -> None:
        row = factory()
        values = {k: (v(row) if callable(v) else v) for k, v in changes.items()}
        with transaction.atomic():
            type(row).objects.filter(pk=row.pk).update(**values)

    return write


def _twice(factory: Callable[..., models.Model], shared: Callable[[], dict[str, Any]]) -> Callable[[], None]:
    """Two rows sharing the values ``shared`` builds; the second must be refused."""

    def write() -> None:
        values = shared()
        factory(**values)
        with transaction.atomic():
            factory(**values)

    return write


def _declaration(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        item, member = AgendaItemFactory(), PanelMemberFactory()
        with transaction.atomic():
            Declaration.objects.create(
                item=item, member=member, declared_at=timezone.now(), **{"nature": "none", **fields}
            )

    return write


def _second_declaration() -> None:
    item, member = AgendaItemFactory(), PanelMemberFactory()
    Declaration.objects.create(item=item, member=member, nature="none", declared_at=timezone.now())
    with transaction.atomic():
        Declaration.objects.create(item=item, member=member, nature="none", declared_at=timezone.now())


def _second_attendance() -> None:
    meeting, member = MeetingFactory(), PanelMemberFactory()
    Attendance.objects.create(meeting=meeting, member=member, present=True)
    with transaction.atomic():
        Attendance.objects.create(meeting=meeting, member=member, present=False)


def _second_decision() -> None:
    decision = PanelDecisionFactory()
    with transaction.atomic():
        PanelDecisionFactory(item=decision.item)


def _decision(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        item = AgendaItemFactory()
        with transaction.atomic():
            PanelDecisionFactory(item=item, **fields)

    return write


def _minutes(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        meeting = MeetingFactory()
        with transaction.atomic():
            PanelMinutes.objects.create(
                meeting=meeting, body="Minutes", generated_at=timezone.now(), **{"status": "draft", **fields}
            )

    return write


def _event(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        with transaction.atomic():
            PanelEvent.objects.create(occurred_at=timezone.now(), **fields)

    return write


CASES: dict[str, Callable[[], None]] = {
    # Members
    "panel_member_type_valid": _update(PanelMemberFactory, member_type="governor"),
    "panel_head_teacher_has_establishment": _update(HeadTeacherMemberFactory, establishment=None),
    # Meetings
    "panel_meeting_status_valid": _update(MeetingFactory, status="cancelled"),
    # Referrals
    "referral_kind_valid": _update(ReferralFactory, kind="holiday"),
    "referral_status_valid": _update(ReferralFactory, status="lost"),
    # A fee review's referral names its contract and both figures, or none of them.
    "referral_fee_review_complete": _update(ReferralFactory, fee_review_contract="IPA-000001"),
    "referral_option_unique": lambda: _duplicate_option(),
    "referral_option_cost_positive": lambda: _update(
        lambda: ReferralOption.objects.get(referral=ReferralFactory()), annual_cost_pence=-1
    )(),
    "referral_cost_category_valid": lambda: _update(
        lambda: ReferralCostLine.objects.get(referral=ReferralFactory()), category="sweets"
    )(),
    "referral_cost_amount_positive": lambda: _update(
        lambda: ReferralCostLine.objects.get(referral=ReferralFactory()), annual_amount_pence=-100
    )(),
    # Agenda
    "agenda_item_status_valid": _update(AgendaItemFactory, status="postponed"),
    "agenda_item_position_unique": lambda: _same_position(),
    "one_undecided_item_per_referral": lambda: _listed_twice(),
    "agenda_item_withdrawal_has_reason": _update(AgendaItemFactory, status="withdrawn", withdrawn_reason=""),
    # A chair's deferral names its later meeting and its reason (and nothing else names one).
    "agenda_item_deferral_has_reason_and_meeting": _update(AgendaItemFactory, status="deferred", withdrawn_reason="x"),
    # Declarations and attendance
    "declaration_nature_valid": _declaration(nature="vague"),
    "one_declaration_per_member_item": _second_declaration,
    "declaration_interest_described": _declaration(nature="personal", interest=""),
    "declaration_prejudicial_recuses": _declaration(nature="prejudicial", interest="Relative", recused=False),
    "declaration_automatic_recuses": _declaration(automatic=True, recused=False),
    "one_attendance_per_member": _second_attendance,
    # Decisions
    "one_decision_per_item": _second_decision,
    "panel_decision_outcome_valid": _decision(outcome="maybe"),
    "panel_decision_at_held_meeting": _decision(meeting_status_at_decision="papers_circulated"),
    "panel_decision_answers_valid": _decision(resources_answer="perhaps"),
    "panel_decision_amounts_not_negative": _decision(maintained_alternative_cost_pence=-1),
    "panel_decision_ceiling_iff_approved": _decision(agreed_annual_ceiling_pence=None),
    "panel_decision_deferred_to_iff_deferred": _decision(outcome="defer", agreed_annual_ceiling_pence=None),
    "panel_decision_conditions_stated": _decision(outcome="approve_with_conditions", conditions=""),
    # Minutes and events
    "panel_minutes_status_valid": _minutes(status="signed"),
    "panel_minutes_approval_recorded": _minutes(status="approved"),
    "panel_event_action_valid": _event(action="deleted"),
}


def _duplicate_option() -> None:
    referral = ReferralFactory()
    option = referral.options.get()
    with transaction.atomic():
        ReferralOption.objects.create(
            referral=referral, establishment=option.establishment, meets_need=True, reason="x"
        )


def _same_position() -> None:
    item = AgendaItemFactory()
    with transaction.atomic():
        AgendaItemFactory(meeting=item.meeting, position=item.position)


def _listed_twice() -> None:
    item = AgendaItemFactory()
    with transaction.atomic():
        AgendaItemFactory(referral=item.referral, meeting=ScheduledMeetingFactory())


# A value no rule allows breaks two constraints at once, and the database reports whichever it
# checks first (PostgreSQL and SQLite differ): an unknown nature has no interest to describe, an
# unknown outcome cannot be "approved" for the ceiling rule, an unknown minutes status none for
# the approval rule. Either name is the right refusal; any other is not.
ALSO_BROKEN = {
    "declaration_nature_valid": "declaration_interest_described",
    "panel_decision_outcome_valid": "panel_decision_ceiling_iff_approved",
    "panel_minutes_status_valid": "panel_minutes_approval_recorded",
}
# A negative amount in a Positive*Field column trips the column's own CHECK first, named after
# the column (SQLite: "check constraint failed: <column>"; PostgreSQL: "<table>_<column>_check");
# the named constraint is the belt to that pair of braces.
COLUMN_CHECKS = {
    "panel_decision_amounts_not_negative": "maintained_alternative_cost_pence",
    "referral_cost_amount_positive": "annual_amount_pence",
    "referral_option_cost_positive": "annual_cost_pence",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_constraint_rejects_a_bad_row(name: str) -> None:
    with pytest.raises(IntegrityError) as raised:
        CASES[name]()
    # The named constraint is the one that fired, not some other rule the bad row breaks. For a
    # unique index SQLite names the columns instead.
    message = str(raised.value).lower()
    assert (
        name in message
        or "unique constraint failed" in message
        or (name in ALSO_BROKEN and f'"{ALSO_BROKEN[name]}"' in message)
        or (name in COLUMN_CHECKS and _names_the_column_check(message, COLUMN_CHECKS[name]))
    ), message


def _names_the_column_check(message: str, column: str) -> bool:
    return message == f"check constraint failed: {column}" or f"_{column}_check" in message


def test_every_constraint_has_a_case() -> None:
    names = {
        constraint.name
        for model in (
            PanelMember,
            PanelMeeting,
            Referral,
            ReferralOption,
            ReferralCostLine,
            AgendaItem,
            Declaration,
            Attendance,
            PanelDecision,
            PanelMinutes,
            PanelEvent,
        )
        for constraint in model._meta.constraints
    }
    assert names == set(CASES)


# --- What the constraints allow --------------------------------------------------------------


def test_a_decided_or_withdrawn_item_frees_the_referral_for_another_agenda() -> None:
    decided = AgendaItemFactory(status="decided")
    AgendaItemFactory(referral=decided.referral, status="withdrawn", withdrawn_reason="Moved")
    AgendaItemFactory(referral=decided.referral, meeting=ScheduledMeetingFactory())
    assert AgendaItem.objects.filter(referral=decided.referral).count() == 3


def test_a_deferral_with_its_meeting_and_other_outcomes_without_a_ceiling() -> None:
    PanelDecisionFactory(outcome="defer", agreed_annual_ceiling_pence=None, deferred_to=ScheduledMeetingFactory())
    PanelDecisionFactory(outcome="decline", agreed_annual_ceiling_pence=None, resources_answer="no")
    PanelDecisionFactory(outcome="approve_with_conditions", conditions="Review after two terms")
    assert PanelDecision.objects.count() == 3


def test_other_members_need_no_establishment() -> None:
    assert PanelMemberFactory(member_type="finance").establishment is None


def test_approved_minutes_record_who_and_when() -> None:
    approver, approved_at = make_user(Role.SEN_OFFICER), timezone.now()
    minutes = PanelMinutes.objects.create(
        meeting=MeetingFactory(),
        body="Minutes",
        generated_at=timezone.now(),
        status="approved",
        approved_by=approver,
        approved_at=approved_at,
    )
    stored = PanelMinutes.objects.get(pk=minutes.pk)
    assert (stored.status, stored.approved_by, stored.approved_at) == ("approved", approver, approved_at)


def test_panel_events_are_append_only() -> None:
    event = PanelEvent.objects.create(action="meeting_scheduled", occurred_at=timezone.now())
    event.note = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
