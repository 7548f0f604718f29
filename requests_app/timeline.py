"""How a timeline entry reads: its title, its effective date and its details, built from the
event's action and payload alone.

Pure Python (no Django import), tested without a database. The request page and anything else
that shows a timeline call :func:`present` with the event's action and payload; the caller
supplies the labels of codes (``labels``: choices of the models) and the names of the records an
id points to (``refs``: officers, districts, schools, documents...), read in a few queries for
the whole timeline. A payload key this module has never heard of still reads sensibly (its name
in words, a date as a date, a code in words), so events other parts of the portal add (letters,
documents) show their details without a change here.

The effective date is the day the fact happened (the family told, the advice received, the
call made); the event's own time is when it was recorded. They differ when an officer records
something late, and both are shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from requests_app.corrections import FACT_LABELS, Fact
from requests_app.workflow import EVENT_ACTION_LABELS

__all__ = ["Change", "Detail", "TimelineEntry", "effective_date", "present", "ref_ids"]

Labels = Mapping[str, Mapping[str, str]]
Refs = Mapping[str, Mapping[int, str]]


@dataclass(frozen=True)
class Detail:
    label: str
    value: str


@dataclass(frozen=True)
class Change:
    """A correction: which fact, and its value before and after."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class TimelineEntry:
    title: str
    effective_on: date | None
    details: list[Detail] = field(default_factory=list)
    change: Change | None = None
    body: str = ""


# The payload key holding the day each action's fact happened (else the first "..._on" date).
EFFECTIVE_KEYS: dict[str, str] = {
    "decide_to_assess": "notified_on",
    "decide_not_to_assess": "notified_on",
    "decide_to_issue": "notified_on",
    "decide_not_to_issue": "notified_on",
    "request_advice": "requested_on",
    "record_advice": "received_on",
    "issue_draft": "issued_on",
    "issue_final": "issued_on",
    "record_family_comments": "received_on",
    "add_exception": "start",
    "remove_exception": "start",
    "withdraw": "withdrawn_on",
    "mediation_recorded": "decision_letter_on",
    "appeal_registered": "registered_on",
    "appeal_decided": "decided_on",
    "appeal_complied": "complied_on",
    "dispute_imported": "decision_letter_on",
    "note_added": "happened_on",
}
# Events whose fact is the request's arrival: the caller passes the request's day 1.
DAY_ONE_ACTIONS = frozenset({"created", "imported"})
# Events that state a fact as of when they were recorded (no earlier effective day).
NO_EFFECTIVE_DAY = frozenset({"corrected", "remove_exception"})

# Events whose title names what they are about, from a payload code's label:
# "Educational psychology advice uploaded" rather than "Document added".
TITLE_FROM_CODE: dict[str, tuple[str, str]] = {
    "document_uploaded": ("doc_type", "{} uploaded"),
    "document_quarantined": ("doc_type", "{} quarantined: a virus was found"),
}

# How each payload key reads; "action:key" overrides "key" for one kind of event.
KEY_LABELS: dict[str, str] = {
    "source": "Requested by",
    "file": "File",
    "row": "Row",
    "officer_id": "Officer",
    "previous_officer_id": "Previous officer",
    "recommendation": "Recommendation",
    "outcome": "Outcome",
    "notified_on": "Family told",
    "reasons": "Reasons",
    "adviser_type": "Adviser",
    "requested_on": "Requested",
    "due_on": "Due",
    "received_on": "Received",
    "on_time": "On time",
    "issued_on": "Issued",
    "earliest_final_on": "Final plan not before",
    "named_establishment_id": "School or setting named",
    "placement_type": "Placement",
    "within_20_weeks": "Within 20 weeks",
    "kind": "Type",
    "start": "From",
    "end": "To",
    "advice_target_on": "Advice target",
    "withdrawn_on": "Withdrawn on",
    "from_district_id": "From district",
    "to_district_id": "To district",
    "against": "Decision disputed",
    "decision_letter_on": "Decision letter",
    "certificate_issued_on": "Mediation certificate",
    "held_on": "Mediation held",
    "registered_on": "Registered",
    "decided_on": "Decided",
    "order_type": "Order",
    "compliance_due_on": "Comply by",
    "complied_on": "Complied on",
    "happened_on": "Date",
    "party": "With",
    "direction": "Direction",
    "document_id": "Document",
    "doc_type": "Type of document",
    "note_added:kind": "Kind",
    "panel_decision:outcome": "Panel outcome",
    "tribunal": "Appeal to the Tribunal",
    "imported_from_census": "Held or registered by (SEN2 census)",
}
# Keys that say nothing to a reader: ids with no name to show, the clocks (shown apart), the
# correction's own keys (shown as the change), internal bookkeeping.
HIDDEN_KEYS = frozenset(
    {
        "clocks",
        "fields",
        "outcome_field",
        "superseded_decision_ids",
        "fact",
        "before",
        "after",
        "before_label",
        "after_label",
        "happened_on",  # a note's day: shown as the entry's effective date
    }
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _words(code: str) -> str:
    """``advice_report`` -> "Advice report"."""
    text = code.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _key_label(action: str, key: str) -> str:
    label = KEY_LABELS.get(f"{action}:{key}") or KEY_LABELS.get(key)
    if label:
        return label
    return _words(key[:-3] if key.endswith("_id") else key)


def _code_label(action: str, key: str, code: str, labels: Labels) -> str:
    for name in (f"{action}:{key}", key):
        found = labels.get(name, {}).get(code)
        if found:
            return found
    return _words(code)


def _value(action: str, key: str, value: Any, labels: Labels, refs: Refs) -> str | None:
    """The value as a reader sees it, or None to leave the detail out."""
    if value is None or value == "" or value == []:
        return None
    if key.endswith("_id"):
        # An id reads only as the name of what it points to.
        if isinstance(value, int) and not isinstance(value, bool):
            return refs.get(key, {}).get(value)
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    day = _as_date(value)
    if day is not None:
        return _long(day)
    if isinstance(value, str):
        return _code_label(action, key, value, labels)
    if isinstance(value, list):
        parts = [_value(action, key, item, labels, refs) for item in value]
        shown = [part for part in parts if part]
        return ", ".join(shown) if shown else None
    return None


def effective_date(action: str, payload: Mapping[str, Any], *, day_one: date | None = None) -> date | None:
    """The day the event's fact happened, or None when it is the day it was recorded."""
    if action in DAY_ONE_ACTIONS:
        return day_one
    if action in NO_EFFECTIVE_DAY:
        return None
    key = EFFECTIVE_KEYS.get(action)
    if key is not None:
        return _as_date(payload.get(key))
    for name, value in payload.items():
        if name.endswith("_on") and name not in HIDDEN_KEYS:
            found = _as_date(value)
            if found is not None:
                return found
    return None


def _change(payload: Mapping[str, Any], labels: Labels) -> Change | None:
    fact = payload.get("fact")
    if not isinstance(fact, str):
        return None
    label = FACT_LABELS.get(Fact(fact)) if fact in Fact.__members__.values() else None

    def shown(side: str) -> str:
        text = payload.get(f"{side}_label")
        if isinstance(text, str) and text:
            return text
        value = payload.get(side)
        day = _as_date(value)
        if day is not None:
            return _long(day)
        return str(value) if value not in (None, "") else "Not recorded"

    return Change(label=label or _words(fact), before=shown("before"), after=shown("after"))


def present(
    action: str,
    payload: Mapping[str, Any] | None,
    *,
    labels: Labels | None = None,
    refs: Refs | None = None,
    day_one: date | None = None,
    body: str = "",
) -> TimelineEntry:
    """The timeline entry of one event: ``labels`` turn codes into words (key -> code -> label,
    "action:key" first), ``refs`` ids into names (key -> id -> name), ``day_one`` is the
    request's received date (the effective day of its "created" event), ``body`` a text the
    entry carries (a note's summary)."""
    payload = payload or {}
    labels = labels or {}
    refs = refs or {}
    details: list[Detail] = []
    for key, value in payload.items():
        if key in HIDDEN_KEYS:
            continue
        shown = _value(action, key, value, labels, refs)
        if shown:
            details.append(Detail(_key_label(action, key), shown))
    title = EVENT_ACTION_LABELS.get(action) or _words(action)
    if action in TITLE_FROM_CODE:
        key, pattern = TITLE_FROM_CODE[action]
        code = payload.get(key)
        if isinstance(code, str) and code:
            title = pattern.format(_code_label(action, key, code, labels))
    return TimelineEntry(
        title=title,
        effective_on=effective_date(action, payload, day_one=day_one),
        details=details,
        change=_change(payload, labels) if action == "corrected" else None,
        body=body,
    )


def ref_ids(payloads: list[Mapping[str, Any]]) -> dict[str, set[int]]:
    """Every id the payloads name, by key (what the caller looks up for ``refs``)."""
    found: dict[str, set[int]] = {}
    for payload in payloads:
        for key, value in (payload or {}).items():
            if key.endswith("_id") and isinstance(value, int) and not isinstance(value, bool):
                found.setdefault(key, set()).add(value)
    return found
