"""Sessions (issue 14): 30 minutes idle, 12 hours absolute; a password change or a disabled
account ends the other sessions; __Host- cookies with DEBUG off."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client

from core import session
from core.roles import Role
from tests.conftest import PERSONA_PASSWORD, make_user, signed_in


def test_absolute_limit_rule():
    now = time.time()
    assert not session.session_expired(now - (12 * 3600 - 1), now)
    assert session.session_expired(now - 12 * 3600, now)
    assert not session.session_expired(None, now)


def test_idle_limit_is_thirty_minutes_counted_from_the_last_request():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600


@pytest.mark.django_db
def test_a_session_twelve_hours_old_is_signed_out_however_active():
    client = signed_in(make_user(Role.SEN_OFFICER))
    assert client.get("/").status_code == 200
    stored = client.session
    stored[session.SIGNED_IN_AT_KEY] = int(time.time()) - 12 * 3600 - 5
    stored.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert client.get("/api/requests/").status_code in (401, 403)


@pytest.mark.django_db
def test_a_password_change_ends_the_other_sessions():
    user = make_user(Role.SEN_OFFICER)
    elsewhere = signed_in(user)
    assert elsewhere.get("/").status_code == 200
    user.set_password("a-brand-new-long-password")
    user.save()
    assert elsewhere.get("/").status_code == 302


@pytest.mark.django_db
def test_disabling_an_account_ends_its_sessions():
    user = make_user(Role.SEN_OFFICER)
    client = signed_in(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/").status_code == 302
    assert client.get("/api/requests/").status_code in (401, 403)


@pytest.mark.django_db
def test_production_cookies_use_the_host_prefix():
    """Tests run with DEBUG off, as production does."""
    assert settings.SESSION_COOKIE_NAME == "__Host-sessionid"
    assert settings.CSRF_COOKIE_NAME == "__Host-csrftoken"
    user = make_user(Role.SEN_OFFICER)
    client = Client()
    page = client.get("/sign-in/")
    csrf = page.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["path"] == "/" and not csrf["domain"]
    response = client.post("/sign-in/", {"username": user.username, "password": PERSONA_PASSWORD})
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["path"] == "/" and not cookie["domain"]
