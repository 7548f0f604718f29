"""Step 2 of the import: compare the parsed rows with what the database already holds, read
beforehand by :func:`load_existing` in a few queries. A reference imported before with the same
data is skipped, with different data it is an error; a child already recorded must match; the
database's one-open-request and unique-UPN constraints must hold. :func:`check_against_database`
itself is pure, given what was read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from core.models import District
from requests_app.importer.parse import CHILD_COLUMNS, ChildDetails, RequestRow, RowError
from requests_app.models import AssessmentRequest, Child


@dataclass
class Existing:
    """What the database already holds that the file's rows touch, keyed for lookups."""

    # request reference -> the stored request's values in the file's terms, plus "pk".
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    # child_ref (Child.legacy_ref) -> the stored child's details, plus "pk".
    children: dict[str, dict[str, Any]] = field(default_factory=dict)
    # UPN -> child_ref of the child holding it ("" for a child entered in the portal).
    upn_owners: dict[str, str] = field(default_factory=dict)
    # child pk -> references of its open requests.
    open_requests: dict[int, list[str]] = field(default_factory=dict)


def load_districts() -> dict[str, int]:
    return {name.casefold(): pk for pk, name in District.objects.values_list("pk", "name")}


def chunks(values: Sequence[Any]) -> Iterator[Sequence[Any] | RawSQL]:
    """The right-hand sides of ``__in`` filters covering ``values``, as few as the database allows.

    PostgreSQL: all of them in one array parameter (``IN (SELECT unnest(%s))``), which psycopg
    adapts in C; Django's ``IN (%s, %s, ...)`` prepares every value in Python, which cost more
    than the queries themselves at 100,000 rows. SQLite caps the parameters of one statement,
    so it gets chunks of plain values.
    """
    if not values:
        return
    if connection.vendor == "postgresql":
        yield RawSQL("SELECT unnest(%s)", (list(values),))
        return
    size = min(connection.features.max_query_params or 5000, 5000) - 10
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_existing(rows: Sequence[RequestRow]) -> Existing:
    """Read the requests, children, UPNs and open requests the rows touch (four queries on
    PostgreSQL, four per 5,000 rows on SQLite; never one per row). The ``exclude(... "")``
    terms repeat the conditions of the partial unique indexes, so that SQLite and PostgreSQL
    use those indexes for the lookups."""
    existing = Existing()
    refs = sorted({row.request_ref for row in rows})
    child_refs = sorted({row.child.child_ref for row in rows})
    upns = sorted({row.child.upn for row in rows if row.child.upn})
    for chunk in chunks(refs):
        for values in (
            AssessmentRequest.objects.filter(reference__in=chunk)
            .exclude(reference="")
            .order_by()
            .values(
                "pk",
                "reference",
                "child__legacy_ref",
                "received_on",
                "source",
                "request_outcome",
                "request_outcome_on",
                "assessment_outcome",
                "assessment_outcome_on",
                "week20",
                "draft_issued_on",
            )
        ):
            existing.requests[values["reference"]] = {
                "pk": values["pk"],
                "child_ref": values["child__legacy_ref"],
                "received_on": values["received_on"],
                "source": values["source"],
                "request_outcome": values["request_outcome"],
                "request_outcome_on": values["request_outcome_on"],
                "assessment_outcome": values["assessment_outcome"],
                "assessment_outcome_on": values["assessment_outcome_on"],
                "week20_exception": values["week20"],
                "draft_issued_on": values["draft_issued_on"],
            }
    child_fields = ("pk", "legacy_ref", *_child_field_names())
    for chunk in chunks(child_refs):
        for values in (
            Child.objects.filter(legacy_ref__in=chunk).exclude(legacy_ref="").order_by().values(*child_fields)
        ):
            existing.children[values["legacy_ref"]] = values
    for chunk in chunks(upns):
        for upn, legacy_ref in (
            Child.objects.filter(upn__in=chunk).exclude(upn="").order_by().values_list("upn", "legacy_ref")
        ):
            existing.upn_owners[upn] = legacy_ref
    child_pks = [values["pk"] for values in existing.children.values()]
    for chunk in chunks(child_pks):
        for child_id, reference in (
            AssessmentRequest.objects.open().filter(child_id__in=chunk).order_by().values_list("child_id", "reference")
        ):
            existing.open_requests.setdefault(child_id, []).append(reference)
    return existing


def _child_field_names() -> list[str]:
    return ["forename", "surname", "date_of_birth", "sex", "upn", "postcode", "district_id", "primary_need"]


@dataclass
class Plan:
    """What importing the checked rows would do."""

    to_import: list[RequestRow] = field(default_factory=list)
    skipped: int = 0
    # child_ref -> pk of a child already in the database.
    matched_children: dict[str, int] = field(default_factory=dict)
    # child_ref -> details of a child to create (from its first row).
    new_children: dict[str, ChildDetails] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def check_against_database(rows: Sequence[RequestRow], existing: Existing) -> Plan:
    """Compare the rows with the database's contents (pure, given ``existing``)."""
    plan = Plan()
    children_checked: set[str] = set()
    for row in rows:
        ref = row.child.child_ref
        stored_child = existing.children.get(ref)
        if ref not in children_checked:
            children_checked.add(ref)
            if stored_child is not None:
                for column in _differing_columns(row.child, stored_child):
                    plan.errors.append(
                        RowError(row.row, column, "differs from the child already recorded with this child_ref")
                    )
            owner = existing.upn_owners.get(row.child.upn) if row.child.upn else None
            if owner is not None and owner != ref:
                plan.errors.append(RowError(row.row, "upn", "belongs to a different child already in the database"))

        stored = existing.requests.get(row.request_ref)
        if stored is not None:
            values = row.comparable()
            differing = [column for column, value in values.items() if stored[column] != value]
            for column in differing:
                plan.errors.append(
                    RowError(
                        row.row,
                        column,
                        f"request_ref {row.request_ref} is already in the database with a different value",
                    )
                )
            if not differing:
                plan.skipped += 1
            continue

        if row.is_open and stored_child is not None:
            open_refs = existing.open_requests.get(stored_child["pk"], [])
            if open_refs:
                plan.errors.append(
                    RowError(
                        row.row,
                        "request_outcome",
                        f"leaves a second request open for this child: {', '.join(sorted(open_refs))} is already "
                        "open in the database; a child can have only one request in progress",
                    )
                )
                continue
        plan.to_import.append(row)

    for row in plan.to_import:
        ref = row.child.child_ref
        if ref in existing.children:
            plan.matched_children[ref] = existing.children[ref]["pk"]
        else:
            plan.new_children.setdefault(ref, row.child)
    # Children the file names whose requests were all skipped still count as matched.
    for ref in children_checked:
        if ref in existing.children:
            plan.matched_children.setdefault(ref, existing.children[ref]["pk"])
    return plan


def _differing_columns(a: ChildDetails, b: Mapping[str, Any]) -> list[str]:
    """Columns (file names) where a child's details differ from a stored child's values."""
    columns = []
    for column in CHILD_COLUMNS:
        key = "district_id" if column == "district" else column
        if getattr(a, key) != b[key]:
            columns.append(column)
    return columns
