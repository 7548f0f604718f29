"""Headless Chromium: the timeout warning (WCAG 2.2.1) and hints kept in the error state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_timeout_warning_appears_before_sign_out_and_can_extend_the_session(
    page, live_server, personas, sign_in, assert_accessible
):
    page.clock.install()
    sign_in(page, personas.officer)
    page.goto(f"{live_server.url}/requests/new/")
    first_name = page.get_by_label("First name")
    first_name.focus()
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_hidden()

    page.clock.run_for("27:00")
    expect(dialog).to_be_hidden()  # not yet: it warns 2 minutes before the 30
    page.clock.run_for("01:00")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("we will sign you out in")
    expect(page.locator("#app-timeout-title")).to_be_focused()
    assert_accessible(page)

    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    expect(first_name).to_be_focused()  # back where the person was
    page.clock.run_for("27:00")
    expect(dialog).to_be_hidden()  # the 30 minutes started again

    # Escape also means "stay signed in".
    page.clock.run_for("01:30")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.reload()
    assert "/requests/new/" in page.url  # still signed in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_when_time_runs_out_the_typed_text_comes_back_after_signing_in(
    page, live_server, personas, sign_in, assert_accessible
):
    page.clock.install()
    sign_in(page, personas.officer)
    page.goto(f"{live_server.url}/requests/new/")
    page.get_by_label("First name").fill("Zebedee")
    page.get_by_label("Requester's name").fill("Ada Quintrell")

    page.clock.run_for("30:00")
    page.wait_for_url(re.compile(r"/sign-in/\?"))
    expect(page.get_by_text("You have been signed out")).to_be_visible()
    expect(page.get_by_text("We have kept what you typed")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Username").fill(personas.officer.username)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/requests/new/\?restore="))
    expect(page.get_by_text("You were signed out before your form was sent")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Zebedee")
    expect(page.get_by_label("Requester's name")).to_have_value("Ada Quintrell")
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_hint_is_still_read_out_when_its_field_has_an_error(page, live_server, personas, sign_in):
    sign_in(page, personas.officer)
    page.goto(f"{live_server.url}/requests/?due_within=soon")
    assert page.title().startswith("Error: ")
    due_within = page.get_by_label("Due within (days)")
    expect(due_within).to_have_accessible_description(
        re.compile(r"Open requests whose next deadline.*Enter a whole number of days")
    )
    page.goto(f"{live_server.url}/requests/new/")
    page.get_by_role("button", name="Log the request", exact=True).click()
    date_of_birth = page.get_by_role("group", name="Date of birth")
    expect(date_of_birth).to_have_accessible_description(
        re.compile(r"For example, 27 3 2014.*Enter the child's date of birth")
    )
    summary = page.locator(".govuk-error-summary__list a").all_inner_texts()
    assert len(summary) == len(set(summary)) and "This field is required." not in summary
