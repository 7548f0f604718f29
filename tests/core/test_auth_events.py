"""Security events on the ``senportal.security`` logger: sign-in success and failure, MFA,
authorisation failures (issue 14), as JSON lines naming no secret."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from core.roles import Role
from tests.conftest import PERSONA_PASSWORD, make_user, signed_in

pytestmark = pytest.mark.django_db


def _events(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "senportal.security"]


def test_sign_in_failure_and_success_are_logged_without_the_password(caplog):
    user = make_user(Role.SEN_OFFICER)
    caplog.set_level(logging.INFO, logger="senportal.security")
    client = Client()
    client.post("/sign-in/", {"username": user.username, "password": "Wrong-guess-0001"})
    client.post("/sign-in/", {"username": user.username, "password": PERSONA_PASSWORD})
    events = _events(caplog)
    names = [e["event"] for e in events]
    assert names == ["authn_login_fail", "authn_login_success"]
    assert events[1]["user_id"] == user.pk and events[1]["address"] == "127.0.0.1"
    text = caplog.text
    assert "Wrong-guess-0001" not in text and PERSONA_PASSWORD not in text


def test_mfa_failure_is_logged(caplog, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.SENPORTAL_DEV_SKIP_MFA = False
    user = make_user(Role.SEN_OFFICER)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.post("/sign-in/", {"username": user.username, "password": PERSONA_PASSWORD})
    caplog.set_level(logging.INFO, logger="senportal.security")
    client.post("/sign-in/code/", {"code": "000000"})
    assert [e["event"] for e in _events(caplog)] == ["authn_mfa_fail"]


def test_authorisation_failures_are_logged_for_pages_and_the_api(caplog, api_client_for):
    head = make_user(Role.PANEL_MEMBER)
    client = signed_in(head)
    caplog.set_level(logging.INFO, logger="senportal.security")
    assert client.get("/security/").status_code == 403
    assert api_client_for(None).get("/api/requests/").status_code == 401
    events = _events(caplog)
    assert [e["event"] for e in events] == ["authz_fail", "authn_api_fail"]
    assert events[0]["user_id"] == head.pk and events[0]["path"] == "/security/"
