"""Security events of the second factor, confirmations and API tokens (issue 14): each an
access-log row (``core.access.log_security_event``), naming no secret."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import mfa, tokens
from core.models import AccessAction, AccessLog
from core.roles import Role
from tests.conftest import PERSONA_PASSWORD, make_user, signed_in

pytestmark = pytest.mark.django_db


def _events(user) -> list[tuple[str, str]]:
    return list(AccessLog.objects.security_events().filter(user=user).order_by("pk").values_list("action", "reason"))


def test_wrong_and_throttled_codes_are_logged(settings):
    settings.SENPORTAL_DEV_SKIP_MFA = False
    user = make_user(Role.SEN_OFFICER)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.post("/sign-in/", {"username": user.username, "password": PERSONA_PASSWORD})
    for _ in range(11):
        client.post("/sign-in/code/", {"code": "000000"})
    events = _events(user)
    assert events[0] == (AccessAction.SIGNIN_SUCCESS, "")
    assert events[1:] == [(AccessAction.MFA_FAILURE, "wrong_or_used_code")] * 10 + [
        (AccessAction.MFA_FAILURE, "throttled")
    ]


def test_confirmation_tokens_and_resets_are_logged():
    user = make_user(Role.SEN_OFFICER)
    client = signed_in(user)
    client.post("/account/confirm/", {"password": PERSONA_PASSWORD, "next": "/"})
    client.post("/account/tokens/new/")
    client.post("/account/tokens/revoke/", {"token": tokens.tokens_of(user)[0].id})
    assert [action for action, _ in _events(user)] == [
        AccessAction.REAUTH_SUCCESS,
        AccessAction.TOKEN_CREATED,
        AccessAction.TOKEN_REVOKED,
    ]
    admin_user = make_user(Role.ADMIN)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    signed_in(admin_user).post(f"/security/users/{user.pk}/reset-two-step/")
    reset = AccessLog.objects.get(action=AccessAction.MFA_RESET)
    assert (reset.user_id, reset.object_type, reset.object_id) == (admin_user.pk, "user", user.pk)
    assert not mfa.has_authenticator(user)


def test_a_password_only_api_call_is_logged_as_refused(settings):
    settings.SENPORTAL_DEV_SKIP_MFA = False
    user = make_user(Role.SEN_OFFICER)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.post("/sign-in/", {"username": user.username, "password": PERSONA_PASSWORD})
    assert client.get("/api/requests/").status_code == 403
    assert (AccessAction.AUTHZ_FAILURE, "mfa_required") in _events(user)
