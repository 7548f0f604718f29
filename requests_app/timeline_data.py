"""What the timeline presenter (``requests_app.timeline``, pure) needs from the database: the
labels of every code a payload may hold, and the names of the officers, districts and schools
its ids point to, read in one query per kind of record for the whole timeline."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User

from core.models import District, DocumentType, Establishment
from requests_app import letters as letter_rules
from requests_app import timeline, workflow
from requests_app.models import (
    APPEAL_OUTCOME_CHOICES,
    DISPUTED_CHOICES,
    MEDIATION_OUTCOME_CHOICES,
    NOTE_KIND_CHOICES,
    NOTE_PARTY_CHOICES,
    ORDER_CHOICES,
    AdviserType,
    AssessmentRequest,
    DecisionOutcome,
    ExceptionKind,
    PlacementType,
    Recommendation,
    RequestEvent,
    RequestSource,
)
from requests_app.people_models import Letter, NotificationGap


@functools.cache
def payload_labels() -> dict[str, dict[str, str]]:
    """Code -> label for each payload key ("action:key" where one key means different things)."""
    return {
        "source": dict(RequestSource.choices),
        "recommendation": dict(Recommendation.choices),
        "outcome": dict(DecisionOutcome.choices),
        "reasons": {**workflow.S36_ASSESS_REASONS, **workflow.S36_REFUSAL_REASONS},
        "adviser_type": dict(AdviserType.choices),
        "placement_type": dict(PlacementType.choices),
        "kind": dict(ExceptionKind.choices),
        "note_added:kind": dict(NOTE_KIND_CHOICES),
        "party": dict(NOTE_PARTY_CHOICES),
        "direction": {"in": "Incoming", "out": "Outgoing"},
        "against": dict(DISPUTED_CHOICES),
        "mediation_recorded:outcome": dict(MEDIATION_OUTCOME_CHOICES),
        "mediation_updated:outcome": dict(MEDIATION_OUTCOME_CHOICES),
        "appeal_decided:outcome": dict(APPEAL_OUTCOME_CHOICES),
        "order_type": dict(ORDER_CHOICES),
        "doc_type": dict(DocumentType.choices),
        "owner_kind": {"request": "The request", "advice_request": "An advice request"},
    }


def _user_name(user: User) -> str:
    return user.get_full_name() or user.username


def payload_refs(payloads: Iterable[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """The names behind the ids the payloads hold, for the keys a reader understands."""
    wanted = timeline.ref_ids(list(payloads))
    refs: dict[str, dict[int, str]] = {}
    officer_ids = wanted.get("officer_id", set()) | wanted.get("previous_officer_id", set())
    if officer_ids:
        users = {user.pk: _user_name(user) for user in User.objects.filter(pk__in=officer_ids)}
        refs["officer_id"] = refs["previous_officer_id"] = users
    district_ids = wanted.get("from_district_id", set()) | wanted.get("to_district_id", set())
    if district_ids:
        districts = dict(District.objects.filter(pk__in=district_ids).values_list("pk", "name"))
        refs["from_district_id"] = refs["to_district_id"] = districts
    if wanted.get("named_establishment_id"):
        refs["named_establishment_id"] = dict(
            Establishment.objects.filter(pk__in=wanted["named_establishment_id"]).values_list("pk", "name")
        )
    return refs


def timeline_entries(req: AssessmentRequest, events: list[RequestEvent]) -> list[RequestEvent]:
    """Each event with ``entry`` (its ``timeline.TimelineEntry``) set; a note's summary is its
    entry's body. Three queries at most besides the notes', whatever the number of events."""
    note_ids = [e.payload.get("note_id") for e in events if e.action == workflow.EventAction.NOTE_ADDED]
    summaries = dict(req.notes.filter(pk__in=[i for i in note_ids if i]).values_list("pk", "summary"))
    labels = payload_labels()
    refs = payload_refs([event.payload or {} for event in events])
    letters: dict[int, list[str]] = {}
    rows = Letter.objects.filter(event_id__in=[e.pk for e in events]).order_by("pk")
    for event_id, kind, name, for_print in rows.values_list("event_id", "kind", "addressee_name", "for_print"):
        label = letter_rules.LETTER_KIND_LABELS.get(letter_rules.LetterKind(kind), kind)
        letters.setdefault(event_id, []).append(f"{label} to {name}{' (by post)' if for_print else ''}")
    gaps: dict[int, list[str]] = {}
    # The setting a final plan named, for "Final plan to <setting>" (the event's payload holds its id).
    settings_named = refs.get("named_establishment_id", {})
    named = {e.pk: settings_named.get(int((e.payload or {}).get("named_establishment_id") or 0)) for e in events}
    for event_id, kind, addressee in NotificationGap.objects.filter(event_id__in=[e.pk for e in events]).values_list(
        "event_id", "kind", "addressee"
    ):
        label = letter_rules.LETTER_KIND_LABELS.get(letter_rules.LetterKind(kind), kind)
        who = letter_rules.ADDRESSEE_LABELS.get(letter_rules.Addressee(addressee), addressee)
        if addressee == letter_rules.Addressee.NAMED_SETTING and named.get(event_id):
            who = str(named[event_id])
        gaps.setdefault(event_id, []).append(f"{label} to {who}")
    for event in events:
        payload = event.payload or {}
        note_id = payload.get("note_id")
        body = summaries.get(note_id, "") if event.action == "note_added" and isinstance(note_id, int) else ""
        entry = timeline.present(event.action, payload, labels=labels, refs=refs, day_one=req.received_on, body=body)
        sent = letters.get(event.pk)
        if sent:
            # The letters the change sent by itself (requests_app.letters.AUTO_LETTERS).
            entry.details.append(timeline.Detail("Letters sent", "; ".join(sent)))
        if event.pk in gaps:
            entry.details.append(timeline.Detail("Not sent: no contact recorded", "; ".join(gaps[event.pk])))
        # Set on the instance for the template, as the page sets its other display attributes.
        event.entry = entry  # type: ignore[attr-defined]
    return events
