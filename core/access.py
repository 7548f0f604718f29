"""Writing the access log: who opened which child's record, and the security events (sign-in,
second factor, refusals).

Every row carries the client address, the person's roles at the time, the request id and a
reason code. The address and request id come from the request being served: ``RequestContext``
is set for each request by ``core.middleware.RequestIdMiddleware`` (which also puts the id in
the ``X-Request-ID`` response header and in every log line), so callers that only pass a user
still write complete rows. A Celery job has no request: its rows have no address or request id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from core.models import AccessAction, AccessLog
from core.requestid import REQUEST_ID_HEADER, begin_request, current_context, end_request
from core.roles import user_roles

__all__ = [
    "REQUEST_ID_HEADER",
    "access_log_record",
    "access_log_record_many",
    "begin_request",
    "end_request",
    "erase_access_log_before",
    "log_security_event",
]

logger = logging.getLogger("senportal.security")


def _roles(user: Any) -> str:
    return ",".join(sorted(role.value for role in user_roles(user)))[:300]


def _one_line(value: str) -> str:
    """A value safe to put in a log line: control characters escaped (no forged lines)."""
    return value.encode("unicode_escape").decode("ascii")[:300] if value else "-"


def _where() -> tuple[str, str]:
    context = current_context()
    return (context.address, context.request_id) if context else ("", "")


def access_log_record(
    *,
    user: Any,
    child_id: int | None,
    object_type: str,
    object_id: int | None,
    action: str = AccessAction.VIEW,
    path: str = "",
    reason: str = "",
) -> AccessLog:
    """Record one read of a child's data. Call it inside the read's transaction: if the write
    fails, the read fails too (fail closed)."""
    address, request_id = _where()
    return AccessLog.objects.create(
        user=user,
        at=timezone.now(),
        action=action,
        child_id=child_id,
        object_type=object_type,
        object_id=object_id,
        path=path[:300],
        address=address,
        roles=_roles(user),
        request_id=request_id,
        reason=reason[:40],
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
    address, request_id = _where()
    roles = _roles(user)
    rows = [
        AccessLog(
            user=user,
            at=now,
            action=action,
            child_id=cid,
            object_type=object_type,
            object_id=object_id,
            path=path[:300],
            address=address,
            roles=roles,
            request_id=request_id,
        )
        for cid in child_ids
    ]
    if rows:
        AccessLog.objects.bulk_create(rows)


def log_security_event(
    request: Any,
    action: str,
    *,
    user: Any = None,
    reason: str = "",
    child_id: int | None = None,
    object_type: str = "",
    object_id: int | None = None,
) -> AccessLog:
    """Record a security event (an ``AccessAction`` whose value starts ``authn_``/``authz_``):
    one access-log row and one line on the ``senportal.security`` logger.

    ``request`` may be ``None`` (a service with no request at hand): the address and request id
    then come from the request being served, if any. ``user`` defaults to the request's signed-in
    user; pass it for events about somebody not (yet) signed in, such as a refused password.
    Written in autocommit or the caller's transaction: call it outside a transaction that is
    about to roll back, or the event goes with it.
    """
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        user = candidate if getattr(candidate, "is_authenticated", False) else None
    address, request_id = _where()
    path = ""
    if request is not None:
        from core.signin import client_address

        address = client_address(request) or address
        request_id = getattr(request, "request_id", "") or request_id
        path = str(getattr(request, "path", ""))[:300]
    row = AccessLog.objects.create(
        user=user,
        at=timezone.now(),
        action=action,
        child_id=child_id,
        object_type=object_type[:40],
        object_id=object_id,
        path=path,
        address=address[:100],
        roles=_roles(user) if user is not None else "",
        request_id=request_id[:64],
        reason=reason[:40],
    )
    # One structured line for the council's log store; names no child and no password.
    logger.info(
        "%s user=%s address=%s reason=%s path=%s",
        action,
        getattr(user, "pk", None) or "-",
        _one_line(address),
        _one_line(reason),
        _one_line(path),
    )
    return row


def erase_access_log_before(cutoff: datetime) -> int:
    """Delete the access-log rows written before ``cutoff``: the retention job's erasure, and
    the only way rows leave the log. In PostgreSQL the append-only trigger lets the DELETE
    through only with ``senportal.access_log_erase`` set for this transaction, and never for a
    row less than a year old (core/migrations/0009). Returns the number of rows deleted."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('senportal.access_log_erase', 'on', true)")
        expired = AccessLog.objects.filter(at__lt=cutoff)
        deleted, _ = models.QuerySet.delete(expired)
    return deleted


def subject_sections(child_id: int) -> list[Any]:
    """The access log's subject data section (core/subject_data.py): who read the child's
    record and when. Staff addresses and request ids are left out (they are about the staff)."""
    from core.subject_data import Section, rows

    entries = AccessLog.objects.filter(child_id=child_id)
    omit = ("address", "request_id")
    return [Section("access_log", "Who viewed the child's record", rows(entries, omit=omit), ("core.AccessLog",))]
