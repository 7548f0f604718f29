"""The demo data, built ONCE for every test of it: ``seed_demo --no-history`` run twice (the
second run must add nothing), exactly as ``make run`` runs it, with DEBUG on so the demo users
exist. Its tests only read; each test's own changes roll back to this state (pytest-django's
transaction is a savepoint inside the one opened here), and the whole state rolls back when the
last test of this folder has run.

CI keeps these tests on one xdist worker (``xdist_group`` below, with ``--dist loadgroup``), so
the demo is built once per run. The calibrated 2016-today history is built once per run too,
for its tests (tests/dashboard/conftest.py, ``calibrated_history``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

# Every table a demo writes to: its tests compare the counts after the first and second runs.
DEMO_APPS = ("core", "requests_app", "panels", "placements")


def demo_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for label in DEMO_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed and not model._meta.proxy
    }


@dataclass(frozen=True)
class SeededDemo:
    output: str
    after_first_run: dict[str, int]
    after_second_run: dict[str, int]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = __name__.rpartition(".")[0]
    for item in items:
        if item.module is not None and item.module.__name__.startswith(here + "."):
            item.add_marker(pytest.mark.xdist_group("demo"))


@pytest.fixture(scope="package")
def demo_state(django_db_setup: None, django_db_blocker: Any) -> Iterator[SeededDemo]:
    out = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            with override_settings(DEBUG=True):
                call_command("seed_demo", "--no-history", stdout=out)
                first = demo_counts()
                call_command("seed_demo", "--no-history", stdout=io.StringIO())
                second = demo_counts()
                # Its deferred foreign-key checks now, once, not again at every test's teardown
                # (tests/dashboard/conftest.py's calibrated history says why).
                connection.check_constraints()
        finally:
            # DEBUG logged every query; a full log would blind later query captures.
            connection.queries_log.clear()
        yield SeededDemo(out.getvalue(), first, second)
        transaction.set_rollback(True)
