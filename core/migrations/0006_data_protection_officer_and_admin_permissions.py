"""The data protection officer's group, and the model permissions the admin role needs in the
Django admin (users and their roles, reference data, staff profiles, sign-in counters, and the
access log read-only). Without them an administrator who is not a superuser opens the admin to
"You don't have permission to view or edit anything"."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_NAMES = ["data_protection_officer"]  # the groups this migration adds (see 0002)
ADMIN_PERMISSIONS = {
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


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]  # migration signature
    # Permissions are normally made after every migration has run; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)
    admin, _ = Group.objects.get_or_create(name="admin")
    for app_label, codenames in ADMIN_PERMISSIONS.items():
        admin.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]  # migration signature
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLE_NAMES).delete()
    admin = Group.objects.filter(name="admin").first()
    if admin is not None:
        admin.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_job_lock"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
