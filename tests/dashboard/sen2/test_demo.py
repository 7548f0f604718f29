"""The SEN2 return on the demo history: it builds for the last census, its validation errors
are real faults of the demo data (docs/sen2.md), and its published figures agree with the
dashboard's annual figures for the same year, case by case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from unittest import mock

import pytest
from django.db import transaction

from core.roles import Role
from demo import history, sen2_demo
from reporting.models import Sen2Return, Sen2ReturnStatus
from reporting.sen2 import validate
from reporting.sen2.services import Built, compare_with_dashboard, sen2_build
from tests.conftest import make_user
from tests.dashboard.conftest import HISTORY_TODAY

pytestmark = pytest.mark.django_db
TODAY = HISTORY_TODAY  # the history's fixed day
CENSUS = date(2026, 1, 15)
# Counts that do not depend on when a decision was made (all in the closed calendar year).
TIMING_FREE = (
    "requests_received",
    "plans_issued",
    "plans_issued_within_20_weeks",
    "plans_issued_excluding_exceptions",
    "plans_issued_within_20_weeks_excluding_exceptions",
    "not_issue_decisions",
    "not_issue_decisions_within_16_weeks",
)


@pytest.fixture(scope="module")
def demo_return(
    calibrated_history: history.HistorySummary, django_db_blocker: Any
) -> Iterator[tuple[Built, dict[str, Any]]]:
    """The demo's districts, establishments and history (tests/dashboard/conftest.py: built once
    per run), with the SEN2 items and the return built on them; rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        sen2_demo.seed_items()
        built = sen2_build(census=CENSUS)
        comparison = compare_with_dashboard(built.root, built.index, CENSUS)
        yield built, comparison
        transaction.set_rollback(True)


def test_demo_return_errors_are_real_demo_faults(demo_return: tuple[Built, dict[str, Any]]) -> None:
    built, _ = demo_return
    assert len(built.index) > 1000
    errors = validate.errors(built.findings)
    # The demo's synthetic UPNs carry their check letter (demo.requests_demo.synthetic_upn), so no
    # U01; a few plans name "other arrangements" with no setting recorded, so no placement (L01).
    assert {f.rule for f in errors} <= {"L01"}
    assert sum(f.rule == "L01" for f in errors) < 20


def test_published_figures_agree_with_the_dashboard(demo_return: tuple[Built, dict[str, Any]]) -> None:
    _, comparison = demo_return
    rows = {row["key"]: row for row in comparison["rows"]}
    assert comparison["year"] == 2025
    for key in TIMING_FREE:
        assert rows[key]["agrees"], rows[key]
    assert rows["requests_received"]["return"] > 1000
    # Every request counted differently was decided after the census date ...
    assert all(case["explained"] for case in comparison["cases"]), comparison["cases"][:5]
    # ... and those cases account for every difference in the outcome split.
    for key in ("requests_decided_to_assess", "requests_decided_not_to_assess", "requests_decision_not_made"):
        moved = sum(key in c["only_on_dashboard"] for c in comparison["cases"]) - sum(
            key in c["only_in_return"] for c in comparison["cases"]
        )
        assert rows[key]["dashboard"] - rows[key]["return"] == moved


def test_seed_demo_queues_the_return_for_the_worker(django_capture_on_commit_callbacks: Any) -> None:
    """seed_demo does not build the return itself (minutes on the demo history): it queues it,
    as the managers' page does, and the worker make run starts builds it; seeding again adds none."""
    sen2_demo.seed_items()
    manager = make_user(Role.MANAGER, username="sen2_demo_manager")
    patched = mock.patch("reporting.sen2.services.current_app.send_task")
    with patched as send, django_capture_on_commit_callbacks(execute=True):
        census, errors = sen2_demo.seed_return(today=TODAY, manager=manager)
    row = Sen2Return.objects.get()
    assert (census, errors) == (CENSUS, None) and row.census_date == CENSUS
    assert row.status == Sen2ReturnStatus.QUEUED and row.content in (b"", None, "")
    send.assert_called_once()
    assert send.call_args.kwargs["args"] == [row.pk]
    assert sen2_demo.seed_return(today=TODAY, manager=manager) == (None, None)
    assert Sen2Return.objects.count() == 1
