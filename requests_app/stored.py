"""Every value stored on a request that follows from the facts: the statutory due dates and the
exception-adjusted targets, the queue key (the next deadline), the status, the district, and the
event row with its payload.

Pure Python (no Django import), so each rule is tested without a database. Every writer calls
it: the services (``requests_app/services/``), the importer (``requests_app/importer/write.py``),
the demo (``demo/requests_demo.py``), the calibrated history (``demo/history.py``) and the
national generator (``demo/national.py``). None of them computes a deadline, copies a district
or shapes an event payload itself, so a rule changed here changes every row written from then
on (docs/decisions/0007-district-on-request.md).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from requests_app import clocks, workflow

__all__ = [
    "PAYLOAD_FACTS",
    "EventRow",
    "StoredClocks",
    "event_row",
    "request_clocks",
    "request_district",
    "request_fields",
]

Status = workflow.Status
EventAction = workflow.EventAction


@dataclass(frozen=True)
class StoredClocks:
    """The request's stored clock columns, as of one status and one set of exceptions."""

    decision_due_on: date
    not_issue_due_on: date
    final_plan_due_on: date
    decision_target_on: date
    not_issue_target_on: date
    final_plan_target_on: date
    # SEN2 item 3.7: true if any exception to the request limits applied.
    week20: bool
    # The queue's sort key: the target the request is working towards now (None once closed).
    next_deadline_on: date | None

    def fields(self) -> dict[str, Any]:
        """Column name -> value, for a model instance or an insert."""
        return {
            "decision_due_on": self.decision_due_on,
            "not_issue_due_on": self.not_issue_due_on,
            "final_plan_due_on": self.final_plan_due_on,
            "decision_target_on": self.decision_target_on,
            "not_issue_target_on": self.not_issue_target_on,
            "final_plan_target_on": self.final_plan_target_on,
            "week20": self.week20,
            "next_deadline_on": self.next_deadline_on,
        }

    def snapshot(self) -> dict[str, Any]:
        """The clocks after a change, as every event payload carries them (``"clocks"``)."""
        return dict(_snapshot(self))


@functools.lru_cache(maxsize=65536)
def _snapshot(stored_clocks: StoredClocks) -> dict[str, Any]:
    # Built once per distinct set of clocks: a bulk writer asks for the same ones many times.
    return {
        "next_deadline_on": _iso(stored_clocks.next_deadline_on),
        "decision_target_on": _iso(stored_clocks.decision_target_on),
        "not_issue_target_on": _iso(stored_clocks.not_issue_target_on),
        "final_plan_target_on": _iso(stored_clocks.final_plan_target_on),
        "week20": stored_clocks.week20,
    }


@functools.lru_cache(maxsize=65536)
def _without_exceptions(received_on: date, status: str) -> StoredClocks:
    # Most requests have no exception, and a long history has a few thousand distinct day 1s.
    return _build(clocks.request_clocks(received_on), status)


def _build(computed: clocks.RequestClocks, status: str) -> StoredClocks:
    return StoredClocks(
        decision_due_on=computed.decision_due_on,
        not_issue_due_on=computed.not_issue_due_on,
        final_plan_due_on=computed.final_plan_due_on,
        decision_target_on=computed.decision_target_on,
        not_issue_target_on=computed.not_issue_target_on,
        final_plan_target_on=computed.final_plan_target_on,
        week20=computed.week20,
        next_deadline_on=workflow.next_deadline(
            status,
            decision_target_on=computed.decision_target_on,
            not_issue_target_on=computed.not_issue_target_on,
            final_plan_target_on=computed.final_plan_target_on,
        ),
    )


def request_clocks(
    received_on: date, status: Status | str, exceptions: Iterable[clocks.ExceptionPeriod] = ()
) -> StoredClocks:
    """The stored clocks of a request received (day 1) on ``received_on``, in ``status``, with
    the live exception periods ``exceptions`` (regs 5(4), 10(4), 13(3); advice-only kinds do
    not count): stored, indexed and recomputed on every change, never counted at read time."""
    periods = list(exceptions)
    status = _status(status)
    if not periods:
        return _without_exceptions(received_on, status)
    return _build(clocks.request_clocks(received_on, periods), status)


def request_district(child_district_id: int | None) -> int | None:
    """The request's district: its child's current district, copied so that the queue filters
    and counts on the request table alone (docs/decisions/0007-district-on-request.md). A child
    who moves takes every request with them (``services.children.child_change_district``)."""
    return child_district_id


def request_fields(
    *,
    child_district_id: int | None,
    received_on: date,
    status: Status | str,
    exceptions: Iterable[clocks.ExceptionPeriod] = (),
) -> dict[str, Any]:
    """The derived columns of a request (district, status and clocks), column name -> value."""
    return {
        "district_id": request_district(child_district_id),
        "status": _status(status),
        **request_clocks(received_on, status, exceptions).fields(),
    }


# --- The event row --------------------------------------------------------------------------------

_EXCEPTION = ("exception_id", "kind", "start", "end", "advice_request_id", "advice_target_on")
_DECISION = ("decision_id", "outcome", "notified_on")
_EVALUATION = ("evaluation_id", "recommendation", "fields")

# What each kind of event records besides the clocks: ids, codes and dates only, never a
# child's details. Every writer gives exactly these facts, so a timeline entry reads the same
# whether an officer, the importer or a generator wrote it (an unknown fact is None).
_DOCUMENT = ("document_id", "doc_type", "owner_kind", "owner_id", "document_date")
_MEDIATION = ("mediation_id", "against", "decision_letter_on", "certificate_issued_on", "held_on", "outcome")
PAYLOAD_FACTS: Mapping[EventAction, tuple[str, ...]] = {
    EventAction.CREATED: ("child_id", "source"),
    # From the importer: the file and its row (the header is row 1).
    EventAction.IMPORTED: ("child_id", "source", "file", "row"),
    EventAction.ASSIGN: ("officer_id", "previous_officer_id"),
    EventAction.START_EVALUATION: (),
    EventAction.RECORD_EVALUATION: _EVALUATION,
    EventAction.COMPLETE_EVALUATION: _EVALUATION,
    EventAction.DECIDE_TO_ASSESS: (*_DECISION, "reasons"),
    EventAction.DECIDE_NOT_TO_ASSESS: (*_DECISION, "reasons"),
    EventAction.REQUEST_ADVICE: ("advice_request_id", "adviser_type", "requested_on", "due_on"),
    EventAction.RECORD_ADVICE: ("advice_request_id", "adviser_type", "received_on", "on_time"),
    EventAction.CANCEL_ADVICE: ("advice_request_id", "adviser_type"),
    EventAction.COMPLETE_ASSESSMENT: (),
    EventAction.DECIDE_TO_ISSUE: _DECISION,
    EventAction.DECIDE_NOT_TO_ISSUE: _DECISION,
    EventAction.ISSUE_DRAFT: ("issued_on", "earliest_final_on"),
    EventAction.RECORD_FAMILY_COMMENTS: ("received_on",),
    EventAction.ISSUE_FINAL: ("issued_on", "named_establishment_id", "placement_type", "within_20_weeks"),
    EventAction.ADD_EXCEPTION: _EXCEPTION,
    EventAction.REMOVE_EXCEPTION: _EXCEPTION,
    EventAction.WITHDRAW: ("withdrawn_on", "outcome_field"),
    EventAction.REOPEN: ("superseded_decision_ids",),
    EventAction.REFER_TO_PANEL: (),
    EventAction.PANEL_DECISION: ("outcome", "meeting_id", "decision_id"),
    EventAction.DISTRICT_CHANGED: ("from_district_id", "to_district_id"),
    EventAction.MEDIATION_RECORDED: _MEDIATION,
    EventAction.MEDIATION_UPDATED: _MEDIATION,
    EventAction.APPEAL_REGISTERED: ("appeal_id", "against", "decision_letter_on", "registered_on", "mediation_id"),
    EventAction.APPEAL_DECIDED: ("appeal_id", "outcome", "decided_on", "order_type", "compliance_due_on"),
    EventAction.APPEAL_COMPLIED: ("appeal_id", "complied_on", "compliance_due_on", "on_time"),
    # tribunal: an appeal (else a mediation); the id of the one row written, the other null.
    EventAction.DISPUTE_IMPORTED: (
        "mediation_id",
        "appeal_id",
        "against",
        "tribunal",
        "decision_letter_on",
        "imported_from_census",
    ),
    # change: "added", "updated" or "removed"; never the person's name or details.
    EventAction.CONTACT_CHANGED: ("contact_id", "kind", "change"),
    EventAction.LETTER_ISSUED: ("letter_ids", "kind", "regulation", "dated_on"),
    EventAction.DOCUMENT_UPLOADED: _DOCUMENT,
    EventAction.DOCUMENT_QUARANTINED: _DOCUMENT,
    # --- Case notes and corrections (issue 13, notes) ---
    # A contact-log entry: its id, codes and the day it happened (the summary stays on the note).
    EventAction.NOTE_ADDED: ("note_id", "kind", "party", "direction", "happened_on"),
    # A correction (UK GDPR art. 16): the fact, its value before and after, and how each reads.
    # The one event that may hold a child's former details: the rectification history.
    EventAction.CORRECTED: ("fact", "before", "after", "before_label", "after_label"),
    # Which items changed (names only: the values are the child's identifiers and codes).
    EventAction.SEN2_RECORDED: ("fields",),
    EventAction.PLACEMENT_RECORDED: (
        "placement_id",
        "establishment_id",
        "sen_setting",
        "rank",
        "entry_on",
        "leaving_on",
    ),
}


@dataclass(frozen=True)
class EventRow:
    """A ``RequestEvent`` as stored, less the request, the actor and the time, which the writer
    supplies."""

    action: str
    from_status: str
    to_status: str
    payload: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def event_row(
    *,
    action: EventAction | workflow.Action | str,
    from_status: str,
    to_status: str,
    clocks_after: StoredClocks,
    facts: Mapping[str, Any] | None = None,
    note: str = "",
) -> EventRow:
    """The one event row for a change: ``facts`` are exactly the action's ``PAYLOAD_FACTS``
    (dates written as ISO dates), and ``clocks_after`` the request's clocks after the change.
    A missing or extra fact is a programming error (ValueError), not something to store."""
    kind = _EVENT_ACTIONS.get(action)
    if kind is None:
        raise ValueError(f"{action!r} is not an event action")
    given = facts or {}
    expected = PAYLOAD_FACTS[kind]
    if given.keys() != _FACT_SETS[kind]:
        missing = sorted(set(expected) - set(given))
        extra = sorted(set(given) - set(expected))
        raise ValueError(f"{kind.value} event facts: missing {missing}, unexpected {extra}")
    payload = {}
    for name in expected:
        value = given[name]
        payload[name] = value.isoformat() if isinstance(value, date) else value
    payload["clocks"] = dict(_snapshot(clocks_after))
    return EventRow(
        action=kind.value,
        from_status=_status(from_status) if from_status else "",
        to_status=_status(to_status),
        payload=payload,
        note=note,
    )


# Plain lookups: an enum's constructor costs more than the rest of a row at bulk sizes.
_EVENT_ACTIONS: dict[str, EventAction] = {kind.value: kind for kind in EventAction}
_FACT_SETS: dict[EventAction, frozenset[str]] = {kind: frozenset(names) for kind, names in PAYLOAD_FACTS.items()}
_STATUSES: dict[str, str] = {status.value: status.value for status in Status}


def _status(status: Status | str) -> str:
    try:
        return _STATUSES[status]
    except KeyError:
        raise ValueError(f"{status!r} is not a status") from None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
