"""The role check comes before the body is read, on every write endpoint of the API (issue 14
item 3; ASVS 5.0 V8.2.1).

Walks the URL conf: for every unsafe method of every API endpoint, every persona whose roles
lack the capability the action needs sends an invalid body and must get 403 with no field
errors (nothing of the body's rules leaks). A write action missing from its viewset's
``action_capabilities`` fails the build (``core.viewsets.ServiceViewSet``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import EndpointEnumerator

from core.roles import Capability, Role, capabilities_for
from core.viewsets import DeclaredCapabilities

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Bodies a validator would complain about in every way: unknown fields, wrong types, huge text.
INVALID_BODIES: list[Any] = [
    {"unknown_field": "x", "reason": 12, "outcome": "", "officer_id": "x" * 300},
    [],
    "not an object",
]


def write_endpoints() -> list[tuple[str, str, type[Any], str]]:
    """(path, METHOD, viewset class, action) for every unsafe API operation in the URL conf."""
    found = []
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        view_class = getattr(callback, "cls", None)
        if method not in UNSAFE or view_class is None or view_class.__module__.startswith("drf_spectacular."):
            continue
        # A viewset's action name; a plain APIView's write is known by its method.
        actions = getattr(callback, "actions", None)
        action = actions.get(method.lower()) if actions is not None else method.lower()
        found.append((path, method, view_class, action))
    return sorted(found, key=lambda row: (row[0], row[1]))


# Every write view declares its capabilities (core.viewsets.DeclaredCapabilities), viewsets and
# plain APIViews alike (API tokens, subject access, the SEN2 return): no exceptions.
WRITES = write_endpoints()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_walk_finds_the_write_endpoints():
    paths = {path for path, *_ in WRITES}
    assert "/api/requests/{pk}/decide-assessment/" in paths
    assert "/api/panel/agenda-items/{pk}/decision/" in paths
    # The views that once checked the role their own way are on the shared check too.
    for moved in ["/api/tokens/", "/api/tokens/{token_id}/", "/api/subject-access/", "/api/metrics/sen2/"]:
        assert moved in paths, moved
    assert len(WRITES) > 40


def test_a_write_missing_from_its_table_is_refused(rf):
    """Fail closed: a write the table does not name is a 403 before its handler runs."""
    from rest_framework import exceptions
    from rest_framework.request import Request
    from rest_framework.views import APIView

    class Undeclared(DeclaredCapabilities, APIView):
        permission_classes: list[Any] = []

        def post(self, request):  # pragma: no cover - never reached
            raise AssertionError("the handler ran")

    view = Undeclared()
    request = Request(rf.post("/api/x/"))
    view.request = request
    with pytest.raises(exceptions.PermissionDenied):
        view.check_permissions(request)


@pytest.mark.parametrize(("path", "method", "view_class", "action"), WRITES, ids=[f"{m} {p}" for p, m, *_ in WRITES])
def test_every_write_action_declares_the_capability_it_needs(path, method, view_class, action):
    assert issubclass(view_class, DeclaredCapabilities), f"{view_class.__name__} does not share the API's role check"
    assert action in view_class.action_capabilities, (
        f"{method} {path}: add {action!r} to {view_class.__name__}.action_capabilities"
    )


def _forbidden_roles(capability: Capability) -> list[Role]:
    return [role for role in Role if capability not in capabilities_for({role})]


@pytest.mark.django_db
def test_a_role_without_the_right_gets_403_and_no_hint_of_the_rules(api_client_for, personas):
    """Every write endpoint × every role that may not use it (the head teacher on the panel
    among them) × invalid bodies: 403, and the body names no field."""
    clients = {role: api_client_for(personas.for_role(role)) for role in Role}
    clients_extra = {"head_teacher": api_client_for(personas.head_teacher)}
    failures = []
    calls = 0
    for path, method, view_class, action in WRITES:
        needed = view_class.action_capabilities[action]
        if needed is None:
            continue  # no role capability up front: the service checks the object's rules
        targets = [(role.value, clients[role]) for role in _forbidden_roles(needed)]
        if needed not in capabilities_for({Role.PANEL_MEMBER}):
            targets.append(("head_teacher", clients_extra["head_teacher"]))
        for label, client in targets:
            for body in INVALID_BODIES:
                response = getattr(client, method.lower())(_concrete(path), body, format="json")
                calls += 1
                payload = response.json()
                if response.status_code != 403 or "errors" in payload or set(payload) != {"detail", "code"}:
                    failures.append((method, path, label, response.status_code, payload))
    assert calls > 300
    assert failures == []


@pytest.mark.django_db
def test_the_head_teacher_gets_403_from_a_decision_endpoint_not_field_errors(api_client_for, personas):
    """The probe's finding: a head teacher sent a bad body to a decision endpoint and learnt its rules."""
    client = api_client_for(personas.head_teacher)
    for path in ["/api/requests/1/decide-assessment/", "/api/panel/agenda-items/1/decision/"]:
        response = client.post(path, {"outcome": "nonsense"}, format="json")
        assert response.status_code == 403, (path, response.json())
        assert response.json() == {"detail": "Your role does not allow this.", "code": "permission_denied"}


@pytest.mark.django_db
def test_a_role_with_the_right_still_gets_the_field_errors(api_client_for, personas):
    response = api_client_for(personas.officer).post("/api/requests/check-duplicates/", {"nonsense": 1}, format="json")
    assert response.status_code == 400
    assert "nonsense" in response.json()["errors"]
