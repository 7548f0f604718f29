"""Subject access and retention pages and API: who may use each, the fresh sign-in before a
download, and what the download holds (issue 14)."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest
from django.contrib.auth.models import User

from core import sudo
from core.models import AccessAction, AccessLog
from core.roles import Role
from requests_app.models import RetentionRun, SubjectAccessRequest
from requests_app.services import retention, subject_access
from tests.conftest import make_user, signed_in
from tests.requests_app.factories import ReceivedRequestFactory

pytestmark = pytest.mark.django_db

DATA_PROTECTION_ROLES = {Role.MANAGER, Role.DATA_PROTECTION_OFFICER}
ALL_ROLES = list(Role)


@pytest.fixture
def ready_sar() -> SubjectAccessRequest:
    child = ReceivedRequestFactory().child
    dpo = make_user(Role.DATA_PROTECTION_OFFICER, username="dpo_owner")
    return subject_access.sar_build(subject_access.sar_request(actor=dpo, child=child).pk)


def _user(role: Role) -> User:
    return make_user(role, username=f"dp_{role.value}")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_open_the_subject_access_pages(role: Role, ready_sar: SubjectAccessRequest) -> None:
    client = signed_in(_user(role))
    allowed = role in DATA_PROTECTION_ROLES
    for url in (
        "/requests/subject-access/",
        f"/requests/subject-access/{ready_sar.pk}/",
        f"/requests/subject-access/{ready_sar.pk}/download/",
    ):
        assert client.get(url).status_code == (200 if allowed else 403), url
    response = client.post(f"/requests/subject-access/children/{ready_sar.child_id}/")
    assert response.status_code == (302 if allowed else 403)
    assert SubjectAccessRequest.objects.count() == (2 if allowed else 1)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_use_the_subject_access_api(role: Role, ready_sar: SubjectAccessRequest, api_client_for: Any) -> None:
    client = api_client_for(_user(role))
    allowed = role in DATA_PROTECTION_ROLES
    assert client.get("/api/subject-access/").status_code == (200 if allowed else 403)
    assert client.get(f"/api/subject-access/{ready_sar.pk}/").status_code == (200 if allowed else 403)
    created = client.post("/api/subject-access/", {"child": ready_sar.child_id}, format="json")
    assert created.status_code == (201 if allowed else 403)
    if not allowed:
        assert set(created.json()) == {"detail", "code"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_open_the_retention_pages(role: Role) -> None:
    run = retention.retention_review()
    client = signed_in(_user(role))
    allowed = role == Role.ADMIN
    for url in ("/requests/retention/", f"/requests/retention/{run.pk}/"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    assert client.post(f"/requests/retention/{run.pk}/").status_code == (302 if allowed else 403)
    assert RetentionRun.objects.get(pk=run.pk).status == ("approved" if allowed else "awaiting")


@pytest.mark.embedded
def test_the_page_download_is_the_zip_and_is_logged(ready_sar: SubjectAccessRequest) -> None:
    client = signed_in(_user(Role.DATA_PROTECTION_OFFICER))
    page = client.get(f"/requests/subject-access/{ready_sar.pk}/").content.decode()
    assert "Download the copy (ZIP)" in page and "Timeline of the case" in page
    response = client.get(f"/requests/subject-access/{ready_sar.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "index.html" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert AccessLog.objects.filter(action=AccessAction.DOWNLOAD, child_id=ready_sar.child_id).count() == 1


def test_a_download_needs_a_sign_in_within_15_minutes(ready_sar: SubjectAccessRequest, api_client_for: Any) -> None:
    user = _user(Role.MANAGER)
    client = signed_in(user)
    api_fresh = client.get(f"/api/subject-access/{ready_sar.pk}/download/")
    assert api_fresh.status_code == 200 and api_fresh.content[:2] == b"PK"
    session = client.session
    session[sudo.SUDO_SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = client.get(f"/requests/subject-access/{ready_sar.pk}/download/")
    assert response.status_code == 302 and response["Location"].startswith("/account/confirm/?next=")
    assert client.get(f"/api/subject-access/{ready_sar.pk}/download/").json()["code"] == "reauth_required"
    token = api_client_for(user).get(f"/api/subject-access/{ready_sar.pk}/download/")
    assert token.status_code == 403 and token.json()["code"] == "reauth_required"  # a token is never fresh
    assert AccessLog.objects.filter(action=AccessAction.DOWNLOAD).count() == 1


def test_the_access_log_page_offers_a_subject_access_copy(ready_sar: SubjectAccessRequest) -> None:
    page = signed_in(_user(Role.DATA_PROTECTION_OFFICER)).get(f"/requests/access-log/children/{ready_sar.child_id}/")
    assert f'action="/requests/subject-access/children/{ready_sar.child_id}/"' in page.content.decode()
