"""Writing the access log: who opened which child's record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from core.models import AccessAction, AccessLog


def access_log_record(
    *,
    user: Any,
    child_id: int | None,
    object_type: str,
    object_id: int | None,
    action: str = AccessAction.VIEW,
    path: str = "",
) -> AccessLog:
    """Record one read of a child's data. Call it inside the read's transaction: if the write
    fails, the read fails too (fail closed)."""
    return AccessLog.objects.create(
        user=user,
        at=timezone.now(),
        action=action,
        child_id=child_id,
        object_type=object_type,
        object_id=object_id,
        path=path[:300],
    )


def access_log_record_many(
    *,
    user: Any,
    child_ids: Iterable[int | None],
    object_type: str,
    action: str = AccessAction.LIST,
    path: str = "",
    object_id: int | None = None,
) -> None:
    """One row per child id given (a caller passes each child once for "one row per child per
    response", or one per row shown), written in one INSERT whatever the number. Call it inside
    the read's transaction, like ``access_log_record``."""
    now = timezone.now()
    rows = [
        AccessLog(
            user=user,
            at=now,
            action=action,
            child_id=cid,
            object_type=object_type,
            object_id=object_id,
            path=path[:300],
        )
        for cid in child_ids
    ]
    if rows:
        AccessLog.objects.bulk_create(rows)
