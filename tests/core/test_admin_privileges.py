"""Superuser and staff status in the admin (core/admin.py): only a superuser may grant or remove
them, under sudo mode, and every change is a security event; anyone else sees the boxes
read-only, and a change forced into the POST is refused and logged."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from core import sudo
from core.models import AccessAction, AccessLog
from core.roles import Role
from tests.conftest import make_user, signed_in


def _user_admin(**fields) -> User:
    """An administrator who may change people in the admin (permissions given directly, so the
    test does not depend on the admin group's permissions surviving another test's flush)."""
    user = make_user(Role.ADMIN, **fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["change_user", "view_user"]))
    return user


def _change(client: Client, person: User, **extra: str):
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": person.date_joined.strftime("%H:%M:%S"),
        **extra,
    }
    return client.post(f"/admin/auth/user/{person.pk}/change/", data)


def _privilege_rows(person: User) -> list[tuple[str, str]]:
    return list(
        AccessLog.objects.filter(object_type="user", object_id=person.pk)
        .filter(action__in=[AccessAction.PRIVILEGE_CHANGED, AccessAction.AUTHZ_FAILURE])
        .order_by("pk")
        .values_list("action", "reason")
    )


@pytest.mark.django_db
def test_an_administrator_who_is_not_a_superuser_cannot_tick_superuser_or_staff():
    admin = _user_admin()
    person = make_user(Role.SEN_OFFICER)
    client = signed_in(admin)
    page = client.get(f"/admin/auth/user/{person.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields and "is_staff" not in form.fields  # shown read-only

    response = _change(client, person, is_superuser="on", is_staff="on")
    assert response.status_code == 302  # the rest of the form saves; the boxes are ignored
    person.refresh_from_db()
    assert not person.is_superuser and not person.is_staff
    assert _privilege_rows(person) == []


@pytest.mark.django_db
def test_a_superuser_grants_superuser_under_sudo_and_it_is_logged():
    superuser = make_user(Role.ADMIN, is_superuser=True)
    person = make_user(Role.SEN_OFFICER)
    client = signed_in(superuser)

    session = client.session
    session[sudo.SUDO_SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    stale = _change(client, person, is_superuser="on", is_staff="on")
    assert stale.status_code == 302 and stale["Location"].startswith("/account/confirm/")
    person.refresh_from_db()
    assert not person.is_superuser

    fresh = signed_in(superuser)
    assert _change(fresh, person, is_superuser="on", is_staff="on").status_code == 302
    person.refresh_from_db()
    assert person.is_superuser and person.is_staff
    assert _privilege_rows(person) == [
        (AccessAction.PRIVILEGE_CHANGED, "superuser_granted"),
        (AccessAction.PRIVILEGE_CHANGED, "staff_granted"),
    ]
    row = AccessLog.objects.filter(action=AccessAction.PRIVILEGE_CHANGED).first()
    assert row is not None and row.user_id == superuser.pk

    assert _change(fresh, person).status_code == 302  # both boxes left empty: taken away
    person.refresh_from_db()
    assert not person.is_superuser and not person.is_staff
    assert _privilege_rows(person)[-2:] == [
        (AccessAction.PRIVILEGE_CHANGED, "superuser_revoked"),
        (AccessAction.PRIVILEGE_CHANGED, "staff_revoked"),
    ]


@pytest.mark.django_db
def test_a_forced_change_by_a_non_superuser_is_refused_and_logged(rf):
    """Defence in depth: even if the form let the box through, saving refuses it."""
    from django.contrib import admin
    from django.core.exceptions import PermissionDenied

    admin_user = _user_admin()
    person = make_user(Role.SEN_OFFICER)
    model_admin = admin.site._registry[User]
    request = rf.post("/admin/auth/user/")
    request.user = admin_user
    person.is_superuser = True
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, person, form=None, change=True)
    assert not User.objects.get(pk=person.pk).is_superuser
    assert _privilege_rows(person) == [(AccessAction.AUTHZ_FAILURE, "privilege_not_superuser")]
