"""Mediation and SEND Tribunal appeals: the deadlines (pure), the services, and who may act."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from core.errors import InvalidTransition, NotPermitted, ValidationFailed
from core.roles import Role
from requests_app import disputes
from requests_app.models import Appeal, RequestEvent
from requests_app.services.disputes import (
    appeal_record_compliance,
    appeal_record_outcome,
    appeal_register,
    mediation_record,
    mediation_update,
)
from tests.requests_app.factories import RefusedRequestFactory

TODAY = date(2026, 12, 7)


# --- The rules, without a database ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "order_on", "due"),
    [
        # reg 44(2): weeks from the order's date, calendar weeks like every other clock.
        (disputes.OrderType.ASSESS, date(2026, 3, 2), date(2026, 6, 8)),  # final plan within 14 weeks
        (disputes.OrderType.MAKE_PLAN, date(2026, 3, 2), date(2026, 5, 18)),  # final plan within 11 weeks
        (disputes.OrderType.AMEND_CONTENT, date(2026, 3, 2), date(2026, 4, 6)),  # 5 weeks
        (disputes.OrderType.CHANGE_SCHOOL, date(2026, 3, 2), date(2026, 3, 16)),  # 2 weeks
    ],
)
def test_the_order_is_complied_with_by_its_last_steps_deadline(order, order_on, due):
    assert disputes.compliance_due_on(order, order_on) == due


def test_an_order_to_assess_has_its_three_steps():
    steps = disputes.order_steps(disputes.OrderType.ASSESS, date(2026, 3, 2))
    assert [step.due_on for step in steps] == [date(2026, 3, 16), date(2026, 5, 11), date(2026, 6, 8)]


@pytest.mark.parametrize(
    ("letter", "certificate", "deadline"),
    [
        (date(2026, 3, 10), None, date(2026, 5, 10)),  # 2 months from the letter
        (date(2026, 3, 10), date(2026, 4, 20), date(2026, 5, 20)),  # 1 month from a later certificate
        (date(2026, 3, 10), date(2026, 3, 20), date(2026, 5, 10)),  # the later of the two
        (date(2026, 6, 5), None, date(2026, 9, 1)),  # August -> first working day of September (Tue)
        (date(2027, 6, 5), None, date(2027, 9, 1)),  # 1 Sep 2027 is a Wednesday
        (date(2025, 6, 10), None, date(2025, 9, 1)),  # 10 Aug 2025 -> Mon 1 Sep 2025
        (date(2026, 10, 27), None, date(2027, 1, 4)),  # 27 Dec -> next working day after 1 Jan (Sat 2 Jan -> Mon 4)
        (date(2026, 10, 31), date(2026, 12, 1), date(2027, 1, 4)),  # 31 Dec 2026 -> Mon 4 Jan 2027
        (date(2026, 12, 31), None, date(2027, 2, 28)),  # no 31 February: the month's last day
    ],
)
def test_appeal_deadline_follows_the_tribunal_rules(letter, certificate, deadline):
    assert disputes.appeal_deadline(letter, certificate) == deadline


def test_mediation_contact_is_due_two_months_after_the_letter():
    assert disputes.mediation_contact_due(date(2026, 1, 31)) == date(2026, 3, 31)


def test_working_days_skip_the_weekend():
    assert disputes.add_working_days(date(2026, 12, 4), 3) == date(2026, 12, 9)  # Fri + 3 -> Wed


@pytest.mark.parametrize(
    ("outcome", "order_type", "field"),
    [
        ("upheld", "", "order_type"),  # an upheld appeal carries an order
        ("conceded", "", "order_type"),  # so does a concession (reg 45)
        ("dismissed", "assess", "order_type"),  # a dismissed one cannot
        ("sideways", "", "outcome"),
    ],
)
def test_an_outcome_and_its_order_must_agree(outcome, order_type, field):
    problems = disputes.outcome_problems(
        outcome=outcome, decided_on=date(2026, 5, 1), order_type=order_type, registered_on=date(2026, 4, 1), today=TODAY
    )
    assert [f for f, _ in problems] == [field]


def test_mediation_that_took_place_needs_its_date_and_certificate():
    problems = disputes.mediation_problems(
        decision_letter_on=date(2026, 3, 1),
        adviser_contacted_on=date(2026, 2, 1),
        certificate_issued_on=None,
        held_on=None,
        outcome="not_resolved",
        today=TODAY,
    )
    assert sorted(f for f, _ in problems) == ["adviser_contacted_on", "certificate_issued_on", "held_on"]


def test_the_rules_module_imports_nothing_from_django():
    tree = ast.parse(Path(disputes.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any(name.startswith("django") for name in imported), imported


# --- Services (database) ------------------------------------------------------------------------


@pytest.fixture
def refused(db):
    return RefusedRequestFactory(received_on=date(2026, 1, 5))


def test_an_appeal_against_a_refusal_goes_from_registered_to_an_order_and_its_compliance(personas, refused):
    officer = personas.officer
    mediation = mediation_record(
        actor=officer,
        request=refused,
        against="refusal_to_assess",
        decision_letter_on=date(2026, 2, 10),
        adviser_contacted_on=date(2026, 2, 20),
        certificate_issued_on=date(2026, 2, 24),
        outcome="not_wanted",
        today=TODAY,
    )
    appeal = appeal_register(
        actor=officer,
        request=refused,
        against="refusal_to_assess",
        decision_letter_on=date(2026, 2, 10),
        registered_on=date(2026, 3, 20),
        mediation=mediation,
        today=TODAY,
    )
    assert appeal.status == "registered" and appeal.is_open
    appeal = appeal_record_outcome(
        actor=officer, appeal=appeal, outcome="upheld", decided_on=date(2026, 7, 1), order_type="assess", today=TODAY
    )
    assert (appeal.status, appeal.compliance_due_on) == ("ordered", date(2026, 10, 7))  # 14 weeks
    assert list(Appeal.objects.overdue(on=date(2026, 10, 8))) == [appeal]
    assert not Appeal.objects.overdue(on=date(2026, 10, 7)).exists()  # "within" means on or before
    appeal = appeal_record_compliance(actor=officer, appeal=appeal, complied_on=date(2026, 10, 1), today=TODAY)
    assert appeal.status == "closed" and not appeal.is_open
    events = list(RequestEvent.objects.filter(request=refused).order_by("pk").values_list("action", "payload"))
    actions = [action for action, _ in events]
    assert actions[-4:] == ["mediation_recorded", "appeal_registered", "appeal_decided", "appeal_complied"]
    assert events[-1][1]["on_time"] is True and events[-2][1]["compliance_due_on"] == "2026-10-07"
    refused.refresh_from_db()
    assert refused.status == "refused"  # the request's own status does not change


def test_a_dismissed_appeal_closes_with_no_order(personas, refused):
    appeal = appeal_register(
        actor=personas.officer,
        request=refused,
        against="refusal_to_assess",
        decision_letter_on=date(2026, 2, 10),
        registered_on=date(2026, 3, 20),
        today=TODAY,
    )
    appeal = appeal_record_outcome(
        actor=personas.officer, appeal=appeal, outcome="dismissed", decided_on=date(2026, 7, 1), today=TODAY
    )
    assert (appeal.status, appeal.order_type, appeal.compliance_due_on) == ("closed", "", None)
    with pytest.raises(InvalidTransition):
        appeal_record_outcome(
            actor=personas.officer, appeal=appeal, outcome="upheld", decided_on=date(2026, 7, 2), order_type="assess"
        )
    with pytest.raises(InvalidTransition):
        appeal_record_compliance(actor=personas.officer, appeal=appeal, complied_on=date(2026, 8, 1))


def test_bad_dates_name_the_field_and_nothing_is_saved(personas, refused):
    before = RequestEvent.objects.count()
    with pytest.raises(ValidationFailed) as failure:
        appeal_register(
            actor=personas.officer,
            request=refused,
            against="refusal_to_assess",
            decision_letter_on=date(2026, 3, 1),
            registered_on=date(2026, 2, 1),
            today=TODAY,
        )
    assert failure.value.errors == {"registered_on": ["The appeal cannot be registered before the decision letter"]}
    assert not Appeal.objects.exists() and RequestEvent.objects.count() == before


def test_mediation_update_records_the_outcome(personas, refused):
    mediation = mediation_record(
        actor=personas.officer,
        request=refused,
        against="refusal_to_assess",
        decision_letter_on=date(2026, 2, 10),
        today=TODAY,
    )
    mediation = mediation_update(
        actor=personas.officer,
        mediation=mediation,
        certificate_issued_on=date(2026, 4, 2),
        held_on=date(2026, 3, 30),
        outcome="partly_resolved",
        today=TODAY,
    )
    assert mediation.outcome_label == "Partly agreed"
    assert mediation.appeal_deadline == date(2026, 5, 2)  # 1 month from the certificate is later


@pytest.mark.parametrize(
    "role",
    [Role.PROVISION_EVALUATOR, Role.EDUCATIONAL_PSYCHOLOGIST, Role.PANEL_MEMBER, Role.FINANCE_OFFICER],
)
def test_only_those_who_record_decisions_record_appeals(personas, refused, role):
    with pytest.raises(NotPermitted):
        appeal_register(
            actor=personas.for_role(role),
            request=refused,
            against="refusal_to_assess",
            decision_letter_on=date(2026, 2, 10),
            registered_on=date(2026, 3, 20),
            today=TODAY,
        )


def test_the_database_refuses_an_order_without_its_deadline(personas, refused):
    appeal = appeal_register(
        actor=personas.officer,
        request=refused,
        against="refusal_to_assess",
        decision_letter_on=date(2026, 2, 10),
        registered_on=date(2026, 3, 20),
        today=TODAY,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(
            status="ordered", outcome="upheld", decided_on=date(2026, 7, 1), order_type="assess"
        )
    appeal.refresh_from_db()
    assert appeal.status == "registered"
