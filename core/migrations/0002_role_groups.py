"""Create one Django group per role (docs/architecture.md §1). Permissions live in core/roles.py."""

from django.db import migrations

ROLE_NAMES = [
    "sen_officer",
    "provision_evaluator",
    "educational_psychologist",
    "panel_member",
    "panel_chair",
    "finance_officer",
    "manager",
    "admin",
]


def create_groups(apps, schema_editor):  # type: ignore[no-untyped-def]  # migration signature
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):  # type: ignore[no-untyped-def]  # migration signature
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
