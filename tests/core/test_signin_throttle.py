"""Sign-in throttling (docs/architecture.md §8.3): 5 attempts per account in 30 minutes, 20 per address in
an hour, counted in the database before the password is checked."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.client import RequestFactory
from django.utils import timezone

from core import signin
from core.models import SignInThrottle
from tests.conftest import PERSONA_PASSWORD, Personas

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


# --- The rule, without a database ------------------------------------------------------------


def test_attempts_count_until_the_window_ends() -> None:
    limit = signin.Limit(attempts=5, window=timedelta(minutes=30))
    assert limit.counted(5, T0, T0 + timedelta(minutes=29, seconds=59)) == 5
    assert limit.counted(5, T0, T0 + timedelta(minutes=30)) == 0
    assert limit.wait(T0, T0 + timedelta(minutes=20)) == timedelta(minutes=10)
    assert limit.wait(T0, T0 + timedelta(hours=2)) == timedelta(0)


@pytest.mark.parametrize(
    ("wait", "text"),
    [
        (timedelta(seconds=5), "Wait 1 minute "),
        (timedelta(minutes=10), "Wait 10 minutes "),
        (timedelta(seconds=61), "Wait 2 minutes "),
    ],
)
def test_the_refusal_says_how_long_to_wait(wait: timedelta, text: str) -> None:
    assert text in signin.Refusal(wait).message


def test_the_address_behind_the_proxy_is_the_one_the_proxy_appended() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert signin.client_address(request) == "10.0.0.5"
    with override_settings(BEHIND_TLS_PROXY=True):
        assert signin.client_address(request) == "203.0.113.9"


# --- The counters --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sixth_attempt_in_30_minutes_is_refused_then_allowed_after() -> None:
    for minute in range(5):
        assert signin.reserve_attempt(username="Officer", address="", now=T0 + timedelta(minutes=minute)) is None
    refusal = signin.reserve_attempt(username="officer", address="", now=T0 + timedelta(minutes=10))
    assert refusal is not None and refusal.wait == timedelta(minutes=20)  # the same account, any case
    assert signin.reserve_attempt(username="officer", address="", now=T0 + timedelta(minutes=30)) is None
    assert SignInThrottle.objects.get(key="account:officer").attempts == 1  # a new window


@pytest.mark.django_db
def test_a_success_starts_the_account_again_and_gives_the_address_its_attempt_back() -> None:
    for _ in range(4):
        signin.reserve_attempt(username="officer", address="10.1.1.1", now=T0)
    signin.record_success(username="officer", address="10.1.1.1")
    assert SignInThrottle.objects.get(key="account:officer").attempts == 0
    assert SignInThrottle.objects.get(key="address:10.1.1.1").attempts == 3
    for _ in range(5):
        assert signin.reserve_attempt(username="officer", address="10.1.1.1", now=T0) is None


@pytest.mark.django_db
def test_twenty_failures_from_one_address_stop_every_account_there() -> None:
    for n in range(20):
        assert signin.reserve_attempt(username=f"user{n}", address="198.51.100.7", now=T0) is None
    assert signin.reserve_attempt(username="someone-new", address="198.51.100.7", now=T0) is not None
    assert signin.reserve_attempt(username="someone-new", address="198.51.100.8", now=T0) is None


# --- The sign-in page ------------------------------------------------------------------------------


def _post(client: Client, username: str, password: str) -> Any:
    return client.post("/sign-in/", {"username": username, "password": password})


@pytest.mark.django_db
def test_after_five_wrong_passwords_even_the_right_one_is_refused(personas: Personas) -> None:
    client = Client()
    officer = personas.officer.username
    for _ in range(5):
        response = _post(client, officer, "not-the-password")
        assert "Enter a correct username and password" in response.content.decode()
    with mock.patch("django.contrib.auth.forms.authenticate") as authenticate:
        response = _post(client, officer, PERSONA_PASSWORD)
    authenticate.assert_not_called()  # the password is not even checked
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many attempts to sign in. Wait 30 minutes and try again" in response.content.decode()
    # Half an hour later the right password works again.
    later = timezone.now() + timedelta(minutes=31)
    with mock.patch("core.signin.timezone.now", return_value=later):
        response = _post(client, officer, PERSONA_PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(personas.officer.pk)


@pytest.mark.django_db
def test_successful_sign_ins_from_one_office_are_not_throttled(personas: Personas) -> None:
    for _ in range(30):
        assert _post(Client(), personas.officer.username, PERSONA_PASSWORD).status_code == 302


# --- Parallel guessing (row locks: PostgreSQL) -------------------------------------------------------


@pytest.mark.postgres_only  # row locks (select_for_update); SQLite serialises whole-database writes
@pytest.mark.serial  # threads racing each other, not other test processes
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_guesses_get_at_most_five_password_checks(personas: Personas) -> None:
    username = personas.officer.username
    checks: list[str] = []
    lock = threading.Lock()

    def counting_authenticate(request: Any, **credentials: Any) -> None:
        with lock:
            checks.append(credentials["username"])
        return None

    barrier = threading.Barrier(10)

    def guess() -> None:
        barrier.wait()
        for _ in range(5):
            _post(Client(), username, "guess")
        connection.close()

    with mock.patch("django.contrib.auth.forms.authenticate", side_effect=counting_authenticate):
        threads = [threading.Thread(target=guess) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(checks) <= 5
    assert SignInThrottle.objects.get(key=f"account:{username}").attempts == 50


@pytest.mark.django_db
def test_an_administrator_unlocks_an_account_by_deleting_its_counter(personas: Personas) -> None:
    officer = personas.officer.username
    for _ in range(6):
        _post(Client(), officer, "not-the-password")
    row = SignInThrottle.objects.get(key=f"account:{officer}")
    administrator = personas.admin
    administrator.is_superuser = True  # Django's model permissions, as the demo administrator has
    administrator.save()
    admin_client = Client()
    admin_client.force_login(administrator)
    url = f"/admin/core/signinthrottle/{row.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert _post(Client(), officer, PERSONA_PASSWORD).status_code == 302
