"""Issue 12 items 19-21 through the pages and the API: filters, home figures, back links, allowed
actions, search, id field names and unknown fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework import serializers

from core.viewsets import unknown_fields
from requests_app import summary
from requests_app.api import serializers as request_serializers
from tests.conftest import Personas
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    ChildFactory,
    ClockExceptionFactory,
    DraftIssuedRequestFactory,
    EstablishmentFactory,
    EvaluatingRequestFactory,
    ReceivedRequestFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer_api(api_client_for: Callable[[User | None], Any], personas: Personas) -> Any:
    return api_client_for(personas.officer)


# --- Item 20 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "blank"), [("source", "Anyone"), ("need", "Any need"), ("age", "Any age")])
def test_queue_filters_show_one_blank_option(personas: Personas, name: str, blank: str) -> None:
    html = signed_in(personas.officer).get(reverse("requests:queue")).content.decode()
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select is not None
    blanks = re.findall(r'<option value=""[^>]*>([^<]*)</option>', select.group(0))
    assert blanks == [blank]


def test_advice_overdue_figure_opens_only_overdue_advice(personas: Personas) -> None:
    overdue = AdviceRequestFactory(
        request=AssessingRequestFactory(received_on=days_ago(90)), requested_on=days_ago(60), addressee="Late EP"
    )
    overdue.due_on = overdue.target_on = days_ago(18)
    overdue.save()
    not_yet = AdviceRequestFactory(
        request=AssessingRequestFactory(received_on=days_ago(30)), requested_on=days_ago(5), addressee="Fresh EP"
    )
    not_yet.due_on = not_yet.target_on = days_ago(5) + timedelta(weeks=6)
    not_yet.save()
    figures = {f["label"]: f for f in summary.officer_summary(personas.officer, days_ago(0))}
    figure = figures["Advice overdue (all services)"]
    assert figure["count"] == 1

    html = signed_in(personas.officer).get(figure["url"]).content.decode()
    assert "Late EP" in html
    assert "Fresh EP" not in html
    assert "1 advice request past the 6-week deadline" in html


def test_ep_past_deadline_figure_opens_only_overdue_advice(personas: Personas) -> None:
    figures = {f["label"]: f for f in summary.ep_summary(personas.ep, days_ago(0))}
    assert figures["Past the 6-week deadline (reg 8)"]["url"].endswith("?overdue=true")
    assert signed_in(personas.ep).get(figures["Past the 6-week deadline (reg 8)"]["url"]).status_code == 200


def test_evaluation_recommendation_is_not_labelled_optional_and_is_needed_to_complete(personas: Personas) -> None:
    request = EvaluatingRequestFactory()
    client = signed_in(personas.evaluator)
    html = client.get(reverse("requests:evaluation", args=[request.pk])).content.decode()
    legend = re.search(r"<legend[^>]*>\s*Recommendation[^<]*</legend>", html)
    assert legend is not None and "(optional)" not in legend.group(0)
    response = client.post(reverse("requests:evaluation", args=[request.pk]), {"apdr_cycles": "1", "complete": "yes"})
    assert response.status_code == 200
    assert "Select a recommendation" in response.content.decode()


def test_request_page_back_link_keeps_the_queues_filters_and_page(personas: Personas) -> None:
    request = ReceivedRequestFactory()
    queue = reverse("requests:queue")
    html = (
        signed_in(personas.officer)
        .get(
            reverse("requests:detail", args=[request.pk]),
            HTTP_REFERER=f"http://testserver{queue}?status=received&source=parent&page=2&evil=1",
        )
        .content.decode()
    )
    assert f'href="{queue}?status=received&amp;source=parent&amp;page=2" class="govuk-back-link' in html


@pytest.mark.parametrize(
    "referer", ["http://evil.example/requests/?status=received", "http://testserver/panel/?status=received", ""]
)
def test_back_link_ignores_other_sites_and_pages(personas: Personas, referer: str) -> None:
    request = ReceivedRequestFactory()
    html = (
        signed_in(personas.officer)
        .get(reverse("requests:detail", args=[request.pk]), HTTP_REFERER=referer)
        .content.decode()
    )
    assert f'href="{reverse("requests:queue")}" class="govuk-back-link' in html


def test_allowed_actions_offer_remove_exception_only_with_an_exception(officer_api: Any) -> None:
    without = ReceivedRequestFactory()
    exception = ClockExceptionFactory(request=ReceivedRequestFactory())
    assert "remove_exception" not in officer_api.get(f"/api/requests/{without.pk}/").json()["allowed_actions"]
    assert "remove_exception" in officer_api.get(f"/api/requests/{exception.request_id}/").json()["allowed_actions"]
    rows = {row["id"]: row for row in officer_api.get("/api/requests/").json()["results"]}
    assert "remove_exception" not in rows[without.pk]["allowed_actions"]
    assert "remove_exception" in rows[exception.request_id]["allowed_actions"]


# --- Item 19: search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Taylor Isabella", "Isabella Taylor", "036242", "REQ-0362"])
def test_search_finds_surname_first_and_part_of_a_reference(officer_api: Any, query: str) -> None:
    wanted = ReceivedRequestFactory(reference="REQ-036242", child=ChildFactory(forename="Isabella", surname="Taylor"))
    ReceivedRequestFactory(reference="REQ-000001", child=ChildFactory(forename="Taylor", surname="Brown"))
    ids = [row["id"] for row in officer_api.get("/api/requests/", {"q": query}).json()["results"]]
    assert ids == [wanted.pk]


# --- Item 21: id names and unknown fields ------------------------------------------------------------


def test_an_unknown_field_is_a_400_naming_it(officer_api: Any, personas: Personas) -> None:
    request = ReceivedRequestFactory()
    response = officer_api.post(f"/api/requests/{request.pk}/assign/", {"officer": personas.officer.pk}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "officer" in errors and "officer_id" in errors["officer"][0]


def test_issue_final_takes_named_establishment_id_and_refuses_the_old_name(officer_api: Any) -> None:
    request = DraftIssuedRequestFactory(draft_issued_on=days_ago(20))
    school = EstablishmentFactory()
    old = officer_api.post(
        f"/api/requests/{request.pk}/issue-final/",
        {"issued_on": days_ago(1).isoformat(), "named_establishment": school.pk, "placement_type": "mainstream"},
        format="json",
    )
    assert old.status_code == 400
    assert "named_establishment" in old.json()["errors"]
    new = officer_api.post(
        f"/api/requests/{request.pk}/issue-final/",
        {"issued_on": days_ago(1).isoformat(), "named_establishment_id": school.pk, "placement_type": "mainstream"},
        format="json",
    )
    assert new.status_code == 200, new.json()
    assert new.json()["named_establishment"]["id"] == school.pk


def test_every_id_in_a_request_body_is_named_thing_id() -> None:
    def id_fields(serializer: serializers.Serializer[Any], prefix: str = "") -> list[str]:
        names = []
        for name, field in serializer.fields.items():
            if field.read_only:
                continue
            if isinstance(field, serializers.Serializer):
                names += id_fields(field, f"{prefix}{name}.")
            elif isinstance(field, serializers.PrimaryKeyRelatedField | serializers.ManyRelatedField):
                names.append(f"{prefix}{name}")
        return names

    inputs = [
        cls
        for cls in vars(request_serializers).values()
        if isinstance(cls, type)
        and issubclass(cls, serializers.Serializer)
        and not issubclass(cls, serializers.ModelSerializer)
    ]
    names = [name for cls in inputs for name in id_fields(cls())]
    assert "named_establishment_id" in names and "child.district_id" in names
    assert all(name.endswith("_id") for name in names), names


def test_unknown_fields_are_found_in_nested_bodies_too() -> None:
    class Inner(serializers.Serializer[Any]):
        name = serializers.CharField()

    class Outer(serializers.Serializer[Any]):
        inner = Inner()
        items = Inner(many=True)
        title = serializers.CharField()

    found = unknown_fields(
        Outer(), {"title": "x", "inner": {"name": "a", "nmae": "b"}, "items": [{"name": "a"}, {"x": 1}], "z": 0}
    )
    assert set(found) == {"inner.nmae", "items.1.x", "z"}


def test_a_field_sent_to_an_action_that_takes_none_is_a_400_naming_it(
    api_client_for: Callable[[User | None], Any], personas: Personas
) -> None:
    request = ReceivedRequestFactory()
    response = api_client_for(personas.evaluator).post(
        f"/api/requests/{request.pk}/start-evaluation/", {"note": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    ok = api_client_for(personas.evaluator).post(f"/api/requests/{request.pk}/start-evaluation/", {}, format="json")
    assert ok.status_code == 200
