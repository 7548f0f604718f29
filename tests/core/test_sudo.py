"""Sudo mode (core.sudo): a fresh sign-in within 15 minutes before sensitive actions."""

from __future__ import annotations

import time

import pytest
from django.test import Client, RequestFactory
from knox.models import AuthToken

from core import sudo
from core.roles import Role
from tests.conftest import PERSONA_PASSWORD, make_user, signed_in


def _age_session(client: Client, seconds: int) -> None:
    session = client.session
    session[sudo.SUDO_SESSION_KEY] = int(time.time()) - seconds
    session.save()


def test_freshness_window_is_fifteen_minutes(rf: RequestFactory):
    request = rf.get("/")
    request.session = {}  # type: ignore[assignment]
    request.user = type("U", (), {"is_authenticated": True})()  # type: ignore[assignment]
    now = time.time()
    sudo.mark_fresh(request, at=now - 14 * 60)
    assert sudo.is_fresh(request, now=now)
    sudo.mark_fresh(request, at=now - 15 * 60)
    assert not sudo.is_fresh(request, now=now)
    request.session = {}  # type: ignore[assignment]
    assert not sudo.is_fresh(request, now=now)


@pytest.mark.django_db
def test_sign_in_counts_as_fresh_and_a_sensitive_action_runs():
    client = signed_in(make_user(Role.SEN_OFFICER))
    response = client.post("/account/tokens/new/")
    assert response.status_code == 302 and response["Location"].startswith("/account/")
    assert AuthToken.objects.count() == 1


@pytest.mark.django_db
def test_stale_session_is_sent_to_confirm_and_nothing_happens():
    client = signed_in(make_user(Role.SEN_OFFICER))
    _age_session(client, 16 * 60)
    response = client.post("/account/tokens/new/", HTTP_REFERER="http://testserver/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/confirm/?next=")
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_confirm_page_with_password_makes_the_session_fresh_and_goes_back():
    user = make_user(Role.SEN_OFFICER)
    client = signed_in(user)
    _age_session(client, 60 * 60)
    page = client.get("/account/confirm/?next=/account/")
    assert page.status_code == 200 and "Confirm it is you" in page.content.decode()
    wrong = client.post("/account/confirm/", {"password": "not-it", "next": "/account/"})
    assert wrong.status_code == 200 and "Enter your correct password" in wrong.content.decode()
    assert client.post("/account/tokens/new/").status_code == 302
    assert AuthToken.objects.count() == 0
    right = client.post("/account/confirm/", {"password": PERSONA_PASSWORD, "next": "/account/"})
    assert right.status_code == 302 and right["Location"] == "/account/"
    client.post("/account/tokens/new/")
    assert AuthToken.objects.count() == 1


@pytest.mark.django_db
def test_confirm_page_refuses_an_open_redirect():
    client = signed_in(make_user(Role.SEN_OFFICER))
    response = client.post("/account/confirm/", {"password": PERSONA_PASSWORD, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_api_stale_session_gets_403_reauth_required():
    client = signed_in(make_user(Role.SEN_OFFICER))
    _age_session(client, 16 * 60)
    response = client.post("/api/tokens/")
    assert response.status_code == 403
    assert response.json()["code"] == "reauth_required"


@pytest.mark.django_db
def test_api_token_is_never_fresh(api_client_for):
    response = api_client_for(make_user(Role.SEN_OFFICER)).post("/api/tokens/")
    assert response.status_code == 403
    assert response.json()["code"] == "reauth_required"


# --- Role changes in the admin ----------------------------------------------------------------


def _admin_change(client: Client, user_id: int, group_ids: list[int]):
    from django.contrib.auth.models import User

    person = User.objects.get(pk=user_id)
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": [str(g) for g in group_ids],
        "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": person.date_joined.strftime("%H:%M:%S"),
    }
    return client.post(f"/admin/auth/user/{user_id}/change/", data)


@pytest.mark.django_db
def test_a_role_change_in_the_admin_needs_a_fresh_sign_in():
    from django.contrib.auth.models import Group

    person = make_user(Role.PANEL_MEMBER)
    manager_group = Group.objects.get_or_create(name=Role.MANAGER.value)[0]
    # Superusers: a transactional test run earlier may have flushed the admin group's permissions.
    admin_client = signed_in(make_user(Role.ADMIN, is_superuser=True))
    _age_session(admin_client, 16 * 60)
    refused = _admin_change(admin_client, person.pk, [manager_group.pk])
    assert refused.status_code == 302 and refused["Location"].startswith("/account/confirm/")
    assert not person.groups.filter(pk=manager_group.pk).exists()
    assert admin_client.get(f"/admin/auth/user/{person.pk}/change/").status_code == 200  # reading is fine

    fresh = signed_in(make_user(Role.ADMIN, is_superuser=True))
    saved = _admin_change(fresh, person.pk, [manager_group.pk])
    assert saved.status_code == 302 and saved["Location"].startswith("/admin/auth/user/"), saved.content[:2000]
    assert list(person.groups.values_list("name", flat=True)) == [Role.MANAGER.value]
