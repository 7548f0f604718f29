"""Every response that shows a child's identity writes access-log rows (issue 12 item 22).

Lists log one row per child per response (each child once, however many of its rows are shown),
in one INSERT whatever the number of children.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AccessAction, AccessLog
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    ChildFactory,
    ReceivedRequestFactory,
)

pytestmark = pytest.mark.django_db


def logged(**filters: Any) -> list[tuple[int | None, str, str]]:
    return sorted(AccessLog.objects.filter(**filters).values_list("child_id", "action", "object_type"))


def access_log_inserts(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "core_accesslog"'))


# --- Pages ---------------------------------------------------------------------------------------


def test_triage_queue_page_logs_each_child_shown(client, personas) -> None:
    requests = ReceivedRequestFactory.create_batch(3)
    client.force_login(personas.officer)
    assert client.get("/requests/").status_code == 200
    assert logged(user=personas.officer) == sorted(
        (r.child_id, AccessAction.LIST, "assessment_request") for r in requests
    )


def test_triage_queue_page_logs_in_one_insert_whatever_the_page_size(
    client, personas, django_assert_num_queries
) -> None:
    ReceivedRequestFactory.create_batch(2)
    client.force_login(personas.officer)
    client.get("/requests/")  # warm the session and the role cache
    with CaptureQueriesContext(connection) as two:
        client.get("/requests/")
    assert access_log_inserts(two) == 1
    ReceivedRequestFactory.create_batch(6)
    with django_assert_num_queries(len(two.captured_queries)):
        client.get("/requests/")
    assert AccessLog.objects.filter(user=personas.officer).count() == 2 + 2 + 8


def test_advice_queue_page_logs_each_child_shown(client, personas) -> None:
    advice = AdviceRequestFactory.create_batch(2)
    client.force_login(personas.ep)
    assert client.get("/requests/advice/").status_code == 200
    assert logged(user=personas.ep) == sorted((a.request.child_id, AccessAction.LIST, "advice_request") for a in advice)


def test_advice_page_logs_the_child(client, personas) -> None:
    advice = AdviceRequestFactory()
    client.force_login(personas.ep)
    assert client.get(f"/requests/advice/{advice.pk}/received/?from=queue").status_code == 200
    assert logged(user=personas.ep, object_id=advice.pk) == [
        (advice.request.child_id, AccessAction.VIEW, "advice_request")
    ]


def test_request_action_pages_log_the_child(client, personas) -> None:
    request = AssessingRequestFactory()
    client.force_login(personas.officer)
    assert client.get(f"/requests/{request.pk}/withdraw/").status_code == 200
    assert logged(user=personas.officer) == [(request.child_id, AccessAction.VIEW, "assessment_request")]


def test_duplicate_banner_logs_the_other_children_it_shows(client, personas) -> None:
    match = ChildFactory(forename="Ellie", surname="Marsh", date_of_birth=date(2015, 6, 3))
    client.force_login(personas.officer)
    response = client.post(
        "/requests/new/",
        {
            "forename": "Ellie",
            "surname": "Marsh",
            "date_of_birth_day": "3",
            "date_of_birth_month": "6",
            "date_of_birth_year": "2015",
            "sex": "F",
            "postcode": "ME14 1XX",
            "district": match.district_id,
            "primary_need": "SLCN",
            "received_on_day": str(date.today().day),
            "received_on_month": str(date.today().month),
            "received_on_year": str(date.today().year),
            "source": "parent",
            "requester_name": "Jo Marsh",
            "requester_relationship": "Mother",
            "requester_email": "jo@example.com",
        },
    )
    assert "This child may already be recorded" in response.content.decode()
    assert logged(user=personas.officer) == [(match.pk, AccessAction.LIST, "duplicate_candidate")]


# --- API -----------------------------------------------------------------------------------------


def test_api_check_duplicates_logs_the_candidates(api_client_for, personas) -> None:
    match = ChildFactory(surname="Apitest", date_of_birth=date(2016, 5, 4))
    response = api_client_for(personas.officer).post(
        "/api/requests/check-duplicates/",
        {"forename": "", "surname": "apitest", "date_of_birth": "2016-05-04"},
        format="json",
    )
    assert [c["id"] for c in response.json()["candidates"]] == [match.pk]
    assert logged(user=personas.officer) == [(match.pk, AccessAction.LIST, "duplicate_candidate")]


def test_api_write_responses_that_return_the_case_log_the_child(api_client_for, personas) -> None:
    request = ReceivedRequestFactory()
    api = api_client_for(personas.officer)
    response = api.post(f"/api/requests/{request.pk}/assign/", {"officer_id": personas.officer.pk}, format="json")
    assert response.status_code == 200 and response.json()["child"]["id"] == request.child_id
    assert logged(user=personas.officer, object_id=request.pk) == [
        (request.child_id, AccessAction.VIEW, "assessment_request")
    ]


def test_api_bulk_assign_logs_each_child_returned(api_client_for, personas) -> None:
    requests = ReceivedRequestFactory.create_batch(3)
    response = api_client_for(personas.officer).post(
        "/api/requests/assign/",
        {"request_ids": [r.pk for r in requests], "officer_id": personas.officer.pk},
        format="json",
    )
    assert response.status_code == 200
    assert logged(user=personas.officer) == sorted(
        (r.child_id, AccessAction.LIST, "assessment_request") for r in requests
    )
