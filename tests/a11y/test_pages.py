"""Page structure the audit asked for: distinct queue titles, "Error: " on the filter error page,
fewer Tab stops to the results, the back link inside <main>, no API documentation link for staff,
no "(optional)" on filters, no autofocus on sign-in, no empty table header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.requests_app.factories import AssessmentRequestFactory


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


@pytest.mark.django_db
def test_each_filtered_queue_has_its_own_title(client, personas):
    client.force_login(personas.officer)
    titles = {
        _title(client.get("/requests/")),
        _title(client.get("/requests/?overdue=true")),
        _title(client.get("/requests/?open=false")),
        _title(client.get("/requests/?q=Holden")),
    }
    assert len(titles) == 4
    assert "Requests – Open requests; Overdue only – SEN Portal" in titles
    assert any("Name, UPN or reference: Holden" in title for title in titles)


@pytest.mark.django_db
def test_the_queue_filter_error_page_title_starts_with_error(client, personas):
    client.force_login(personas.officer)
    response = client.get("/requests/?due_within=soon")
    assert _title(response).startswith("Error: Requests")
    assert "Enter a whole number of days" in response.content.decode()


@pytest.mark.django_db
def test_applied_filters_are_folded_away_with_a_count_and_a_skip_link(client, personas):
    client.force_login(personas.officer)
    page = client.get("/requests/?overdue=true&unassigned=true").content.decode()
    assert '<details class="govuk-details">' in page  # closed after applying
    assert "More filters (2 applied)" in page
    assert 'href="#queue-totals"' in page and 'id="queue-totals" tabindex="-1"' in page
    assert "(optional)" not in page


@pytest.mark.django_db
def test_the_back_link_is_inside_main_and_staff_see_no_api_documentation_link(client, personas):
    client.force_login(personas.officer)
    request = AssessmentRequestFactory()
    page = client.get(f"/requests/{request.pk}/").content.decode()
    main = page.split('<main class="govuk-main-wrapper', 1)[1].split("</main>", 1)[0]
    assert "govuk-back-link" in main
    assert "/api/docs/" not in page


@pytest.mark.django_db
def test_sign_in_does_not_take_focus_past_the_skip_link(client):
    page = client.get("/sign-in/").content.decode()
    assert "autofocus" not in page


def test_no_template_has_an_empty_table_header():
    empty = re.compile(r"<th[^>]*>\s*</th>")
    templates = Path(__file__).resolve().parents[2] / "templates"
    found = [str(path) for path in templates.rglob("*.html") if empty.search(path.read_text())]
    assert found == []
