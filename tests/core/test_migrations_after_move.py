"""A database made before the packages moved (core, reporting and demo were under senportal/)
migrates cleanly: the app labels, and so the tables and the recorded migration names, did not
change, and every migration such a database recorded is still in the graph, with nothing new
before it (docs/decisions/0004-layering.md)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

# What the django_migrations table of a database made by the build before the move holds for
# the project's apps (the migrations folders at that commit), by app label.
RECORDED_BEFORE_THE_MOVE: dict[str, list[str]] = {
    "core": ["0001_initial", "0002_role_groups", "0003_signin_throttle"],
    "requests_app": [
        "0001_initial",
        "0002_event_action_panel_decision",
        "0003_advice_received_on",
        "0004_request_open_queue",
        "0005_request_district",
        "0006_event_action_district_changed",
    ],
    "panels": ["0001_initial"],
    "placements": ["0001_initial"],
    "dashboard": ["0001_initial"],
}
# Each label's package now (was senportal.core, senportal.dashboard).
PACKAGES = {"core": "core", "requests_app": "requests_app", "panels": "panels", "placements": "placements",
            "dashboard": "reporting", "demo": "demo"}  # fmt: skip


def test_the_app_labels_are_unchanged_by_the_move():
    assert {label: apps.get_app_config(label).name for label in PACKAGES} == PACKAGES


def test_every_migration_recorded_before_the_move_is_still_in_the_graph():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for label, names in RECORDED_BEFORE_THE_MOVE.items():
        for name in names:
            assert (label, name) in loader.graph.nodes, (label, name)
            # Nothing added since sits before it: the recorded history is a prefix of today's.
            for parent in loader.graph.node_map[(label, name)].parents:
                if parent.key[0] == label:
                    assert parent.key[1] in names, (label, name, parent.key)


@pytest.mark.django_db(transaction=True)
def test_a_database_at_the_state_before_the_move_migrates_to_today():
    executor = MigrationExecutor(connection)
    before = [(label, names[-1]) for label, names in RECORDED_BEFORE_THE_MOVE.items()]
    executor.migrate(before)  # back to the schema a database of that build had
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # and forward to today's
    executor.loader.build_graph()
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
