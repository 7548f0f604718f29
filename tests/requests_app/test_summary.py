"""The officer's, evaluator's and EP's home-page figures, each linking to its cases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app import summary
from tests.requests_app import factories as f


@pytest.mark.django_db
def test_officer_home_shows_overdue_due_soon_unassigned_and_own_caseload(client, personas):
    today = timezone.localdate()
    officer = personas.officer
    overdue = f.ReceivedRequestFactory(received_on=today - timedelta(weeks=7))  # decision due 1 week ago
    f.ReceivedRequestFactory(received_on=today - timedelta(weeks=6) + timedelta(days=3))  # due in 3 days
    mine = f.ReceivedRequestFactory(received_on=today - timedelta(days=2), assigned_officer=officer)
    figures = {fig["label"]: fig for fig in summary.officer_summary(officer, today)}
    assert figures["Overdue"]["count"] == 1
    assert figures["Due in the next 7 days"]["count"] == 1
    assert figures["Unassigned"]["count"] == 2
    assert figures["Assigned to you"]["count"] == 1
    assert figures["Open requests"]["count"] == 3
    # Each figure links to the queue filtered to exactly those cases.
    client.force_login(officer)
    page = client.get(figures["Overdue"]["url"])
    assert overdue.reference in page.content.decode() and mine.reference not in page.content.decode()
    home = client.get("/").content.decode()
    assert "Assigned to you" in home and figures["Overdue"]["url"].replace("&", "&amp;") in home


@pytest.mark.django_db
def test_manager_home_has_no_personal_caseload_figure(personas):
    labels = [fig["label"] for fig in summary.officer_summary(personas.manager, timezone.localdate())]
    assert "Assigned to you" not in labels and "Overdue" in labels


@pytest.mark.django_db
def test_ep_home_counts_outstanding_and_overdue_advice(client, personas):
    today = timezone.localdate()
    f.AdviceRequestFactory(requested_on=today - timedelta(weeks=7))
    f.AdviceRequestFactory(requested_on=today - timedelta(days=1))
    figures = {fig["label"]: fig["count"] for fig in summary.ep_summary(personas.ep, today)}
    assert figures == {"Advice requests outstanding": 2, "Past the 6-week deadline (reg 8)": 1}
    client.force_login(personas.ep)
    assert "Past the 6-week deadline" in client.get("/").content.decode()
