"""Malformed ids never answer 500 (issue 12 item 24).

Every URL pattern that takes an id is found by walking the URLconf (not a hand-kept list). Each
is sent ids that are not ids (in the path; and in the query string and the body, by every name
a page reads or the API's schema documents) as a signed-in officer, manager, chair and finance
officer. A path id that is not one is a page that does not exist (404); a query or body id that
is not one is a 400 naming the field; a role without the capability is refused first (403).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from drf_spectacular.generators import SchemaGenerator

from core.ids import MAX_ID, parse_id
from core.models import NeedType
from core.roles import Role
from requests_app.models import AssessmentRequest, RequestSource
from tests.panels.factories import make_panel
from tests.panels.test_api import circulated
from tests.placements.factories import CostLineFactory, DeductionFactory
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    ClockExceptionFactory,
    DistrictFactory,
    EstablishmentFactory,
)

ROOT = Path(__file__).resolve().parents[2]

# Text that is not an id: words, superscripts ("²".isdigit() is True), a float too large for
# int(), signs, fractions, zero, one past the largest id, and a number no column holds.
NOT_IDS = ["abc", "²", "1e309", "-1", "1.5", "0", str(MAX_ID + 1), "99999999999999999999"]
# For the walk over every path (a few hundred routes): one of each kind the resolver lets through.
NOT_IDS_IN_PATHS = ["²", "1e309", "0", "99999999999999999999"]
# The same as JSON values in a body: a float that overflows, booleans, floats, text.
NOT_IDS_JSON = ["1e309", '"²"', "true", "1.5", "-1", "0", str(MAX_ID + 1), '"abc"']

ROLES = [Role.SEN_OFFICER, Role.MANAGER, Role.PANEL_CHAIR, Role.FINANCE_OFFICER]


@dataclass(frozen=True)
class Route:
    route: str  # the pattern as text, for messages
    params: tuple[str, ...]  # the names of its parameters
    template: str  # a path with {name} for each parameter
    callback: Any


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _template(route: str) -> tuple[str, tuple[str, ...]]:
    """``requests/<id:pk>/`` or DRF's ``^requests/(?P<pk>[^/.]+)/$`` as ``requests/{pk}/``."""
    names: list[str] = []

    def named(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "{" + match.group(1) + "}"

    path = re.sub(r"<(?:\w+:)?(\w+)>", named, route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", named, path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    path = re.sub(r"\\(.)", r"\1", path).replace("/?", "/")
    return "/" + path.lstrip("/"), tuple(names)


def routes() -> list[Route]:
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "static/")):
            continue  # Django's own admin (its object ids are text) and static files
        template, params = _template(route)
        if isinstance(pattern.pattern, RoutePattern) and not pattern.pattern.converters:
            params = ()
        found.append(Route(route, params, template, pattern.callback))
    return found


def id_routes() -> list[Route]:
    return [r for r in routes() if any(p != "format" for p in r.params)]


def _fill(route: Route, **values: str) -> str:
    filled = {name: values.get(name, "1") for name in route.params}
    filled.setdefault("format", "json")
    return route.template.format(**filled)


def test_the_walk_finds_every_kind_of_id_route() -> None:
    found = {r.route for r in id_routes()}
    assert "requests/<id:pk>/" in found  # a page
    assert any(r.startswith("api/panel/") and "(?P<pk>" in r and "pack" in r for r in found)  # an API action
    assert any("(?P<format>" in r for r in found)  # a router's format suffix (…/pack.json)


def test_the_id_parser_reads_only_ids() -> None:
    assert [parse_id(v) for v in ("1", " 42 ", str(MAX_ID), 7)] == [1, 42, MAX_ID, 7]
    refused = [*NOT_IDS, "", " ", "+1", "١", True, False, 1.0, float("inf"), None, [1], {"id": 1}, MAX_ID + 1, 0, -3]
    assert [v for v in refused if parse_id(v) is not None] == []


# --- Names the pages read from a query string or a form body --------------------------------------

_READS = re.compile(
    r"""(?:request\.(?:GET|POST)|params|query)(?:\.get\(|\[)\s*"(\w+)"|query_id\(\s*[\w.]+,\s*"(\w+)\""""
)


def page_parameter_names() -> list[str]:
    """Every name a page view reads from ``request.GET``/``request.POST`` (or parses as an id)."""
    names: set[str] = set()
    for app in ("requests_app", "panels", "placements", "reporting", "core"):
        for path in (ROOT / app).rglob("*.py"):
            if not (path.name.endswith("views.py") or "views" in path.parts):
                continue
            for match in _READS.finditer(path.read_text(encoding="utf-8")):
                names.add(match.group(1) or match.group(2))
    return sorted(names)


def test_the_page_parameters_include_the_ids_pages_read() -> None:
    assert {"use_child", "district", "request", "decision", "establishment", "referral"} <= set(page_parameter_names())


# --- Data, so that API actions get past "not found" to the body -------------------------------------


@pytest.fixture
def records(db: None) -> None:
    request = AssessingRequestFactory()
    AdviceRequestFactory(request=request)
    ClockExceptionFactory(request=request)
    CostLineFactory()
    DeductionFactory()


def _existing_pk(route: Route) -> str:
    """An id of a record the route's viewset reads, when it has one (else "1")."""
    view_class = getattr(route.callback, "cls", None)
    queryset = getattr(view_class, "queryset", None)
    if queryset is None:
        return "1"
    first = queryset.model.objects.order_by("pk").values_list("pk", flat=True).first()
    return str(first or 1)


def _signed_in(client: Any, personas: Any, role: Role) -> Any:
    client.force_login(personas.for_role(role))
    return client


def _api_client(api_client_for: Any, personas: Any, role: Role) -> Any:
    return api_client_for(personas.for_role(role))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_malformed_path_ids_are_not_found(client, personas, api_client_for, role) -> None:
    page_client = _signed_in(client, personas, role)
    api = _api_client(api_client_for, personas, role)
    failures = []
    for route in id_routes():
        http = api if route.template.startswith("/api/") else page_client
        for name in (p for p in route.params if p != "format"):
            for value in NOT_IDS_IN_PATHS:
                path = _fill(route, **{name: value})
                for method in ("get", "post"):
                    status = getattr(http, method)(path).status_code
                    if status not in (403, 404, 405):
                        failures.append((method.upper(), path, status))
    assert failures == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_malformed_query_and_form_ids_never_answer_500(client, personas, role) -> None:
    page_client = _signed_in(client, personas, role)
    names = page_parameter_names()
    failures = []
    for route in routes():
        if route.template.startswith("/api/"):
            continue
        path = _fill(route)
        for value in NOT_IDS:
            data = dict.fromkeys(names, value)
            for method in ("get", "post"):
                status = getattr(page_client, method)(path, data).status_code
                if status >= 500:
                    failures.append((method.upper(), path, value, status))
    assert failures == []


# --- The API: every query parameter and body field its schema documents ----------------------------


def _api_operations() -> list[tuple[str, str, list[str], list[str]]]:
    """(path template, method, query parameter names, integer body fields) for each operation."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})

    def body_fields(operation: dict[str, Any]) -> list[str]:
        content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        ref = content.get("schema", {}).get("$ref", "")
        properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
        return sorted(
            name
            for name, spec in properties.items()
            if not spec.get("readOnly")
            and (spec.get("type") == "integer" or spec.get("items", {}).get("type") == "integer")
        )

    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            query = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
            operations.append((path, method, query, body_fields(operation)))
    return operations


def _api_path(template: str) -> str:
    """A schema path with each ``{pk}`` an existing record of its kind (or 1)."""
    resolved = {r.template: r for r in routes() if r.template.startswith("/api/")}
    route = resolved.get(template)
    pk = _existing_pk(route) if route else "1"
    return re.sub(r"\{\w+\}", pk, template)


def test_the_api_schema_documents_id_fields_in_bodies() -> None:
    bodies = {(path, method): fields for path, method, _, fields in _api_operations()}
    assert "officer_id" in bodies[("/api/requests/{id}/assign/", "post")]
    assert "advice_request_id" in bodies[("/api/requests/{id}/exceptions/", "post")]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_malformed_api_query_and_body_ids_are_refused_with_400(api_client_for, personas, records, role) -> None:
    api = _api_client(api_client_for, personas, role)
    failures = []
    for template, method, query, fields in _api_operations():
        path = _api_path(template)
        for value, json_value in zip(NOT_IDS, NOT_IDS_JSON, strict=True):
            if method == "get" and query:
                status = api.get(path, dict.fromkeys(query, value)).status_code
                if status >= 500:
                    failures.append(("GET", path, value, status))
            if method != "get" and fields:
                body = "{" + ", ".join(f'"{name}": {json_value}' for name in fields) + "}"
                response = getattr(api, method)(path, body, content_type="application/json")
                if response.status_code not in (400, 403, 404, 405, 409):
                    failures.append((method.upper(), path, json_value, response.status_code))
                elif response.status_code == 400 and not set(response.json().get("errors", {})) & set(fields):
                    failures.append((method.upper(), path, json_value, "400 naming none of", fields))
    assert failures == []


# --- The 500s found in use (issue 12 item 24), one by one ------------------------------------------


@pytest.mark.django_db
def test_new_request_naming_a_child_that_is_not_an_id_is_400(client, personas) -> None:
    district, school = DistrictFactory(), EstablishmentFactory()
    received = date.today() - timedelta(days=3)
    data = {
        "forename": "Ellie",
        "surname": "Marsh",
        "date_of_birth_day": "3",
        "date_of_birth_month": "6",
        "date_of_birth_year": "2015",
        "sex": "F",
        "postcode": "ME14 1XX",
        "district": district.pk,
        "current_establishment": school.pk,
        "primary_need": NeedType.SLCN,
        "received_on_day": str(received.day),
        "received_on_month": str(received.month),
        "received_on_year": str(received.year),
        "source": RequestSource.PARENT,
        "requester_name": "Jo Marsh",
        "requester_relationship": "Mother",
        "requester_email": "jo@example.com",
        "use_child": "abc",
    }
    client.force_login(personas.officer)
    response = client.post("/requests/new/", data)
    assert response.status_code == 400
    assert "use_child must be an id" in response.content.decode()
    assert AssessmentRequest.objects.count() == 0


@pytest.mark.django_db
def test_dashboard_cases_with_a_superscript_district_is_400(client, personas) -> None:
    client.force_login(personas.manager)
    response = client.get("/dashboard/cases/", {"metric": "requests_received", "month": "2025-03", "district": "²"})
    assert response.status_code == 400
    assert "That district is not known" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "1e309", "abc", "0"])
def test_referral_form_for_a_request_that_is_not_an_id_is_400(client, personas, value) -> None:
    client.force_login(personas.officer)
    response = client.get("/panel/referrals/new/", {"request": value})
    assert response.status_code == 400
    assert "request must be an id" in response.content.decode()


def _json_post(api: Any, path: str, body: str) -> Any:
    return api.post(path, body, content_type="application/json")


@pytest.mark.django_db
def test_json_id_1e309_is_a_400_naming_the_field(api_client_for, personas) -> None:
    api = api_client_for(personas.officer)
    request = AssessingRequestFactory()
    assign = _json_post(api, f"/api/requests/{request.pk}/assign/", '{"officer_id": 1e309}')
    create = _json_post(api, "/api/requests/", '{"child_id": 1e309}')
    exception = _json_post(
        api,
        f"/api/requests/{request.pk}/exceptions/",
        '{"kind": "advice", "start": "2025-01-06", "end": "2025-01-10", "evidence": "x", "advice_request_id": 1e309}',
    )
    assert (assign.status_code, create.status_code, exception.status_code) == (400, 400, 400)
    assert "officer_id" in assign.json()["errors"]
    assert "child_id" in create.json()["errors"]
    assert "advice_request_id" in exception.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["true", "1.0", '"²"', "-4"])
def test_json_ids_that_are_booleans_floats_or_superscripts_are_refused(api_client_for, personas, value) -> None:
    request = AssessingRequestFactory()
    response = _json_post(
        api_client_for(personas.officer), f"/api/requests/{request.pk}/assign/", f'{{"officer_id": {value}}}'
    )
    assert response.status_code == 400 and "officer_id" in response.json()["errors"]


@pytest.mark.django_db
def test_pack_json_answers_the_pack_not_a_500(api_client_for, personas) -> None:
    panel = make_panel()
    meeting, _ = circulated(panel)
    member = api_client_for(panel.sen.user)
    as_json = member.get(f"/api/panel/meetings/{meeting.pk}/pack.json")
    assert as_json.status_code == 200
    assert as_json.json()["items"] == member.get(f"/api/panel/meetings/{meeting.pk}/pack/").json()["items"]
    for role in ROLES:
        assert (
            api_client_for(personas.for_role(role)).get(f"/api/panel/meetings/{meeting.pk}/pack.json").status_code < 500
        )
