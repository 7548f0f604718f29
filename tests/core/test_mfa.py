"""Two-step sign-in (issue 14): TOTP with single-use recovery codes, enforced for pages, the
session-authenticated API and the admin; codes single-use; wrong codes throttled; the admin's
own sign-in goes through the product's throttled sign-in."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import mfa, sudo
from core.roles import Role
from tests.conftest import PERSONA_PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mfa_on(settings):
    settings.SENPORTAL_DEV_SKIP_MFA = False


def _enrol(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    mfa.new_recovery_codes(user)
    return device


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _password_only(user) -> Client:
    client = Client()
    response = client.post("/sign-in/", {"username": user.username, "password": PERSONA_PASSWORD})
    assert response.status_code == 302, response.content
    assert "_auth_user_id" in client.session
    return client


@pytest.fixture
def officer():
    user = make_user(Role.SEN_OFFICER)
    return user, _enrol(user)


# --- A password-only session gets nothing ---------------------------------------------------


def test_password_only_session_is_refused_on_a_page(officer):
    client = _password_only(officer[0])
    response = client.get("/requests/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/code/?next=%2Frequests%2F")
    home = client.get("/", follow=True)
    assert home.redirect_chain and "Enter your security code" in home.content.decode()


@pytest.mark.embedded
def test_password_only_session_is_refused_on_the_api(officer):
    client = _password_only(officer[0])
    response = client.get("/api/requests/")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_password_only_session_is_refused_on_the_admin():
    admin_user = make_user(Role.ADMIN)
    _enrol(admin_user)
    client = _password_only(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/code/")
    assert client.get("/admin/auth/user/").status_code == 302


def test_a_token_call_with_a_password_only_session_alongside_is_decided_by_the_token(officer, api_client_for):
    response = api_client_for(officer[0]).get("/api/tokens/")
    assert response.status_code == 200


def test_the_code_step_completes_the_sign_in(officer):
    user, device = officer
    client = _password_only(user)
    response = client.post("/sign-in/code/", {"code": _code(device), "next": "/requests/"})
    assert response.status_code == 302 and response["Location"] == "/requests/"
    assert client.get("/requests/").status_code == 200
    assert client.get("/api/requests/").status_code == 200
    assert sudo.SUDO_SESSION_KEY in client.session


# --- Codes work once; wrong codes are throttled ----------------------------------------------


@pytest.mark.embedded
def test_a_replayed_totp_code_is_refused(officer):
    user, device = officer
    code = _code(device)
    first = _password_only(user)
    assert first.post("/sign-in/code/", {"code": code}).status_code == 302
    second = _password_only(user)
    replay = second.post("/sign-in/code/", {"code": code})
    assert replay.status_code == 200
    assert "has been used already" in replay.content.decode()
    assert second.get("/requests/").status_code == 302


def test_a_recovery_code_works_once(officer):
    user, _device = officer
    recovery = StaticToken.objects.filter(device__user=user).first().token
    first = _password_only(user)
    assert first.post("/sign-in/code/", {"code": recovery}).status_code == 302
    assert first.get("/requests/").status_code == 200
    assert mfa.recovery_codes_left(user) == mfa.RECOVERY_CODE_COUNT - 1
    second = _password_only(user)
    assert second.post("/sign-in/code/", {"code": recovery}).status_code == 200
    assert second.get("/requests/").status_code == 302


def test_wrong_codes_are_throttled_and_then_even_the_right_code_waits(officer):
    user, device = officer
    client = _password_only(user)
    for _ in range(10):
        assert client.post("/sign-in/code/", {"code": "000000"}).status_code == 200
    response = client.post("/sign-in/code/", {"code": _code(device)})
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    assert client.get("/requests/").status_code == 302


# --- Setting up an authenticator -------------------------------------------------------------


def test_someone_without_an_authenticator_sets_one_up_and_sees_recovery_codes_once():
    user = make_user(Role.SEN_OFFICER)
    client = _password_only(user)
    response = client.get("/requests/", follow=True)
    page = response.content.decode()
    assert "Set up two-step sign-in" in page
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, SVG
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert mfa.secret_text(device) in page  # the key as text, for screen readers and typing
    assert client.get("/requests/").status_code == 302  # still nothing before the code
    wrong = client.post("/account/two-step/set-up/", {"code": "123456"})
    assert "The code is not right" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes the next try wait a second after a wrong code
    done = client.post("/account/two-step/set-up/", {"code": _code(device), "next": "/requests/"})
    codes = done.context["codes"]
    assert len(codes) == mfa.RECOVERY_CODE_COUNT and all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/requests/").status_code == 200


def test_setup_of_a_second_authenticator_needs_the_first_code():
    user = make_user(Role.SEN_OFFICER)
    _enrol(user)
    client = _password_only(user)
    response = client.get("/account/two-step/set-up/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/code/")


# --- An administrator resets someone's MFA, behind sudo mode ----------------------------------


def _verified(user, device) -> Client:
    client = _password_only(user)
    assert client.post("/sign-in/code/", {"code": _code(device)}).status_code == 302
    return client


def test_an_administrator_resets_mfa_and_the_person_is_signed_out(officer, settings):
    user, device = officer
    admin_user = make_user(Role.ADMIN)
    admin_device = _enrol(admin_user)
    person = _verified(user, device)
    admin_client = _verified(admin_user, admin_device)
    page = admin_client.get("/security/")
    assert page.status_code == 200 and user.username in page.content.decode()
    response = admin_client.post(f"/security/users/{user.pk}/reset-two-step/")
    assert response.status_code == 302 and response["Location"] == "/security/"
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert person.get("/requests/").status_code == 302  # their session has ended
    assert Session.objects.filter(session_key=admin_client.session.session_key).exists()


def test_mfa_reset_needs_a_fresh_sign_in(officer):
    user, _ = officer
    admin_user = make_user(Role.ADMIN)
    admin_client = _verified(admin_user, _enrol(admin_user))
    session = admin_client.session
    session[sudo.SUDO_SESSION_KEY] -= 16 * 60
    session.save()
    response = admin_client.post(f"/security/users/{user.pk}/reset-two-step/")
    assert response.status_code == 302 and response["Location"].startswith("/account/confirm/")
    assert TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_administrators_reset_mfa_or_see_the_security_page(role, officer, settings):
    settings.SENPORTAL_DEV_SKIP_MFA = True
    from tests.conftest import signed_in

    client = signed_in(make_user(role))
    assert client.get("/security/").status_code == 403
    assert client.post(f"/security/users/{officer[0].pk}/reset-two-step/").status_code == 403
    assert TOTPDevice.objects.filter(user=officer[0]).exists()


# --- The admin signs in through the same throttled sign-in ------------------------------------


@pytest.mark.embedded
def test_admin_login_eight_wrong_passwords_then_the_right_one_gives_no_session():
    admin_user = make_user(Role.ADMIN)
    client = Client()
    for _ in range(8):
        client.post("/admin/login/", {"username": admin_user.username, "password": "wrong-password-1234"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.username, "password": PERSONA_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert "_auth_user_id" not in client.session
    # ... and the product's sign-in, which the admin's now is, is throttled by then.
    for _ in range(8):
        client.post("/sign-in/", {"username": admin_user.username, "password": "wrong-password-1234"})
    refused = client.post("/sign-in/", {"username": admin_user.username, "password": PERSONA_PASSWORD})
    assert refused.status_code == 200 and "Too many attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_admin_login_page_sends_to_the_product_sign_in():
    response = Client().get("/admin/login/?next=/admin/auth/user/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=%2Fadmin%2Fauth%2Fuser%2F"
