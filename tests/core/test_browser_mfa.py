"""Headless Chromium: setting up two-step sign-in, the code step, "confirm it is you" and the
export purpose page, each scanned with axe-core (issue 14)."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role
from tests.conftest import PERSONA_PASSWORD, make_user


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_set_up_verify_and_confirm_pages_are_accessible(page, live_server, settings, assert_accessible):
    settings.SENPORTAL_DEV_SKIP_MFA = False
    user = make_user(Role.FINANCE_OFFICER)
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/two-step/set-up/**")
    assert page.get_by_role("img", name="QR code", exact=False).is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm and continue").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)
    device = TOTPDevice.objects.get(user=user)
    page.get_by_label("Code from your authenticator app").fill(_code(device))
    page.get_by_role("button", name="Confirm and continue").click()
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="I have kept my codes: continue").click()
    assert page.get_by_role("link", name="Your account").is_visible()

    page.goto(f"{live_server.url}/account/confirm/?next=/account/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/account/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/placements/purchasing-power/?export=providers&format=csv")
    assert page.get_by_role("heading", name="Why are you downloading this?").is_visible()
    assert_accessible(page)
