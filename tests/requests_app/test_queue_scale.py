"""The triage queue at national size: the district copied onto the request (and kept true),
counts that stop at a cap, search that an index can serve, and cheap filter selects
(docs/decisions/0007-district-on-request.md, docs/benchmarks.md findings 1-3 and 5)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.api import CappedPaginator, Pagination
from core.errors import NotPermitted, ValidationFailed
from requests_app.filters import PlainSelect
from requests_app.models import AssessmentRequest, RequestEvent, RequestSource
from requests_app.services.children import child_change_district
from requests_app.services.lifecycle import request_create
from tests.conftest import Personas, signed_in
from tests.requests_app.factories import (
    ChildFactory,
    DistrictFactory,
    ReceivedRequestFactory,
    RefusedRequestFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/api/requests/"
migration_0005 = importlib.import_module("requests_app.migrations.0005_request_district")


def drifted() -> list[int]:
    """Requests whose district is not their child's."""
    return list(
        AssessmentRequest.objects.exclude(district_id=F("child__district_id")).values_list("pk", flat=True)
    ) + list(AssessmentRequest.objects.filter(district__isnull=True).values_list("pk", flat=True))


@pytest.fixture
def officer_api(api_client_for: Callable[[User | None], Any], personas: Personas) -> Any:
    return api_client_for(personas.officer)


def table_references(html: str) -> list[str]:
    return re.findall(r'href="/requests/\d+/">([^<]+)</a>', html)


# --- The district on the request ------------------------------------------------------------------


def test_a_new_request_takes_its_childs_district(personas: Personas) -> None:
    child = ChildFactory(district=DistrictFactory(name="Dover"))
    request = request_create(actor=personas.officer, child=child, received_on=days_ago(1), source=RequestSource.PARENT)
    request.refresh_from_db()
    assert request.district_id == child.district_id


def test_moving_a_child_moves_every_request_of_theirs(personas: Personas) -> None:
    """The copy must never drift: the service that changes a child's district updates the
    requests in the same transaction, open and closed alike."""
    dover, thanet = DistrictFactory(name="Dover"), DistrictFactory(name="Thanet")
    child = ChildFactory(district=dover)
    closed = RefusedRequestFactory(child=child)
    current = ReceivedRequestFactory(child=child)
    someone_else = ReceivedRequestFactory(child=ChildFactory(district=dover))

    child_change_district(actor=personas.officer, child=child, district=thanet)

    child.refresh_from_db()
    assert child.district_id == thanet.pk
    assert set(AssessmentRequest.objects.filter(district=thanet).values_list("pk", flat=True)) == {
        closed.pk,
        current.pk,
    }
    assert AssessmentRequest.objects.get(pk=someone_else.pk).district_id == dover.pk
    assert drifted() == []
    # One timeline entry on each moved request, naming both districts (ids only).
    moved = RequestEvent.objects.filter(action="district_changed")
    assert sorted(moved.values_list("request_id", flat=True)) == sorted([closed.pk, current.pk])
    assert {(e.payload["from_district_id"], e.payload["to_district_id"]) for e in moved} == {(dover.pk, thanet.pk)}
    assert all(e.actor_id == personas.officer.pk and e.from_status == e.to_status for e in moved)


def test_an_administrator_changing_the_district_moves_the_requests_too(personas: Personas) -> None:
    dover, thanet = DistrictFactory(name="Dover"), DistrictFactory(name="Thanet")
    child = ChildFactory(district=dover)
    request = ReceivedRequestFactory(child=child)
    administrator = personas.admin
    administrator.is_superuser = True  # Django's model permissions, as the demo administrator has
    administrator.save()
    client = Client()
    client.force_login(administrator)
    url = f"/admin/requests_app/child/{child.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["date_of_birth"] = child.date_of_birth.isoformat()
    data["district"] = thanet.pk

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    request.refresh_from_db()
    assert request.district_id == thanet.pk
    assert RequestEvent.objects.filter(request=request, action="district_changed").count() == 1


def test_moving_a_child_needs_a_district_and_the_right_role(personas: Personas) -> None:
    child = ChildFactory()
    with pytest.raises(ValidationFailed):
        child_change_district(actor=personas.officer, child=child, district=999_999)
    with pytest.raises(NotPermitted):
        child_change_district(actor=personas.evaluator, child=child, district=DistrictFactory())


def test_the_migration_fills_the_district_from_the_child() -> None:
    requests = [ReceivedRequestFactory(), RefusedRequestFactory()]
    AssessmentRequest.objects.update(district=None)

    class Editor:  # the little of a schema editor the data step uses
        connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration_0005.copy_district(apps, Editor())

    assert {r.pk for r in requests} == set(AssessmentRequest.objects.values_list("pk", flat=True))
    assert drifted() == []


def test_the_district_filter_needs_no_join_to_children(officer_api: Any) -> None:
    thanet = DistrictFactory(name="Thanet")
    wanted = ReceivedRequestFactory(child=ChildFactory(district=thanet))
    ReceivedRequestFactory(child=ChildFactory(district=DistrictFactory(name="Swale")))

    with CaptureQueriesContext(connection) as captured:
        body = officer_api.get(LIST_URL, {"district": thanet.pk, "overdue": "true", "open": "true"}).json()
    # Read before the next request: Django empties the query log when a request starts.
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert [row["id"] for row in body["results"]] == [wanted.pk]
    assert counts and all("requests_app_child" not in sql for sql in counts)


# --- Capped counts: the API ------------------------------------------------------------------------


def _requests(n: int) -> list[AssessmentRequest]:
    """``n`` open requests, each past its 6-week decision target."""
    return [ReceivedRequestFactory(received_on=days_ago(60 + i)) for i in range(n)]


@pytest.mark.parametrize(("rows", "count", "capped"), [(2, 2, False), (4, 4, False), (5, 4, True), (7, 4, True)])
def test_the_api_count_is_exact_up_to_the_cap_and_says_when_it_stopped(
    officer_api: Any, rows: int, count: int, capped: bool
) -> None:
    """The cap (3) counts in whole pages (2 a page): 4 rows at most, then ``count_capped``."""
    _requests(rows)
    with override_settings(PAGINATION_COUNT_CAP=3):
        body = officer_api.get(LIST_URL, {"page_size": 2}).json()
    assert (body["count"], body["count_capped"]) == (count, capped)
    assert len(body["results"]) == 2
    assert bool(body["next"]) == (rows > 2)


def test_next_links_lead_past_the_cap_to_every_row(officer_api: Any) -> None:
    made = {r.pk for r in _requests(7)}
    seen: list[int] = []
    pages = []
    with override_settings(PAGINATION_COUNT_CAP=3):
        url: str | None = f"{LIST_URL}?page_size=2"
        while url:
            body = officer_api.get(url).json()
            pages.append((body["count"], body["count_capped"]))
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
    assert sorted(seen) == sorted(made) and len(seen) == 7
    # Page 1 counts to the cap (in whole pages); page 4 reaches the end and counts it exactly.
    assert pages == [(4, True), (4, True), (6, True), (7, False)]
    # "last" is the last page counted; it offers a next page.
    with override_settings(PAGINATION_COUNT_CAP=3):
        body = officer_api.get(LIST_URL, {"page_size": 2, "page": "last"}).json()
    assert len(body["results"]) == 2 and body["next"]


def test_a_page_beyond_the_rows_is_a_404(officer_api: Any) -> None:
    _requests(2)
    with override_settings(PAGINATION_COUNT_CAP=3):
        assert officer_api.get(LIST_URL, {"page": 5}).status_code == 404


def test_the_count_stops_at_cap_plus_one_rows() -> None:
    _requests(5)
    with CaptureQueriesContext(connection) as captured:
        paginator = CappedPaginator(AssessmentRequest.objects.order_by("pk"), 2, cap=3)
        assert (paginator.count, paginator.capped, paginator.num_pages) == (4, True, 3)
    [sql] = [q["sql"] for q in captured.captured_queries]
    assert "LIMIT 5" in sql.upper()


def test_the_schema_documents_the_capped_count(
    api_client_for: Callable[[User | None], Any], personas: Personas
) -> None:
    schema = api_client_for(personas.admin).get("/api/schema/?format=json").json()
    page = schema["components"]["schemas"]["PaginatedRequestListList"]
    assert "count_capped" in page["required"]
    assert page["properties"]["count_capped"]["type"] == "boolean"
    assert "10,000" in page["properties"]["count"]["description"]


def test_the_project_pagination_is_the_capped_one() -> None:
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] == "core.api.Pagination"
    assert Pagination.page_size == 25


# --- Capped counts: the page -----------------------------------------------------------------------


def test_the_queue_page_says_more_than_the_cap(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("requests_app.views.QUEUE_PAGE_SIZE", 2)
    _requests(5)
    client = signed_in(personas.officer)
    with override_settings(PAGINATION_COUNT_CAP=3):
        html = client.get(reverse("requests:queue")).content.decode()
    assert "More than 4 requests, more than 4 overdue" in html
    assert len(table_references(html)) == 2


def test_the_queue_page_counts_exactly_up_to_the_cap(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("requests_app.views.QUEUE_PAGE_SIZE", 2)
    _requests(4)
    client = signed_in(personas.officer)
    with override_settings(PAGINATION_COUNT_CAP=3):
        html = client.get(reverse("requests:queue")).content.decode()
    assert "4 requests, 4 overdue" in html and "More than" not in html


def test_the_queue_pages_past_the_cap(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("requests_app.views.QUEUE_PAGE_SIZE", 2)
    made = sorted(r.reference for r in _requests(7))
    client = signed_in(personas.officer)
    seen: list[str] = []
    url: str | None = reverse("requests:queue")
    with override_settings(PAGINATION_COUNT_CAP=3):
        while url:
            html = client.get(url).content.decode()
            seen += table_references(html)
            found = re.search(r'href="([^"]+)" rel="next"', html)
            url = reverse("requests:queue") + found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == made
    assert "7 requests" in html  # the last page counted to the end


@pytest.mark.parametrize("page", ["0", "-3"])
def test_a_page_number_below_one_shows_the_first_page_when_capped(
    personas: Personas, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    # Django's get_page falls back to the last page; capped, that is the empty page past the cap.
    monkeypatch.setattr("requests_app.views.QUEUE_PAGE_SIZE", 2)
    _requests(5)
    client = signed_in(personas.officer)
    with override_settings(PAGINATION_COUNT_CAP=3):
        first = table_references(client.get(reverse("requests:queue")).content.decode())
        html = client.get(reverse("requests:queue"), {"page": page}).content.decode()
    assert table_references(html) == first and len(first) == 2
    assert "More than 4 requests" in html


# --- Search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["olde", "HOLDEN", "sa", "sam hol", "sam old", "REF-00", "ref-0042", "0042", "b98765432101c"]
)
def test_search_finds_by_any_part_of_a_name_reference_start_or_upn(officer_api: Any, query: str) -> None:
    wanted = ReceivedRequestFactory(
        reference="REF-0042", child=ChildFactory(forename="Sam", surname="Holden", upn="B98765432101C")
    )
    ReceivedRequestFactory(reference="XYZ-1", child=ChildFactory(forename="Alex", surname="Morgan", upn=""))
    assert [row["id"] for row in officer_api.get(LIST_URL, {"q": query}).json()["results"]] == [wanted.pk]


# Part of a reference is found since issue 12 item 19 ("036242" for "REQ-2026-036242"); a UPN
# is still matched whole only (it identifies a child, so a fragment is not a search key).
@pytest.mark.parametrize("query", ["b9876543210", "x sam"])
def test_search_does_not_match_part_of_a_upn_or_a_name_that_is_not_there(officer_api: Any, query: str) -> None:
    ReceivedRequestFactory(
        reference="REF-0042", child=ChildFactory(forename="Sam", surname="Holden", upn="B98765432101C")
    )
    assert officer_api.get(LIST_URL, {"q": query}).json()["results"] == []


def test_search_is_a_union_of_single_table_conditions(officer_api: Any) -> None:
    ReceivedRequestFactory(child=ChildFactory(surname="Holden"))
    with CaptureQueriesContext(connection) as captured:
        officer_api.get(LIST_URL, {"q": "holden"})
    [rows] = [q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"] and "UNION" in q["sql"]]
    assert "requests_app_child" in rows


@pytest.mark.postgres_only  # the search indexes are PostgreSQL's
def test_postgresql_has_the_search_indexes() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE ANY (ARRAY['child_%', 'request_%'])")
        names = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        trigram = cursor.fetchone() is not None
    assert {"request_reference_upper", "child_upn_upper", "request_open_district_queue"} <= names
    if trigram:
        assert {"child_surname_trgm", "child_forename_trgm"} <= names


# --- The filter form's selects ---------------------------------------------------------------------


def test_plain_select_renders_like_djangos_select() -> None:
    from django import forms

    choices = [("", "Any"), (1, "A & B"), (2, "<C>"), ("Group", [(3, "D")])]
    for value in (None, "2", 2, "3"):
        ours = PlainSelect(attrs={"class": "govuk-select"}, choices=choices).render("x", value, {"id": "id_x"})
        django = forms.Select(attrs={"class": "govuk-select"}, choices=choices).render("x", value, {"id": "id_x"})
        assert re.sub(r"\s+", "", ours) == re.sub(r"\s+", "", django), value


def test_the_queue_renders_officer_and_district_choices_with_the_filter_chosen(personas: Personas) -> None:
    district = DistrictFactory(name="Gravesham")
    ReceivedRequestFactory(assigned_officer=personas.officer, child=ChildFactory(district=district))
    client = signed_in(personas.officer)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(
            reverse("requests:queue"), {"district": district.pk, "assigned_officer": personas.officer.pk}
        ).content.decode()
    assert f'<option value="{district.pk}" selected>Gravesham</option>' in html

    def options(name: str) -> str:
        found = re.search(rf'<select name="{name}".*?</select>', html, re.S)
        assert found, name
        return found.group(0)

    mine = personas.officer.pk
    assert f'<option value="{mine}" selected>' in options("assigned_officer")
    assert f'<option value="{mine}">' in options("officer")  # the bulk-assign list: nobody chosen
    # The officers are read once for both lists.
    officer_lists = [q for q in captured.captured_queries if 'ORDER BY "auth_user"."first_name"' in q["sql"]]
    assert len(officer_lists) == 1


def test_the_days_left_use_one_today(personas: Personas) -> None:
    # The totals and the rows agree on "today" (a request due today is not overdue).
    ReceivedRequestFactory(received_on=timezone.localdate() - timedelta(weeks=6))
    html = signed_in(personas.officer).get(reverse("requests:queue")).content.decode()
    assert "1 request, 0 overdue" in html
