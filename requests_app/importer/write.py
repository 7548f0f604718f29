"""Step 3 of the import: insert the checked rows' children, requests and one "imported" event
per request, in the caller's transaction: with ``COPY`` on PostgreSQL (ids taken from the
tables' sequences first, one query per table), with ``bulk_create`` elsewhere (SQLite). Both
paths store the same values, built once per row as plain tuples, not model instances.

No service is called per row: the services take a lock and write an event per call, which at
tens of thousands of rows would take minutes. The district, status, clocks and event row come
from ``requests_app.stored``, as the services' do (a child already recorded is locked first, as
``services.children.child_change_district`` locks it, and its district read under the lock).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from core import copy
from core.staleness import mark_stale
from requests_app import stored, workflow
from requests_app.importer.check import Plan, chunks
from requests_app.importer.parse import ChildDetails, ImportFailed, RequestRow, RowError
from requests_app.models import AssessmentRequest, Child, RequestEvent

Status = workflow.Status

# Rows per INSERT where COPY is not used (SQLite, which also splits them by its parameter limit).
BULK_BATCH_SIZE = 5000
EVENT_ACTION = workflow.EventAction.IMPORTED.value


# The columns the importer supplies (attnames, in the order of the value tuples below). Every
# other column takes its model default, by either path.
CHILD_FIELDS: tuple[str, ...] = (
    "legacy_ref",
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "upn",
    "postcode",
    "district_id",
    "primary_need",
)
REQUEST_FIELDS: tuple[str, ...] = (
    "reference",
    "child_id",
    "district_id",
    "received_on",
    "source",
    "status",
    "decision_due_on",
    "not_issue_due_on",
    "final_plan_due_on",
    "decision_target_on",
    "not_issue_target_on",
    "final_plan_target_on",
    "week20",
    "next_deadline_on",
    "request_outcome",
    "request_outcome_on",
    "assessment_outcome",
    "assessment_outcome_on",
    "draft_issued_on",
    "final_plan_issued_on",
    "imported",
)
EVENT_FIELDS: tuple[str, ...] = ("request_id", "action", "from_status", "to_status", "occurred_at", "payload")


def _child_values(details: ChildDetails) -> tuple[Any, ...]:
    return (
        details.child_ref,
        details.forename,
        details.surname,
        details.date_of_birth,
        details.sex,
        details.upn,
        details.postcode,
        details.district_id,
        details.primary_need,
    )


def _request_values(row: RequestRow, child_id: int, child_district_id: int) -> tuple[Any, ...]:
    """The stored request, in REQUEST_FIELDS order: the same values whichever path writes it.

    District, status and clocks come from ``stored.request_fields``: no exception periods come
    from the old system, so each target equals its statutory date. The SEN2 week20 flag is then
    taken from the file, where the old system recorded it. The district is the child's as
    stored (read under a lock for a child already recorded).
    """
    derived = stored.request_fields(child_district_id=child_district_id, received_on=row.received_on, status=row.status)
    derived["week20"] = row.week20
    return (
        row.request_ref,
        child_id,
        derived["district_id"],
        row.received_on,
        row.source,
        derived["status"],
        derived["decision_due_on"],
        derived["not_issue_due_on"],
        derived["final_plan_due_on"],
        derived["decision_target_on"],
        derived["not_issue_target_on"],
        derived["final_plan_target_on"],
        derived["week20"],
        derived["next_deadline_on"],
        row.request_outcome,
        row.request_outcome_on,
        row.assessment_outcome,
        row.assessment_outcome_on,
        row.draft_issued_on,
        # SEN2: assessment outcome Y is dated the day the final plan was issued.
        row.assessment_outcome_on if row.status == Status.PLAN_ISSUED else None,
        True,
    )


def _clocks(row: RequestRow) -> stored.StoredClocks:
    """The builder's clocks, with the SEN2 week20 flag the old system recorded."""
    return _clocks_with_week20(row.received_on, row.status, row.week20)


@functools.lru_cache(maxsize=65536)
def _clocks_with_week20(received_on: date, status: str, week20: bool) -> stored.StoredClocks:
    # Many rows share a day 1 and a status.
    return dataclasses.replace(stored.request_clocks(received_on, status), week20=week20)


def _event(row: RequestRow, child_id: int, source_name: str) -> stored.EventRow:
    """The "imported" event: where the row came from, nothing more (no personal data)."""
    return stored.event_row(
        action=EVENT_ACTION,
        from_status="",
        to_status=row.status,
        clocks_after=_clocks(row),
        facts={"child_id": child_id, "source": row.source, "file": source_name, "row": row.row},
    )


def write_plan(plan: Plan, *, source_name: str, use_copy: bool | None = None) -> None:
    """Insert the plan's children, requests and one "imported" event per request (call inside a
    transaction). PostgreSQL: ``COPY`` (``use_copy`` None picks it there); otherwise
    ``bulk_create``. Both store the same values, built once by the functions above."""
    if use_copy is None:
        use_copy = connection.vendor == "postgresql" and _copy_supported()
    now = timezone.now()
    new_children = list(plan.new_children.values())
    matched_districts = _lock_matched_children(plan)
    if use_copy:
        _write_by_copy(plan, new_children, matched_districts, source_name=source_name, now=now)
    else:
        _write_by_bulk_create(plan, new_children, matched_districts, source_name=source_name, now=now)
    _write_sen2_items(plan)
    # In the caller's transaction: the imported months' stored figures no longer hold.
    mark_stale(imported_days(plan.to_import), f"imported from {source_name}")


def imported_days(rows: Iterable[RequestRow]) -> set[date]:
    """Every dated fact the imported rows bring: the days whose months' figures they change."""
    days: set[date] = set()
    for row in rows:
        days.update(
            day
            for day in (row.received_on, row.request_outcome_on, row.assessment_outcome_on, row.draft_issued_on)
            if day is not None
        )
    return days


# The SEN2 columns are optional and usually blank: written in a second pass, only where given.
REQUEST_SEN2_FIELDS = ("sen2_request_source", "rya", "plan_start_on", "plan_ceased_on", "plan_cease_reason")
CHILD_SEN2_FIELDS = ("ethnicity", "uln", "upn_unknown")


def _write_sen2_items(plan: Plan) -> None:
    rows = [row for row in plan.to_import if row.sen2.any()]
    if not rows:
        return
    requests = {
        r.reference: r for r in AssessmentRequest.objects.filter(reference__in=[row.request_ref for row in rows])
    }
    children = {c.legacy_ref: c for c in Child.objects.filter(legacy_ref__in=[row.child.child_ref for row in rows])}
    for row in rows:
        request = requests[row.request_ref]
        for name in REQUEST_SEN2_FIELDS:
            setattr(request, name, getattr(row.sen2, name))
        child = children.get(row.child.child_ref)
        if child is not None:
            for name in CHILD_SEN2_FIELDS:
                if getattr(row.sen2, name):
                    setattr(child, name, getattr(row.sen2, name))
    AssessmentRequest.objects.bulk_update(requests.values(), REQUEST_SEN2_FIELDS, batch_size=BULK_BATCH_SIZE)
    Child.objects.bulk_update(children.values(), CHILD_SEN2_FIELDS, batch_size=BULK_BATCH_SIZE)


def _lock_matched_children(plan: Plan) -> dict[int, int]:
    """Lock the children already recorded that the imported requests name, and return their
    districts (child pk -> district id) as locked.

    The race this prevents: ``services.children.child_change_district`` locks a child, then its requests,
    and moves them all. Without this lock it could commit between ``load_existing`` and the
    writes, and the imported requests would keep the child's old district. Locking in pk order,
    as the services do, so two imports cannot deadlock each other. One query per chunk (one on
    PostgreSQL); a no-op lock on SQLite, which serialises writers anyway.
    """
    named = {row.child.child_ref for row in plan.to_import}
    pks = sorted(pk for ref, pk in plan.matched_children.items() if ref in named)
    locked: dict[int, int] = {}
    for chunk in chunks(pks):
        locked.update(
            Child.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", "district_id")
        )
    if len(locked) != len(pks):
        # Deleted by somebody else since the checks: nothing is written (the transaction rolls back).
        raise ImportFailed(
            [RowError(0, "", "a child named in the file was removed meanwhile; nothing was imported, try again")]
        )
    return locked


def _district_id(row: RequestRow, child_id: int, matched_districts: Mapping[int, int]) -> int:
    """A new child's district is the file's; a recorded child's is the locked row's."""
    return matched_districts.get(child_id, row.child.district_id)


def _write_by_bulk_create(
    plan: Plan,
    new_children: list[ChildDetails],
    matched_districts: Mapping[int, int],
    *,
    source_name: str,
    now: Any,
) -> None:
    children = [Child(**dict(zip(CHILD_FIELDS, _child_values(d), strict=True))) for d in new_children]
    Child.objects.bulk_create(children, batch_size=BULK_BATCH_SIZE)
    child_ids = {**plan.matched_children, **{child.legacy_ref: child.pk for child in children}}

    requests = []
    for row in plan.to_import:
        child_id = child_ids[row.child.child_ref]
        values = _request_values(row, child_id, _district_id(row, child_id, matched_districts))
        requests.append(AssessmentRequest(**dict(zip(REQUEST_FIELDS, values, strict=True))))
    AssessmentRequest.objects.bulk_create(requests, batch_size=BULK_BATCH_SIZE)

    events = []
    for row, request in zip(plan.to_import, requests, strict=True):
        event = _event(row, request.child_id, source_name)
        events.append(
            RequestEvent(
                request_id=request.pk,
                actor=None,  # the system
                action=event.action,
                from_status=event.from_status,
                to_status=event.to_status,
                occurred_at=now,
                payload=event.payload,
            )
        )
    RequestEvent.objects.bulk_create(events, batch_size=BULK_BATCH_SIZE)


def _write_by_copy(
    plan: Plan,
    new_children: list[ChildDetails],
    matched_districts: Mapping[int, int],
    *,
    source_name: str,
    now: Any,
) -> None:
    # Ids come from the tables' own sequences first (one query each), so that requests can
    # name their children and events their requests without reading anything back.
    child_pks = _next_ids(Child, len(new_children))
    _copy(
        Child,
        ("id", *CHILD_FIELDS),
        [(pk, *_child_values(d)) for pk, d in zip(child_pks, new_children, strict=True)],
        now,
    )
    child_ids = {**plan.matched_children, **{d.child_ref: pk for pk, d in zip(child_pks, new_children, strict=True)}}

    request_pks = _next_ids(AssessmentRequest, len(plan.to_import))
    _copy(
        AssessmentRequest,
        ("id", *REQUEST_FIELDS),
        [
            (pk, *_request_values(row, child_id, _district_id(row, child_id, matched_districts)))
            for pk, row in zip(request_pks, plan.to_import, strict=True)
            for child_id in (child_ids[row.child.child_ref],)
        ],
        now,
    )

    events = []
    for pk, row in zip(request_pks, plan.to_import, strict=True):
        event = _event(row, child_ids[row.child.child_ref], source_name)
        # The payload as bulk_create's JSONField would write it.
        payload = json.dumps(event.payload)
        events.append((pk, event.action, event.from_status, event.to_status, now, payload))
    _copy(RequestEvent, EVENT_FIELDS, events, now)


def _copy_supported() -> bool:
    # psycopg2 (the driver requirements.txt pins) has copy_expert.
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy_expert")


def _next_ids(model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's identity sequence (PostgreSQL)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _copy(model: type[Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]], now: Any) -> None:
    """Write ``rows`` (values in ``columns`` order, attnames) with one ``COPY ... FROM STDIN``
    in the current transaction; the other columns take their defaults (``core.copy``)."""
    statement = copy.copy_statement(model, columns, now)
    buffer = io.StringIO()
    copy.write_rows(buffer, rows, statement.defaults)
    if not buffer.tell():
        return
    # The driver's own cursor, so its errors are wrapped as Django's (an IntegrityError or
    # DataError here means the database refused a row: import_lines reports it and the
    # transaction is rolled back).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        copy.send(cursor.cursor, statement.sql, buffer)
