"""Every export: a fresh sign-in (sudo mode) and a purpose chosen from a list, kept in the
access-log row (issue 14). Checked on the placements report's download, which any export shares
through ``core.exports.export_gate``."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from core import sudo
from core.models import AccessAction, AccessLog
from core.roles import Role
from tests.conftest import make_user, signed_in

pytestmark = pytest.mark.django_db

EXPORT = {"export": "providers", "format": "csv"}


@pytest.fixture
def finance():
    return signed_in(make_user(Role.FINANCE_OFFICER))


def _exports() -> int:
    return AccessLog.objects.filter(action=AccessAction.EXPORT).count()


def test_without_a_purpose_the_page_asks_for_one_and_no_file_leaves(finance):
    url = reverse("placements:purchasing-power")
    response = finance.get(url, EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Why are you downloading this?" in body
    assert 'name="export" value="providers"' in body and 'name="format" value="csv"' in body
    assert _exports() == 0


def test_a_purpose_not_on_the_list_is_refused(finance):
    response = finance.get(reverse("placements:purchasing-power"), {**EXPORT, "purpose": "curiosity"})
    assert response.status_code == 400
    assert "Choose why you are downloading this file" in response.content.decode()
    assert _exports() == 0


def test_with_a_purpose_the_file_is_made_and_the_log_row_records_the_purpose(finance):
    response = finance.get(reverse("placements:purchasing-power"), {**EXPORT, "purpose": "service_planning"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    row = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert "purpose=service_planning" in row.path


def test_a_stale_sign_in_must_be_confirmed_before_the_export(finance):
    session = finance.session
    session[sudo.SUDO_SESSION_KEY] = int(time.time()) - 20 * 60
    session.save()
    response = finance.get(reverse("placements:purchasing-power"), {**EXPORT, "purpose": "service_planning"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sudo-confirm"))
    assert _exports() == 0
