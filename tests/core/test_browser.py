"""Headless Chromium: every role signs in through the form and lands on its own home page,
and every page visited passes an axe-core scan with no serious or critical violations."""

from __future__ import annotations

import pytest

from core.roles import Role


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_in_page_is_accessible_and_refuses_a_wrong_password(page, live_server, personas, assert_accessible):
    page.goto(f"{live_server.url}/")
    assert "/sign-in/" in page.url  # anonymous: sent to sign in
    assert_accessible(page)
    page.get_by_label("Username").fill(personas.officer.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "Enter a correct username and password" in summary.inner_text()
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_and_lands_on_its_home_page(page, live_server, personas, sign_in, assert_accessible, role):
    user = personas.for_role(role)
    sign_in(page, user)
    assert page.url == f"{live_server.url}/"
    assert page.locator(".govuk-caption-l").inner_text() == role.label
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    # GOV.UK Frontend's JavaScript ran (the ES module loaded under our CSP).
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert_accessible(page)
    # Keyboard: the first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    # (The focused skip link shifts the layout; start from a fresh page before clicking.)
    page.reload()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in/")
