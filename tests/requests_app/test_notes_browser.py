"""Headless Chromium: an officer corrects a child's date of birth with a reason and sees the
before → after on the timeline, then logs a phone call in the contact log. Every page visited
passes an axe-core scan."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from requests_app.models import Child
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory, days_ago


def fill_date(page: Any, name: str, value: date) -> None:
    page.locator(f'[name="{name}_day"]').fill(str(value.day))
    page.locator(f'[name="{name}_month"]').fill(str(value.month))
    page.locator(f'[name="{name}_year"]').fill(str(value.year))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_corrects_a_date_of_birth_and_logs_a_call(page, live_server, personas, sign_in, assert_accessible):
    child = ChildFactory(forename="Maya", surname="Testfield", date_of_birth=date(2016, 4, 9))
    request = AssessingRequestFactory(child=child)
    sign_in(page, personas.officer)

    def check() -> None:
        page.wait_for_load_state("domcontentloaded")
        assert_accessible(page)

    page.goto(f"{live_server.url}/requests/{request.pk}/")
    check()
    # The "Correct" link beside the date of birth, named for screen readers.
    page.get_by_role("link", name="Correct the date of birth").click()
    check()
    assert "Date of birth recorded now: 9 April 2016" in page.locator("main").inner_text()

    # Sent without a reason: the error names the field, and focus can reach it from the summary.
    fill_date(page, "value", date(2016, 9, 4))
    page.get_by_role("button", name="Save the correction").click()
    check()
    summary = page.locator(".govuk-error-summary")
    assert "Enter the reason for the correction" in summary.inner_text()

    page.get_by_label("Reason for the correction").fill("Day and month swapped; birth certificate seen")
    page.get_by_role("button", name="Save the correction").click()
    check()
    assert "Correction saved" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("#child-date-of-birth").inner_text().startswith("4 September 2016")
    change = page.locator(".app-timeline__change").last.inner_text()
    assert "Date of birth: 9 April 2016" in change and "4 September 2016" in change
    timeline = page.locator(".app-timeline").inner_text()
    assert "Reason: Day and month swapped; birth certificate seen" in timeline
    assert Child.objects.get(pk=child.pk).date_of_birth == date(2016, 9, 4)

    # The contact log: a call from the school, logged two days after it happened.
    page.get_by_role("link", name="Log a contact or note").click()
    check()
    page.get_by_label("Phone call").check()
    fill_date(page, "happened_on", days_ago(2))
    page.get_by_label("Who it was with").fill("Ms Adeyemi, SENCO")
    page.get_by_label("Who they are").select_option("school")
    page.get_by_label("Incoming (they contacted us)").check()
    page.get_by_label("Summary").fill("School sent the latest provision map.")
    page.get_by_role("button", name="Save to the contact log").click()
    check()
    log = page.locator("#contact-log + p + div, #contact-log ~ .app-table-scroll").first.inner_text()
    assert "Ms Adeyemi, SENCO" in log and "School sent the latest provision map." in log
    entry = page.locator(".app-timeline__item[data-action='note_added']").inner_text()
    happened = days_ago(2)
    assert f"On {happened.day} {happened:%B %Y}; recorded" in entry
    assert "Kind: Phone call" in entry and "With: School or setting" in entry
    page.screenshot(path="/tmp/notes-timeline.png", full_page=True)
