"""The demo a user sees after ``make run`` tells Kent's story (issue 16).

Checks the database ``seed_demo`` filled, not one built for the test: ``.ci/run``'s embedded step
runs ``migrate`` and ``seed_demo`` on a fresh SQLite file exactly as ``make run`` does (every
demo: the live queue, the panel, the placements, then the history) and then this module, with
``SENPORTAL_SEEDED_DB`` naming that file. pytest-django's "use an existing database" pattern:
``django_db_setup`` is overridden so no test database is created; the figures are read back
from the metrics API as a manager would, inside a transaction rolled back at the end (the
manager who asks is the only row written, and it is not kept).

Marked ``seeded``: tests/conftest.py leaves these tests out unless ``-m`` names the marker;
asked for without ``SENPORTAL_SEEDED_DB`` naming a seeded file they fail (CI must not pass
without them). Locally::

    VAR_DIR=var/seeded make ...  # or: manage.py migrate && manage.py seed_demo with VAR_DIR set
    SENPORTAL_SEEDED_DB=$VAR_DIR/senportal.sqlite3 pytest -m seeded tests/dashboard/test_seeded_demo.py

Tolerances (docs/domain.md §4.2): rates within 1 percentage point of the published; counts
(requests received, new plans issued) within 1% of the published count, the reading of "1
percentage point" for a count.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections, transaction
from rest_framework.test import APIClient

from core.roles import Role
from demo import history
from tests.conftest import api_token_for, make_user

pytestmark = pytest.mark.seeded

SEEDED_DB = "SENPORTAL_SEEDED_DB"
PUBLISHED_YEARS = [year for year, target in history.TARGETS.items() if target.published]


@pytest.fixture(scope="session")
def django_db_setup() -> None:
    """The seeded database itself: no test database is created (pytest-django's documented
    override for an existing database)."""
    path = os.environ.get(SEEDED_DB, "")
    if not path or not Path(path).is_file():
        pytest.fail(f"{SEEDED_DB} must name the SQLite file `migrate` and `seed_demo` filled (found {path!r})")
    settings.DATABASES["default"]["NAME"] = path
    connections["default"].settings_dict["NAME"] = path
    connections["default"].close()


@pytest.fixture(scope="module")
def seen(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The annual figures for every published year and the deck's months, from the API."""
    with django_db_blocker.unblock(), transaction.atomic():
        manager = make_user(Role.MANAGER, username="seeded_demo_check")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(manager)}")
        annual = {}
        for year in PUBLISHED_YEARS:
            response = client.get("/api/metrics/annual/", {"year": str(year)})
            assert response.status_code == 200, (year, response.content)
            annual[year] = response.json()
        response = client.get("/api/metrics/monthly/", {"from": "2016-09", "to": "2018-08"})
        assert response.status_code == 200, response.content
        monthly = {row["month"]: row for row in response.json()}
        yield {"annual": annual, "monthly": monthly}
        transaction.set_rollback(True)


@pytest.mark.parametrize("year", PUBLISHED_YEARS)
def test_each_published_year_as_a_user_sees_it(seen: dict[str, Any], year: int) -> None:
    target = history.TARGETS[year]
    figures = seen["annual"][year]
    assert figures["requests_received"] == pytest.approx(target.requests, rel=0.01)
    assert figures["refusal_rate_dfe"] == pytest.approx(target.refusal_pc, abs=1.0)
    assert figures["plans_issued"] == pytest.approx(target.plans, rel=0.01)
    assert figures["pc_plans_issued_within_20_weeks"] == pytest.approx(target.within_20_pc, abs=1.0)
    assert figures["pc_plans_issued_within_20_weeks_excluding_exceptions"] == pytest.approx(
        target.within_20_ex_pc, abs=1.0
    )
    not_issued = figures["not_issue_decisions"]
    assert 100 * not_issued / (not_issued + figures["plans_issued"]) == pytest.approx(target.not_issued_pc, abs=1.0)


def test_the_2018_deck_as_a_user_sees_it(seen: dict[str, Any]) -> None:
    months = seen["monthly"]

    def span(first: date, count: int) -> list[str]:
        index = first.year * 12 + first.month - 1
        return [f"{(index + i) // 12:04d}-{(index + i) % 12 + 1:02d}" for i in range(count)]

    refused = sum(months[m]["decisions_not_to_assess"] for m in span(date(2017, 1, 1), 12))
    agreed = sum(months[m]["decisions_to_assess"] for m in span(date(2017, 1, 1), 12))
    assert 100 * refused / (refused + agreed) == pytest.approx(19.0, abs=2.0)
    august = months["2018-08"]
    assert august["refusal_rate"] == pytest.approx(history.DECK_REFUSAL_PC, abs=2.0)
    assert august["decisions_to_assess"] == pytest.approx(history.DECK_AGREED, abs=5)
    assert all(months[m]["decisions_to_assess"] > august["decisions_to_assess"] for m in span(date(2018, 3, 1), 5))
    (later, later_count), (earlier, earlier_count) = history.GROWTH_WINDOWS
    recent = sum(months[m]["requests_received"] for m in span(later, later_count))
    before = sum(months[m]["requests_received"] for m in span(earlier, earlier_count))
    assert 100 * (recent - before) / before == pytest.approx(81.0, abs=5.0)
