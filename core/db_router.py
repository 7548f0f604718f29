"""Send report reads to a read replica when one is configured.

``REPORTING_DATABASE_URL`` adds a ``reporting`` database alias (settings.py): a PostgreSQL
streaming replica of the primary. The monthly and backlog jobs and the dashboard's reads of the
stored snapshots run inside :func:`reporting_reads`; there, and only there, reads go to that
alias, so a ten-year backfill scans the replica while caseworkers keep the primary. Everything
else is unchanged: writes always go to ``default`` (a replica cannot take them), and without the
alias every read stays on ``default``, so a single-database deployment and the tests behave as
before.

The flag is a context variable, so it is per thread and per asyncio task: a Celery worker
thread or a gunicorn thread inside a report does not divert another thread's reads.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

REPORTING_ALIAS = "reporting"
DEFAULT_ALIAS = "default"

_reporting: contextvars.ContextVar[bool] = contextvars.ContextVar("senportal_reporting_reads", default=False)


def reporting_configured() -> bool:
    """Whether a ``reporting`` database alias exists (REPORTING_DATABASE_URL is set)."""
    return REPORTING_ALIAS in connections.settings


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Within this block, reads go to the reporting replica if there is one. Nestable."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def in_reporting_reads() -> bool:
    return _reporting.get()


class ReportingRouter:
    """``DATABASE_ROUTERS = ["core.db_router.ReportingRouter"]``."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reporting.get() and reporting_configured():
            return REPORTING_ALIAS
        return None  # the next router, or default

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return DEFAULT_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary: objects read from either may be related.
        databases = {DEFAULT_ALIAS, REPORTING_ALIAS}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # A replica receives the schema by replication; migrations run on the primary only.
        if db == REPORTING_ALIAS:
            return False
        return None
