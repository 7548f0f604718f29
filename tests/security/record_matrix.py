"""Record what the code does now for every cell of the authorisation matrix (a script, not a
test: it describes, ``authz_matrix.yaml`` decides).

    DATABASE_URL=postgres://…/<db> python tests/security/record_matrix.py /tmp/recorded.yaml [KEY_PREFIX…]

It makes (or reuses) the test database ``test_<db>``, builds the two object sets of
``tests/security/authz.py`` inside a transaction it rolls back, calls every cell (or only the
routes whose key starts with one of the given prefixes) as every role, and writes the outcomes in
the matrix's own shape. Check each recorded row against ``core/roles.py`` and the object rules
before copying it into ``authz_matrix.yaml``; ``--diff`` prints only the cells that differ from
the file instead.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import senportal.testenv  # noqa: E402, F401  # the environment the tests run in (before settings)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senportal.settings")


def record(prefixes: list[str]) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import override_settings
    from django.test.utils import setup_test_environment

    from tests.security.authz import ROLE_KEYS, client_for, make_world, outcome
    from tests.security.test_authz_matrix import ADMIN_PREFIX, ADMIN_ROWS_CALLED_AS_ADMIN, calls_for

    setup_test_environment()
    settings.SENPORTAL_DEV_SKIP_MFA = True  # as tests/conftest.py: MFA has its own tests
    # As tests/conftest.py: DEBUG off, static files served unhashed (no collectstatic).
    # As the test's documents_storage fixture: the letters, copies and documents the sets make
    # go to a temporary folder, removed at the end.
    files = tempfile.TemporaryDirectory(prefix="record_matrix_")
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(Path(files.name) / "documents")},
        },
    }
    override_settings(
        STORAGES=plain_static,
        MEDIA_ROOT=str(Path(files.name) / "media"),
        CLAMAV_SOCKET="",
        CLAMAV_HOST="",
        DOCUMENTS_REQUIRE_SCAN=False,
    ).enable()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    recorded: dict[str, Any] = {}
    try:
        with transaction.atomic():
            world = make_world()
            for role in ROLE_KEYS:
                user = world.users[role]
                page, api = client_for(user, api=False), client_for(user, api=True)
                for key, section, path, method in calls_for(world, role):
                    if prefixes and not key.startswith(tuple(prefixes)):
                        continue
                    if key.startswith(ADMIN_PREFIX) and key not in ADMIN_ROWS_CALLED_AS_ADMIN:
                        continue
                    got = outcome(api if path.startswith("/api/") else page, method, path)
                    recorded.setdefault(key, {}).setdefault(section, {}).setdefault(got, []).append(role)
            transaction.set_rollback(True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=True)
        files.cleanup()
    return recorded


def differences(recorded: dict[str, Any]) -> list[str]:
    from tests.security.test_authz_matrix import expected_outcome, load_matrix

    matrix = load_matrix()
    found = []
    for key, sections in sorted(recorded.items()):
        for section, outcomes in sections.items():
            for got, roles in outcomes.items():
                for role in roles:
                    expected = expected_outcome(matrix, key, section, role)
                    if expected != got:
                        found.append(f"{key} {section} {role}: file says {expected}, code does {got}")
    return found


def main(argv: list[str]) -> int:
    import django

    django.setup()
    import yaml

    args = [a for a in argv if not a.startswith("--")]
    if not args:
        print(__doc__)  # noqa: T201  # a script's usage
        return 2
    recorded = record(args[1:])
    Path(args[0]).write_text(yaml.safe_dump({"routes": recorded}, sort_keys=True, width=200))
    if "--diff" in argv:
        print("\n".join(differences(recorded)) or "no differences")  # noqa: T201  # its output
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
