"""Bulk writes with PostgreSQL's ``COPY ... FROM STDIN`` in CSV, for a model's rows.

Used by the request importer (``requests_app.importer``) and the national data generator
(``demo.national``). The caller supplies some columns (attnames, in the order of its
value tuples); every other concrete column takes what Django would store for it, appended to
each row, so a nullable column added to a model later does not break either writer, while one
that must be filled stops them with a clear message. The primary key, when not supplied, comes
from the table's sequence.

PostgreSQL only, and psycopg2 only (the driver requirements.txt pins): ``copy_expert``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models

# Column types written as text: with FORCE_NOT_NULL, COPY reads their empty values as '' rather
# than NULL (Django never stores NULL in a non-null text column).
TEXT_TYPES = frozenset({"CharField", "TextField", "EmailField", "SlugField", "URLField"})
# The CSV line end. csv quotes any field holding a character of the line terminator, so with
# "\r\n" a value holding a bare "\r" (which COPY refuses unquoted: "unquoted carriage return
# found in data") or a "\n" is always quoted. Every line of one COPY must end the same way.
LINE_END = "\r\n"


class CopyColumnError(ValueError):
    """The model and the columns supplied do not fit: an unknown field, or one with no default."""


@dataclass(frozen=True)
class CopyStatement:
    sql: str
    # Values for the columns not supplied, in the order the SQL lists them after the supplied ones.
    defaults: tuple[Any, ...]


def default_for(f: models.Field[Any, Any], now: datetime) -> Any:
    """What to store in a column the writer does not supply: ``now`` for timestamps (one
    instant for the whole write), the field's default, NULL, or '' for a blank text field."""
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now
    if f.has_default():
        value = f.get_default()
        if isinstance(f, models.JSONField):
            return json.dumps(value)
        if isinstance(value, datetime):
            return now
        return value
    if f.null:
        return None
    if f.get_internal_type() in TEXT_TYPES and f.blank:
        return ""
    raise CopyColumnError(f"{f.model.__name__}.{f.name} has no default: the writer must supply it")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_statement(
    model: type[models.Model], columns: Sequence[str], now: datetime, *, freeze: bool = False
) -> CopyStatement:
    """The ``COPY`` for rows of ``columns`` (attnames) followed by the defaults of the others.
    Names come from the model's metadata, quoted; no value is ever formatted into the SQL.
    ``freeze``: rows written frozen (only for a table created or truncated in the transaction)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [name for name in columns if name not in fields]
    if unknown:
        raise CopyColumnError(f"{model.__name__} has no field(s) {unknown}")
    missing = [f for name, f in fields.items() if name not in columns and not f.primary_key]
    defaults = tuple(default_for(f, now) for f in missing)
    ordered = [fields[name] for name in columns] + missing
    names = ", ".join(_quote(f.column or f.attname) for f in ordered)
    text = [_quote(f.column or f.attname) for f in ordered if f.get_internal_type() in TEXT_TYPES and not f.null]
    options = "FORMAT csv" + (f", FORCE_NOT_NULL ({', '.join(text)})" if text else "")
    if freeze:
        options += ", FREEZE"
    return CopyStatement(f"COPY {_quote(model._meta.db_table)} ({names}) FROM STDIN WITH ({options})", defaults)


def write_rows(buffer: io.StringIO, rows: Iterable[tuple[Any, ...]], defaults: tuple[Any, ...] = ()) -> None:
    """Append ``rows`` (each followed by ``defaults``) to ``buffer`` as CSV lines ending in
    LINE_END: dates and datetimes as ISO text, booleans as True/False, None as an unquoted empty
    field (NULL, or '' in a FORCE_NOT_NULL column)."""
    writer = csv.writer(buffer, lineterminator=LINE_END)
    writer.writerows((row + defaults for row in rows) if defaults else rows)


def send(raw_cursor: Any, sql: str, buffer: io.StringIO) -> None:
    """Run ``sql`` (a ``COPY ... FROM STDIN``) on a psycopg2 cursor with ``buffer``'s text.
    One read of the whole buffer: psycopg2 reads 8 kB at a time by default, taking the GIL back
    for every read."""
    buffer.seek(0)
    raw_cursor.copy_expert(sql, buffer, size=len(buffer.getvalue()) + 1)
