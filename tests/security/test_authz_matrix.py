"""The authorisation matrix, called cell by cell (issue 14; ASVS 5.0 V8.1.1, V8.2.1, V8.2.2).

``authz_matrix.yaml`` says, for every URL pattern, every role and each of GET and POST, what
happens: allowed, 403, 404, 401, 405 or sent to sign in. ``test_every_url_pattern_is_in_the_matrix``
fails when a pattern in the URL conf has no row; ``test_every_cell`` calls every cell as that
role with set A's ids, then replays it with set B's ids (``authz.py``: two meetings circulated
to different head teachers, a recused and an unrecused head teacher, two requests, two
contracts) and compares both with the file.

To record what the code does now (a new route, a changed rule), run the script
``python tests/security/record_matrix.py /tmp/recorded.yaml [key prefix…] [--diff]`` and copy
the rows you have checked into ``authz_matrix.yaml``: the recorder describes, the file decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from tests.security.authz import (
    OUTCOMES,
    ROLE_KEYS,
    client_for,
    concrete,
    make_world,
    object_kinds,
    outcome,
    url_conf_keys,
    variants,
)

MATRIX_FILE = Path(__file__).with_name("authz_matrix.yaml")
METHODS = ("GET", "POST")
ADMIN_PREFIX = "admin/"  # Django's admin: one row for every pattern under it (see the file)
ADMIN_ROWS_CALLED_AS_ADMIN = (ADMIN_PREFIX, "admin/login/", "admin/logout/")


def load_matrix() -> dict[str, Any]:
    return yaml.safe_load(MATRIX_FILE.read_text())["routes"]


def _row_for(matrix: dict[str, Any], key: str) -> dict[str, Any] | None:
    if key in matrix:
        return matrix[key]
    if key.startswith(ADMIN_PREFIX):
        return matrix.get(ADMIN_PREFIX + "*")
    return None


def _expected(cells: dict[str, list[str]], role: str) -> str | None:
    for result, roles in cells.items():
        if role in roles:
            return str(result)
    return None


def expected_outcome(matrix: dict[str, Any], key: str, section: str, role: str) -> str | None:
    """What the file says ``role`` gets for one cell (a "set B" section falls back to its
    method's)."""
    row = _row_for(matrix, key) or {}
    method = section.split(" ")[0]
    return _expected(row.get(section, row.get(method, {})), role)


def test_every_url_pattern_is_in_the_matrix():
    matrix = load_matrix()
    missing = sorted(key for key in url_conf_keys() if _row_for(matrix, key) is None)
    assert missing == [], "add these URL patterns to tests/security/authz_matrix.yaml: " + ", ".join(missing)


def test_the_matrix_names_no_route_that_is_gone_and_every_cell_once():
    matrix = load_matrix()
    keys = url_conf_keys()
    assert sorted(set(matrix) - keys - {ADMIN_PREFIX + "*"}) == []
    for key, row in matrix.items():
        for section in row:
            assert section.split(" ")[0] in METHODS, f"{key} {section}: a section starts with its method"
            named = [role for roles in row[section].values() for role in roles]
            assert sorted(named) == sorted(ROLE_KEYS), f"{key} {section}: each role exactly once"
            assert set(map(str, row[section])) <= OUTCOMES, f"{key} {section}"


def calls_for(world: Any, role: str) -> list[tuple[str, str, str, str]]:
    """(key, section, path, method) to call for ``role``."""
    calls = []
    for key in sorted(url_conf_keys()):
        if (
            key.startswith(ADMIN_PREFIX)
            and role == "admin"
            and key not in (ADMIN_PREFIX, "admin/login/", "admin/logout/")
        ):
            continue  # the administrator's own admin pages: tested by Django and tests/core
        for method in METHODS:
            if key.startswith(ADMIN_PREFIX) and method == "POST":
                continue
            calls.append((key, method, concrete(key, world.a.ids), method))
            kinds = object_kinds(key)
            if kinds:
                calls.append((key, f"{method} set B", concrete(key, world.b.ids), method))
            for variant in variants(key, world.a.ids):
                calls.append((key, f"{method} {variant}", concrete(key, world.a.ids, variant), method))
                calls.append((key, f"{method} {variant} set B", concrete(key, world.b.ids, variant), method))
    return calls


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Any]:
    """The two object sets, built once for every role's test: inside a transaction rolled back
    after the last one, each role's test a savepoint within it (and each call, in ``outcome``,
    rolled back too). The letters' PDFs, subject access copies and documents go to a temporary
    folder, as with the ``documents_storage`` fixture."""
    files = tmp_path_factory.mktemp("authz_files")
    storages = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(files / "documents")},
        },
    }
    with (
        override_settings(
            STORAGES=storages,
            MEDIA_ROOT=str(files / "media"),
            CLAMAV_SOCKET="",
            CLAMAV_HOST="",
            DOCUMENTS_REQUIRE_SCAN=False,
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield make_world()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLE_KEYS)
def test_every_cell(role: str, world: Any) -> None:
    """Every URL pattern × GET/POST as ``role``, with set A's ids and again with set B's (and
    each variant's: a document on each kind of record, a parent and a professional)."""
    matrix = load_matrix()
    user = world.users[role]
    page, api = client_for(user, api=False), client_for(user, api=True)
    wrong = []
    for key, section, path, method in calls_for(world, role):
        expected = expected_outcome(matrix, key, section, role)
        got = outcome(api if path.startswith("/api/") else page, method, path)
        if got != expected:
            wrong.append(f"{section} {path} ({key}): expected {expected}, got {got}")
    assert wrong == [], "\n".join(wrong)
