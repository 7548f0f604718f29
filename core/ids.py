"""One reading of a record's id, for every page and API view.

An id is a positive whole number no larger than ``MAX_ID``, written in ASCII digits (a JSON
number that is a whole number, not a float or a boolean). ``str.isdigit()`` is not enough: it
accepts "²" and "٣", which ``int()`` then refuses or reads as another number; a JSON ``1e309`` is
a float too large for ``int()``. Anything else is refused the same way everywhere:

- in the URL's path (``<id:pk>``, and the API's detail routes): the page is not found (404);
- in the query string or the body: 400, naming the field (``query_id`` for pages,
  ``core.viewsets.IdField``/``RelatedIdField`` for API bodies).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import Http404

from core.errors import ValidationFailed

# The largest id a path, query or body may name: PostgreSQL's ``integer``, which every id in
# this service fits (a bigint column holds it too), so a lookup never overflows a column.
MAX_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_ID))

__all__ = ["MAX_ID", "IdConverter", "id_error_message", "id_or_404", "parse_id", "query_id"]


def parse_id(value: Any) -> int | None:
    """``value`` as an id, or None when it is not one.

    Accepted: an ``int`` (not a ``bool``) or a string of ASCII digits (surrounding spaces
    allowed), from 1 to ``MAX_ID``. Refused: floats (``1.0``, ``1e309``), booleans, signs,
    superscripts and other Unicode digits, empty text, anything else.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > _MAX_DIGITS:
            return None
        number = int(text)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def id_error_message(field: str) -> str:
    return f"{field} must be an id, a whole number from 1 to {MAX_ID}"


def id_or_404(value: Any) -> int:
    """An id from the URL's path: anything that is not one is a page that does not exist."""
    parsed = parse_id(value)
    if parsed is None:
        raise Http404
    return parsed


def query_id(params: Mapping[str, Any], field: str, *, required: bool = False) -> int | None:
    """An id from a query string or form body (``request.GET``/``request.POST``).

    None when the field is absent or empty (unless ``required``); a value that is not an id is
    refused with a 400 naming the field (``ValidationFailed``, mapped by the page helper and the
    API's exception handler).
    """
    raw = params.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise ValidationFailed(f"Enter {field}", field=field)
        return None
    parsed = parse_id(raw)
    if parsed is None:
        raise ValidationFailed(id_error_message(field), field=field)
    return parsed


class IdConverter:
    """The ``<id:name>`` path converter: the digits of an id within range, else no match (404)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValueError(f"not an id: {value!r}")  # Django reads ValueError as "no match"
        return parsed

    def to_url(self, value: Any) -> str:
        return str(int(value))
