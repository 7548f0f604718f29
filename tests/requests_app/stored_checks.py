"""Checks that rows written by any writer are the ones ``requests_app.stored`` builds.

Used by the builder's own tests (services, importer, demo, calibrated history) and by the
national generator's test on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from requests_app import stored
from requests_app.models import AssessmentRequest, ClockException, RequestEvent

DERIVED = ("district_id", "status", *stored.StoredClocks.__dataclass_fields__)


def live_periods(request: AssessmentRequest) -> list[object]:
    return [e.as_period() for e in ClockException.objects.filter(request=request).active().request_level()]


def assert_stored_as_built(requests: Iterable[AssessmentRequest], *, week20_from_file: bool = False) -> int:
    """Each request's derived columns equal ``stored.request_fields`` for its facts, and each
    event's payload has exactly its action's facts plus the clocks; the latest event's payload
    equals ``stored.event_row``'s for the request as it stands. Returns how many were checked."""
    checked = 0
    for request in requests:
        built = stored.request_fields(
            child_district_id=request.child.district_id,
            received_on=request.received_on,
            status=request.status,
            exceptions=live_periods(request),  # type: ignore[arg-type]
        )
        actual = {name: getattr(request, name) for name in DERIVED}
        if week20_from_file:  # the importer keeps the SEN2 flag the old system recorded
            built["week20"] = request.week20
        assert actual == built, request.reference
        # In the order each writer wrote them.
        events = list(RequestEvent.objects.filter(request=request).order_by("pk"))
        assert events, request.reference
        for event in events:
            facts = {k: v for k, v in event.payload.items() if k != "clocks"}
            assert set(facts) == set(stored.PAYLOAD_FACTS[stored.EventAction(event.action)]), (
                request.reference,
                event.action,
                sorted(facts),
            )
            assert set(event.payload["clocks"]) == set(stored.StoredClocks(**actual_clocks(request)).snapshot())
        last = events[-1]
        rebuilt = stored.event_row(
            action=last.action,
            from_status=last.from_status,
            to_status=last.to_status,
            clocks_after=stored.StoredClocks(**actual_clocks(request)),
            facts={k: v for k, v in last.payload.items() if k != "clocks"},
            note=last.note,
        )
        assert (last.action, last.to_status, last.payload, last.note) == (
            rebuilt.action,
            rebuilt.to_status,
            rebuilt.payload,
            rebuilt.note,
        ), request.reference
        assert last.to_status == request.status, request.reference
        checked += 1
    return checked


def actual_clocks(request: AssessmentRequest) -> dict[str, object]:
    return {name: getattr(request, name) for name in stored.StoredClocks.__dataclass_fields__}
