"""Constant query counts: every list page and list endpoint costs the same number of queries
for 1 row as for 50 (docs/architecture.md §8: "query counts do not grow with page size").

Each test measures the count with one row, adds 49 more, and asserts the same count again
with ``django_assert_num_queries``, checking that the second response really shows more rows.
Lists of apps still being built are skipped until their routes exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Personas
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    ChildFactory,
    DistrictFactory,
    EstablishmentFactory,
    ReceivedRequestFactory,
)

pytestmark = pytest.mark.django_db

MANY = 50


def _url(name: str, query: str = "") -> str:
    path = reverse(name)  # a missing route fails the test: every list here must exist
    return f"{path}?{query}" if query else path


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queries(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries), response


def assert_constant(
    client: Any,
    url: str,
    add_rows: Callable[[int], None],
    django_assert_num_queries: Any,
    *,
    shown: Callable[[Any], int],
) -> None:
    """One row, measured; 49 more, the same count; and the second response shows more rows."""
    add_rows(1)
    client.get(url)  # warm: the session, the user's groups, any per-process cache
    one, first = _queries(client, url)
    assert shown(first) == 1
    add_rows(MANY - 1)
    with django_assert_num_queries(one):
        response = client.get(url)
    assert response.status_code == 200
    assert shown(response) > 1


def _api_rows(response: Any) -> int:
    return len(response.json()["results"])


def _page_rows(response: Any) -> int:
    """Rows the page rendered, read from its template context (whichever list it passes)."""
    for key in ("rows", "page", "contracts", "object_list"):
        if key in response.context:
            value = response.context[key]
            return len(getattr(value, "object_list", value))
    raise AssertionError(f"No list in the page's context: {sorted(response.context.keys())}")


# --- Requests: the triage queue and the advice queue ---------------------------------------------


def _requests(personas: Personas) -> Callable[[int], None]:
    school, district = EstablishmentFactory(), DistrictFactory()

    def add(count: int) -> None:
        for _ in range(count):
            ReceivedRequestFactory(
                assigned_officer=personas.officer, child=ChildFactory(current_establishment=school, district=district)
            )

    return add


def test_the_queue_api(personas: Personas, django_assert_num_queries: Any) -> None:
    assert_constant(
        _signed_in(personas.officer),
        _url("assessment-request-list", f"page_size={MANY}"),
        _requests(personas),
        django_assert_num_queries,
        shown=_api_rows,
    )


def test_the_queue_page(personas: Personas, django_assert_num_queries: Any) -> None:
    assert_constant(
        _signed_in(personas.officer),
        _url("requests:queue"),
        _requests(personas),
        django_assert_num_queries,
        shown=_page_rows,
    )


def _advice(count: int) -> None:
    school = EstablishmentFactory()
    for _ in range(count):
        AdviceRequestFactory(request__child=ChildFactory(current_establishment=school))


def test_the_advice_queue_api(personas: Personas, django_assert_num_queries: Any) -> None:
    assert_constant(
        _signed_in(personas.officer),
        _url("advice-request-list", f"page_size={MANY}"),
        _advice,
        django_assert_num_queries,
        shown=_api_rows,
    )


def test_the_advice_queue_page(personas: Personas, django_assert_num_queries: Any) -> None:
    assert_constant(
        _signed_in(personas.officer),
        _url("requests:advice-queue"),
        _advice,
        django_assert_num_queries,
        shown=_page_rows,
    )


# --- The dashboard's cases behind a number --------------------------------------------------------


def test_the_dashboard_cases_page(personas: Personas, django_assert_num_queries: Any) -> None:
    today = timezone.localdate()

    def add(count: int) -> None:
        for _ in range(count):
            AssessingRequestFactory(child=ChildFactory(current_establishment=None))

    assert_constant(
        _signed_in(personas.manager),
        _url("dashboard:cases", f"metric=open_requests&date={today.isoformat()}"),
        add,
        django_assert_num_queries,
        shown=_page_rows,
    )


# --- The panel's meetings, and placements ---------------------------------------------------------


def test_the_panel_meetings_api(personas: Personas, django_assert_num_queries: Any) -> None:
    factories = pytest.importorskip("tests.panels.factories")
    url = _url("panel-meeting-list", f"page_size={MANY}")

    def add(count: int) -> None:
        for _ in range(count):
            factories.HeldMeetingFactory()

    assert_constant(_signed_in(personas.chair), url, add, django_assert_num_queries, shown=_api_rows)


def test_the_placement_contracts_api(personas: Personas, django_assert_num_queries: Any) -> None:
    factories = pytest.importorskip("tests.placements.factories")
    url = _url("placement-contract-list", f"page_size={MANY}")
    assert_constant(
        _signed_in(personas.finance),
        url,
        lambda count: [factories.ContractFactory() for _ in range(count)] and None,
        django_assert_num_queries,
        shown=_api_rows,
    )


def test_the_placement_contracts_page(personas: Personas, django_assert_num_queries: Any) -> None:
    factories = pytest.importorskip("tests.placements.factories")
    url = _url("placements:contract-list")
    assert_constant(
        _signed_in(personas.finance),
        url,
        lambda count: [factories.ContractFactory() for _ in range(count)] and None,
        django_assert_num_queries,
        shown=_page_rows,
    )
