"""Access-log rows carry address, roles, request id and reason; sign-in success and failure and
every refusal (403) are security events (issue 14)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from core.access import access_log_record, log_security_event
from core.models import SECURITY_ACTIONS, AccessAction, AccessLog
from core.roles import Role
from tests.conftest import PERSONA_PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _events(action: str) -> list[AccessLog]:
    return list(AccessLog.objects.filter(action=action).order_by("pk"))


def test_every_response_has_a_request_id_header(client: Client) -> None:
    first = client.get("/sign-in/")
    second = client.get("/sign-in/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.embedded
def test_a_correct_sign_in_is_logged_with_address_roles_and_request_id(client: Client) -> None:
    user = make_user(Role.SEN_OFFICER, Role.PANEL_MEMBER, username="signs_in")
    response = client.post(
        "/sign-in/", {"username": "signs_in", "password": PERSONA_PASSWORD}, REMOTE_ADDR="192.0.2.10"
    )
    assert response.status_code == 302
    [row] = _events(AccessAction.SIGNIN_SUCCESS)
    assert row.user == user
    assert row.address == "192.0.2.10"
    assert row.roles == "panel_member,sen_officer"
    assert row.request_id == response["X-Request-ID"]


@pytest.mark.parametrize(
    ("username", "active", "reason"),
    [("known", True, "bad_password"), ("nobody", True, "unknown_account"), ("leaver", False, "inactive_account")],
)
def test_a_refused_sign_in_is_logged_with_its_reason(client: Client, username: str, active: bool, reason: str) -> None:
    make_user(Role.SEN_OFFICER, username="known")
    make_user(Role.SEN_OFFICER, username="leaver", is_active=False)
    password = "wrong-password-1" if username == "known" else PERSONA_PASSWORD
    response = client.post("/sign-in/", {"username": username, "password": password})
    assert response.status_code == 200
    [row] = _events(AccessAction.SIGNIN_FAILURE)
    assert row.reason == reason
    assert (row.user.username if row.user else None) == (None if username == "nobody" else username)
    assert row.address == "127.0.0.1"
    assert "wrong-password" not in str(row.__dict__)
    assert not _events(AccessAction.SIGNIN_SUCCESS)


def test_a_throttled_sign_in_is_logged_as_throttled(client: Client) -> None:
    make_user(Role.SEN_OFFICER, username="guessed")
    for _ in range(6):
        client.post("/sign-in/", {"username": "guessed", "password": "wrong-password-1"})
    reasons = [row.reason for row in _events(AccessAction.SIGNIN_FAILURE)]
    assert reasons == ["bad_password"] * 5 + ["throttled"]


def test_force_login_in_tests_and_scripts_is_not_a_sign_in(personas: Any, page_client_for: Any) -> None:
    page_client_for(personas.officer)
    assert not AccessLog.objects.exists()


def test_a_refused_page_is_an_authorisation_failure(personas: Any, page_client_for: Any) -> None:
    response = page_client_for(personas.ep).get("/requests/")
    assert response.status_code == 403
    [row] = _events(AccessAction.AUTHZ_FAILURE)
    assert row.user == personas.ep
    assert row.path == "/requests/"
    assert row.roles == "educational_psychologist"
    assert row.reason == "needs:request.view"
    assert row.request_id == response["X-Request-ID"]
    assert not AccessLog.objects.reads().exists()


def test_a_refused_api_call_is_an_authorisation_failure(personas: Any, api_client_for: Any) -> None:
    response = api_client_for(personas.ep).get("/api/requests/")
    assert response.status_code == 403
    [row] = _events(AccessAction.AUTHZ_FAILURE)
    assert (row.user, row.path, row.reason) == (personas.ep, "/api/requests/", "permission_denied")


def test_an_allowed_page_writes_no_security_event(personas: Any, page_client_for: Any) -> None:
    assert page_client_for(personas.officer).get("/requests/").status_code == 200
    assert not AccessLog.objects.security_events().exists()


def test_reads_written_during_a_request_carry_its_address_and_id(personas: Any, page_client_for: Any) -> None:
    from tests.requests_app.factories import ReceivedRequestFactory

    request = ReceivedRequestFactory()
    response = page_client_for(personas.officer).get(f"/requests/{request.pk}/", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200
    row = AccessLog.objects.reads().get(object_type="assessment_request", object_id=request.pk)
    assert (row.address, row.request_id, row.roles) == ("198.51.100.7", response["X-Request-ID"], "sen_officer")


def test_rows_written_outside_a_request_have_no_address(personas: Any) -> None:
    row = access_log_record(user=personas.officer, child_id=None, object_type="x", object_id=None)
    assert (row.address, row.request_id, row.roles) == ("", "", "sen_officer")


def test_log_security_event_also_writes_one_escaped_log_line(personas: Any, caplog: Any, rf: Any) -> None:
    request = rf.get("/x/\nforged line")
    request.user = personas.manager
    with caplog.at_level(logging.INFO, logger="senportal.security"):
        row = log_security_event(request, AccessAction.MFA_FAILURE, reason="wrong_code")
    assert (row.user, row.action, row.reason) == (personas.manager, "authn_mfa_fail", "wrong_code")
    assert row.roles == "manager"
    [line] = [r.getMessage() for r in caplog.records if r.name == "senportal.security"]
    assert line.startswith("authn_mfa_fail ") and "\n" not in line


def test_security_actions_are_the_authn_and_authz_ones() -> None:
    assert AccessAction.SIGNIN_FAILURE in SECURITY_ACTIONS
    assert AccessAction.AUTHZ_FAILURE in SECURITY_ACTIONS
    assert AccessAction.VIEW not in SECURITY_ACTIONS and AccessAction.EXPORT not in SECURITY_ACTIONS
