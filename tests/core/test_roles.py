"""The roles table: pure rules, no database."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from core.roles import (
    ROLE_CAPABILITIES,
    ROLE_HOME,
    ROLE_LABELS,
    ROLE_PRIORITY,
    Capability,
    Role,
    capabilities_for,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_role_has_a_label_a_home_a_priority_and_capabilities():
    for role in Role:
        assert role in ROLE_LABELS
        assert role in ROLE_HOME
        assert role in ROLE_PRIORITY
        assert role in ROLE_CAPABILITIES


def test_the_eight_roles_of_the_design_and_the_data_protection_officer():
    assert {r.value for r in Role} == {
        "data_protection_officer",  # reads the access log (issue 12 item 23)
        "sen_officer",
        "provision_evaluator",
        "educational_psychologist",
        "panel_member",
        "panel_chair",
        "finance_officer",
        "manager",
        "admin",
    }


def test_group_migration_creates_exactly_the_roles():
    first = importlib.import_module("core.migrations.0002_role_groups")
    later = importlib.import_module("core.migrations.0006_data_protection_officer_and_admin_permissions")
    assert set(first.ROLE_NAMES) | set(later.ROLE_NAMES) == {r.value for r in Role}


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        (Role.SEN_OFFICER, Capability.REQUEST_DECIDE, True),
        (Role.SEN_OFFICER, Capability.REQUEST_REOPEN, False),
        (Role.PROVISION_EVALUATOR, Capability.REQUEST_EVALUATE, True),
        (Role.PROVISION_EVALUATOR, Capability.REQUEST_DECIDE, False),
        (Role.EDUCATIONAL_PSYCHOLOGIST, Capability.ADVICE_RECORD, True),
        (Role.EDUCATIONAL_PSYCHOLOGIST, Capability.REQUEST_VIEW, False),
        (Role.PANEL_MEMBER, Capability.REQUEST_VIEW, False),  # head teachers never open case files
        (Role.PANEL_CHAIR, Capability.PANEL_CHAIR, True),
        (Role.FINANCE_OFFICER, Capability.REQUEST_VIEW, False),
        (Role.FINANCE_OFFICER, Capability.PLACEMENT_MANAGE, True),
        (Role.MANAGER, Capability.REPORTS_VIEW, True),
        (Role.MANAGER, Capability.REQUEST_DECIDE, False),
        (Role.ADMIN, Capability.ADMIN, True),
        (Role.ADMIN, Capability.REQUEST_VIEW, False),
        (Role.MANAGER, Capability.DATA_PROTECTION, True),
        (Role.DATA_PROTECTION_OFFICER, Capability.DATA_PROTECTION, True),
        (Role.DATA_PROTECTION_OFFICER, Capability.REQUEST_VIEW, False),
        (Role.SEN_OFFICER, Capability.DATA_PROTECTION, False),
        (Role.ADMIN, Capability.DATA_PROTECTION, False),
    ],
)
def test_role_capabilities(role, capability, allowed):
    assert (capability in capabilities_for({role})) is allowed


def test_only_admin_has_admin_capability():
    assert [r for r in Role if Capability.ADMIN in ROLE_CAPABILITIES[r]] == [Role.ADMIN]


def test_roles_module_is_pure_python():
    # Load the file on its own (importing it as part of the project would load settings and the Celery app).
    path = ROOT / "core" / "roles.py"
    code = (
        "import importlib.util, sys; "
        f"spec = importlib.util.spec_from_file_location('roles', {str(path)!r}); "
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
