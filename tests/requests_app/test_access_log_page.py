"""Who viewed this child's record: the page for managers and the data protection officer, its
CSV export, and the administrator's read-only view in the Django admin (issue 12 item 23)."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.models import AccessAction, AccessLog
from core.roles import Role
from tests.conftest import make_user
from tests.requests_app.factories import ChildFactory, ReceivedRequestFactory

pytestmark = pytest.mark.django_db

SEARCH = "/requests/access-log/"


def child_log_url(child_id: int) -> str:
    return f"/requests/access-log/children/{child_id}/"


@pytest.fixture
def viewed(client, personas):
    """A request whose record an officer opened."""
    request = ReceivedRequestFactory(child=ChildFactory(forename="Isabella", surname="Taylor-Smith"))
    client.force_login(personas.officer)
    assert client.get(f"/requests/{request.pk}/").status_code == 200
    return request


@pytest.mark.parametrize("role", [Role.MANAGER, Role.DATA_PROTECTION_OFFICER])
@pytest.mark.parametrize("text", ["Isabella Taylor", "taylor-smith", "REF-ACCESS"])
def test_manager_and_dpo_find_a_child_by_name_or_reference(client, personas, viewed, role, text) -> None:
    viewed.reference = "REF-ACCESS-77"
    viewed.save(update_fields=["reference"])
    client.force_login(personas.for_role(role))
    body = client.get(SEARCH, {"q": text}).content.decode()
    assert "1 child found" in body and child_log_url(viewed.child_id) in body


def test_the_childs_log_shows_who_viewed_it_and_is_itself_logged(client, personas, viewed) -> None:
    client.force_login(personas.manager)
    response = client.get(child_log_url(viewed.child_id))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Who viewed Isabella Taylor-Smith" in body
    assert personas.officer.username in body and "SEN officer" in body and f"/requests/{viewed.pk}/" in body
    assert AccessLog.objects.filter(
        user=personas.manager, child_id=viewed.child_id, object_type="access_log", action=AccessAction.VIEW
    ).exists()


def test_csv_export_is_neutralised_and_logged(client, personas, viewed) -> None:
    sneaky = User.objects.create_user(username="=HYPERLINK(evil)", password="x")
    AccessLog.objects.create(user=sneaky, at=timezone.now(), action="view", child_id=viewed.child_id, object_type="x")
    client.force_login(personas.manager)
    response = client.get(child_log_url(viewed.child_id), {"format": "csv", "purpose": "data_protection"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["When (UTC)", "Who", "Username"]
    assert "'=HYPERLINK(evil)" in {row[2] for row in rows[1:]}
    assert personas.officer.username in {row[2] for row in rows[1:]}
    assert AccessLog.objects.filter(
        user=personas.manager, child_id=viewed.child_id, object_type="access_log", action=AccessAction.EXPORT
    ).exists()


@pytest.mark.parametrize("role", [Role.SEN_OFFICER, Role.PANEL_CHAIR, Role.FINANCE_OFFICER, Role.ADMIN])
def test_other_roles_cannot_read_the_access_log(client, personas, viewed, role) -> None:
    client.force_login(personas.for_role(role))
    assert client.get(SEARCH, {"q": "Taylor"}).status_code == 403
    assert client.get(child_log_url(viewed.child_id)).status_code == 403
    assert (
        client.get(child_log_url(viewed.child_id), {"format": "csv", "purpose": "data_protection"}).status_code == 403
    )


def test_linked_from_the_request_page_and_the_managers_home(client, personas, viewed) -> None:
    client.force_login(personas.manager)
    assert child_log_url(viewed.child_id) in client.get(f"/requests/{viewed.pk}/").content.decode()
    assert f'href="{SEARCH}"' in client.get("/").content.decode()
    client.force_login(personas.officer)
    assert child_log_url(viewed.child_id) not in client.get(f"/requests/{viewed.pk}/").content.decode()


def test_the_dpo_lands_on_a_home_page_leading_to_the_log(client, personas) -> None:
    client.force_login(personas.for_role(Role.DATA_PROTECTION_OFFICER))
    assert f'href="{SEARCH}"' in client.get("/").content.decode()


# --- The Django admin -----------------------------------------------------------------------------


def test_admin_role_sees_the_models_it_manages_in_the_admin(client) -> None:
    admin = make_user(Role.ADMIN, username="admin_not_superuser")
    assert not admin.is_superuser
    client.force_login(admin)
    body = client.get("/admin/").content.decode()
    assert "have permission to view or edit anything" not in body
    for model in ("Users", "Districts", "Establishments", "Access logs", "Sign in throttles"):
        assert model in body


def test_admin_role_reads_the_access_log_but_cannot_change_it(client, personas, viewed) -> None:
    admin = make_user(Role.ADMIN, username="admin_reader")
    client.force_login(admin)
    assert client.get("/admin/core/accesslog/").status_code == 200
    entry = AccessLog.objects.filter(child_id=viewed.child_id).first()
    change_page = client.get(f"/admin/core/accesslog/{entry.pk}/change/")
    assert change_page.status_code == 200 and 'name="_save"' not in change_page.content.decode()
    assert client.get("/admin/core/accesslog/add/").status_code == 403
    assert client.post(f"/admin/core/accesslog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AccessLog.objects.filter(pk=entry.pk).exists()


def test_the_admin_group_gets_its_permissions_back_after_a_flush() -> None:
    """A flush (the test runner's transactional tests, or ``manage.py flush``) empties the group
    tables and emits ``post_migrate``: the admin group is made again with its permissions, so a
    reused test database, or a flushed one, still lets an administrator into the admin."""
    from django.contrib.auth.models import Group
    from django.core.management.sql import emit_post_migrate_signal

    from core.admin_permissions import ADMIN_GROUP, ADMIN_PERMISSIONS

    Group.objects.filter(name=ADMIN_GROUP).delete()
    emit_post_migrate_signal(0, False, "default")
    granted = set(Group.objects.get(name=ADMIN_GROUP).permissions.values_list("codename", flat=True))
    assert granted == {codename for codenames in ADMIN_PERMISSIONS.values() for codename in codenames}
