"""Mediation and appeals through every door: the pages, the API (list, detail, actions), the
schema, and who may read or act; every child shown is written to the access log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.models import AccessLog
from core.roles import Role
from requests_app.models import Appeal, Mediation
from requests_app.services.disputes import appeal_record_outcome, appeal_register
from tests.requests_app.factories import RefusedRequestFactory

pytestmark = pytest.mark.django_db

READERS = [Role.SEN_OFFICER, Role.MANAGER, Role.PANEL_CHAIR, Role.PROVISION_EVALUATOR]
NOT_READERS = [Role.FINANCE_OFFICER, Role.EDUCATIONAL_PSYCHOLOGIST, Role.PANEL_MEMBER, Role.ADMIN]
NOT_RECORDERS = [Role.PROVISION_EVALUATOR, Role.MANAGER, Role.FINANCE_OFFICER, Role.PANEL_MEMBER]


@pytest.fixture
def refused(db):
    return RefusedRequestFactory(received_on=timezone.localdate() - timedelta(days=200))


@pytest.fixture
def ordered(personas, refused):
    today = timezone.localdate()
    appeal = appeal_register(
        actor=personas.officer,
        request=refused,
        against="refusal_to_assess",
        decision_letter_on=today - timedelta(days=170),
        registered_on=today - timedelta(days=160),
    )
    # Ordered 20 weeks ago: a 14-week order to assess is 6 weeks overdue.
    return appeal_record_outcome(
        actor=personas.officer,
        appeal=appeal,
        outcome="upheld",
        decided_on=today - timedelta(weeks=20),
        order_type="assess",
    )


def _client(client, user):
    client.force_login(user)
    return client


def test_the_request_page_shows_the_order_its_steps_and_how_overdue_it_is(client, personas, ordered):
    page = _client(client, personas.officer).get(f"/requests/{ordered.request_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Mediation and appeals" in html and "Assess (or reassess) the child or young person" in html
    assert "Tell the family the assessment will happen" in html
    assert "42 days overdue" in html  # 20 weeks since the order, 14 allowed
    assert f"/requests/{ordered.request_id}/appeals/{ordered.pk}/compliance/" in html


def test_the_orders_list_puts_the_soonest_deadline_first_and_logs_each_child(client, personas, ordered, refused):
    other = RefusedRequestFactory(received_on=timezone.localdate() - timedelta(days=100))
    later = appeal_register(
        actor=personas.officer,
        request=other,
        against="refusal_to_assess",
        decision_letter_on=timezone.localdate() - timedelta(days=60),
        registered_on=timezone.localdate() - timedelta(days=50),
    )
    appeal_record_outcome(
        actor=personas.officer,
        appeal=later,
        outcome="conceded",
        decided_on=timezone.localdate() - timedelta(days=3),
        order_type="change_school",
    )
    before = AccessLog.objects.count()
    page = _client(client, personas.manager).get("/requests/appeals/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(refused.reference) < html.index(other.reference)  # overdue first
    assert AccessLog.objects.count() - before == 2
    assert set(AccessLog.objects.order_by("-pk").values_list("child_id", flat=True)[:2]) == {
        refused.child_id,
        other.child_id,
    }


def test_an_officer_registers_an_appeal_through_the_page_and_a_bad_date_names_the_field(client, personas, refused):
    signed_in = _client(client, personas.officer)
    url = f"/requests/{refused.pk}/appeals/new/"
    assert signed_in.get(url).status_code == 200
    today = timezone.localdate()
    bad = {
        "against": "refusal_to_assess",
        "decision_letter_on_day": today.day,
        "decision_letter_on_month": today.month,
        "decision_letter_on_year": today.year,
        "registered_on_day": (today - timedelta(days=1)).day,
        "registered_on_month": (today - timedelta(days=1)).month,
        "registered_on_year": (today - timedelta(days=1)).year,
    }
    response = signed_in.post(url, bad)
    assert response.status_code == 200
    assert "The appeal cannot be registered before the decision letter" in response.content.decode()
    assert not Appeal.objects.exists()
    good = {**bad, "decision_letter_on_day": (today - timedelta(days=30)).day}
    good["decision_letter_on_month"] = (today - timedelta(days=30)).month
    good["decision_letter_on_year"] = (today - timedelta(days=30)).year
    response = signed_in.post(url, good)
    assert response.status_code == 302
    assert Appeal.objects.get().request_id == refused.pk


@pytest.mark.parametrize("role", NOT_RECORDERS)
def test_roles_that_do_not_record_decisions_cannot_open_the_appeal_pages(client, personas, refused, role):
    signed_in = _client(client, personas.for_role(role))
    for url in (f"/requests/{refused.pk}/appeals/new/", f"/requests/{refused.pk}/mediation/new/"):
        assert signed_in.get(url).status_code == 403
        assert signed_in.post(url, {}).status_code == 403
    assert not Appeal.objects.exists() and not Mediation.objects.exists()


@pytest.mark.parametrize("role", NOT_READERS)
def test_roles_without_the_case_file_see_no_appeals(client, api_client_for, personas, ordered, role):
    user = personas.for_role(role)
    assert _client(client, user).get("/requests/appeals/").status_code == 403
    api = api_client_for(user)
    assert api.get("/api/appeals/").status_code == 403
    assert api.get(f"/api/appeals/{ordered.pk}/").status_code == 403


@pytest.mark.parametrize("role", READERS)
def test_readers_get_the_list_and_detail_with_the_deadline(api_client_for, personas, ordered, role):
    api = api_client_for(personas.for_role(role))
    listing = api.get("/api/appeals/?status=ordered")
    assert listing.status_code == 200
    (row,) = listing.json()["results"]
    assert row["compliance_due_on"] == str(ordered.compliance_due_on) and row["days_left"] == -42
    detail = api.get(f"/api/appeals/{ordered.pk}.json")
    assert detail.status_code == 200
    assert [step["due_on"] for step in detail.json()["steps"]][-1] == str(ordered.compliance_due_on)
    assert AccessLog.objects.filter(object_type="appeal", object_id=ordered.pk).exists()


def test_the_api_registers_decides_and_records_compliance(api_client_for, personas, refused):
    api = api_client_for(personas.officer)
    today = timezone.localdate()
    created = api.post(
        "/api/appeals/",
        {
            "request_id": refused.pk,
            "against": "refusal_to_assess",
            "decision_letter_on": str(today - timedelta(days=90)),
            "registered_on": str(today - timedelta(days=60)),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    appeal_id = created.json()["id"]
    decided = api.post(
        f"/api/appeals/{appeal_id}/record-outcome/",
        {"outcome": "upheld", "decided_on": str(today - timedelta(days=7)), "order_type": "amend_content"},
        format="json",
    )
    assert decided.status_code == 200
    assert decided.json()["compliance_due_on"] == str(today - timedelta(days=7) + timedelta(weeks=5))
    again = api.post(
        f"/api/appeals/{appeal_id}/record-outcome/",
        {"outcome": "dismissed", "decided_on": str(today)},
        format="json",
    )
    assert again.status_code == 409
    complied = api.post(f"/api/appeals/{appeal_id}/record-compliance/", {"complied_on": str(today)}, format="json")
    assert complied.status_code == 200 and complied.json()["status"] == "closed"


def test_a_wrong_body_gets_a_400_naming_the_field(api_client_for, personas, refused):
    api = api_client_for(personas.officer)
    response = api.post(
        "/api/appeals/",
        {"request_id": refused.pk, "against": "refusal_to_assess", "decision_letter_on": "2026-13-01"},
        format="json",
    )
    assert response.status_code == 400
    assert {"decision_letter_on", "registered_on"} <= set(response.json()["errors"])
    assert api.post("/api/appeals/", {"request_id": 10**30}, format="json").status_code == 400


@pytest.mark.parametrize("role", NOT_RECORDERS)
def test_the_role_is_checked_before_the_body(api_client_for, personas, refused, role):
    response = api_client_for(personas.for_role(role)).post("/api/appeals/", {"nonsense": True}, format="json")
    assert response.status_code == 403
    assert "errors" not in response.json() or not response.json()["errors"]


def test_mediation_through_the_api_shows_the_appeal_deadline(api_client_for, personas, refused):
    api = api_client_for(personas.officer)
    created = api.post(
        "/api/mediations/",
        {
            "request_id": refused.pk,
            "against": "refusal_to_assess",
            "decision_letter_on": "2026-03-10",
            "certificate_issued_on": "2026-04-20",
            "outcome": "not_wanted",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["appeal_deadline"] == "2026-05-20"


def test_the_schema_declares_the_appeal_endpoints(api_client_for, personas):
    schema = api_client_for(personas.admin).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = schema.json()["paths"] if schema.status_code == 200 else {}
    assert schema.status_code == 200
    assert {"/api/appeals/", "/api/appeals/{id}/record-outcome/", "/api/mediations/"} <= set(paths)


def test_the_decision_letter_date_cannot_be_in_the_future(api_client_for, personas, refused):
    api = api_client_for(personas.officer)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = api.post(
        "/api/appeals/",
        {"request_id": refused.pk, "against": "refusal_to_assess", "decision_letter_on": str(tomorrow),
         "registered_on": str(tomorrow)},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "decision_letter_on" in response.json()["errors"]
    assert date.today() < tomorrow
