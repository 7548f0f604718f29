"""The model permissions the admin role holds in the Django admin (users and their roles,
reference data, staff profiles, sign-in counters, the access log read-only).

Migration ``core 0006`` first granted them. They are granted again after every ``migrate`` and
every ``flush`` (``post_migrate``), so a database emptied by a flush (the test runner's
transactional tests do this; a reused test database keeps the result) never leaves an
administrator who is not a superuser facing "You don't have permission to view or edit
anything".
"""

from __future__ import annotations

from typing import Any

ADMIN_GROUP = "admin"
ADMIN_PERMISSIONS: dict[str, list[str]] = {
    "auth": ["view_user", "add_user", "change_user", "view_group"],
    "core": [
        "view_district",
        "add_district",
        "change_district",
        "view_establishment",
        "add_establishment",
        "change_establishment",
        "view_staffprofile",
        "add_staffprofile",
        "change_staffprofile",
        "view_signinthrottle",
        "delete_signinthrottle",  # unlocking a throttled account or address
        "view_accesslog",  # read-only: the admin refuses add, change and delete
    ],
}


def grant_admin_permissions() -> None:
    """Make the admin group (if missing) and give it its permissions; idempotent."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    wanted = Permission.objects.none()
    for app_label, codenames in ADMIN_PERMISSIONS.items():
        wanted = wanted | Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.add(*wanted)


def after_migrate(sender: Any, **kwargs: Any) -> None:
    """``post_migrate`` receiver (core.apps): runs once, after the core app's signal."""
    grant_admin_permissions()
