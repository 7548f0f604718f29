"""API tokens (django-rest-knox): expire, stored hashed, revocable, listed by their owner and by
administrators, sent as ``Authorization: Bearer``."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from core import tokens
from core.roles import Role
from tests.conftest import make_user, signed_in

pytestmark = pytest.mark.django_db


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.embedded
def test_a_new_token_works_and_an_expired_one_gets_401():
    user = make_user(Role.SEN_OFFICER)
    row, token = tokens.create(user)
    assert row.expiry is not None
    assert timedelta(hours=7, minutes=59) < row.expiry - timezone.now() <= timedelta(hours=8)
    assert _bearer(token).get("/api/requests/").status_code == 200
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _bearer(token).get("/api/requests/").status_code == 401


def test_a_revoked_token_gets_401():
    user = make_user(Role.SEN_OFFICER)
    row, token = tokens.create(user)
    client = _bearer(token)
    listed = client.get("/api/tokens/").json()
    assert [t["id"] for t in listed] == [row.digest[: tokens.ID_LENGTH]]
    assert client.delete(f"/api/tokens/{listed[0]['id']}/").status_code == 204
    assert _bearer(token).get("/api/requests/").status_code == 401


def test_a_token_is_never_stored_in_plain_text():
    user = make_user(Role.SEN_OFFICER)
    row, token = tokens.create(user)
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = [str(value) for record in cursor.fetchall() for value in record]
    assert not any(token in value for value in stored)
    assert all(len(value) < len(token) or value == row.digest for value in stored if token[:15] in value)


def test_the_old_token_prefix_and_a_forged_token_are_refused():
    user = make_user(Role.SEN_OFFICER)
    _, token = tokens.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/requests/").status_code == 401
    assert _bearer(token[:-1] + ("0" if token[-1] != "0" else "1")).get("/api/requests/").status_code == 401


def test_a_disabled_account_s_token_gets_401():
    user = make_user(Role.SEN_OFFICER)
    _, token = tokens.create(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _bearer(token).get("/api/requests/").status_code == 401


def test_owners_list_their_own_tokens_and_administrators_list_all():
    owner, other, admin_user = make_user(Role.SEN_OFFICER), make_user(Role.SEN_OFFICER), make_user(Role.ADMIN)
    own_row, own = tokens.create(owner)
    other_row, _ = tokens.create(other)
    mine = _bearer(own).get("/api/tokens/").json()
    assert {t["owner"] for t in mine} == {owner.username}
    assert "token" not in mine[0]
    _, admin_token = tokens.create(admin_user)
    everyone = {t["owner"] for t in _bearer(admin_token).get("/api/tokens/").json()}
    assert {owner.username, other.username, admin_user.username} <= everyone
    # Another person's token cannot be revoked (404), an administrator can revoke it.
    other_id = other_row.digest[: tokens.ID_LENGTH]
    assert _bearer(own).delete(f"/api/tokens/{other_id}/").status_code == 404
    assert AuthToken.objects.filter(pk=other_row.pk).exists()
    assert _bearer(admin_token).delete(f"/api/tokens/{other_id}/").status_code == 204
    assert not AuthToken.objects.filter(pk=other_row.pk).exists()


def test_making_a_token_in_a_fresh_session_returns_it_once():
    user = make_user(Role.SEN_OFFICER)
    client = signed_in(user)
    response = client.post("/api/tokens/")
    assert response.status_code == 201
    body = response.json()
    assert _bearer(body["token"]).get("/api/requests/").status_code == 200
    assert "token" not in client.get("/api/tokens/").json()[0]


def test_account_page_shows_a_new_token_once_and_revokes():
    user = make_user(Role.SEN_OFFICER)
    client = signed_in(user)
    client.post("/account/tokens/new/")
    token_id = tokens.tokens_of(user)[0].id
    first = client.get("/account/").content.decode()
    assert "Your new API token" in first
    assert "Your new API token" not in client.get("/account/").content.decode()
    response = client.post("/account/tokens/revoke/", {"token": token_id})
    assert response.status_code == 302
    assert tokens.tokens_of(user) == []


def test_someone_else_s_token_cannot_be_revoked_from_the_account_page():
    user, other = make_user(Role.SEN_OFFICER), make_user(Role.SEN_OFFICER)
    row, _ = tokens.create(other)
    response = signed_in(user).post("/account/tokens/revoke/", {"token": row.digest[: tokens.ID_LENGTH]})
    assert response.status_code == 403
    assert AuthToken.objects.filter(pk=row.pk).exists()


def test_administrators_see_every_token_on_the_security_page():
    other = make_user(Role.SEN_OFFICER)
    tokens.create(other)
    page = signed_in(make_user(Role.ADMIN)).get("/security/").content.decode()
    assert "Live API tokens" in page and other.username in page


def test_at_most_ten_live_tokens_per_person():
    user = make_user(Role.SEN_OFFICER)
    for _ in range(10):
        tokens.create(user)
    client = signed_in(user)
    response = client.post("/api/tokens/")
    assert response.status_code == 409
    assert "Revoke one" in response.json()["detail"]
    assert AuthToken.objects.filter(user=user).count() == 10
