"""The contact log of a request: a call, meeting, email or letter with the family or a
professional, or a case note (rules: ``requests_app.contact_log``)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import NotPermitted
from core.roles import Capability
from requests_app import contact_log, workflow
from requests_app.models import AssessmentRequest, CaseNote
from requests_app.services.common import fail, require, resolve_today, write_event


def case_note_add(
    *,
    actor: User,
    request: AssessmentRequest | int,
    kind: str,
    happened_on: date | None,
    summary: str,
    with_whom: str = "",
    party: str = "",
    direction: str = "",
    today: date | None = None,
) -> CaseNote:
    """Log a contact or a case note on the request, with one "note added" event on its
    timeline (the payload holds the note's id, codes and date; the summary stays on the note).
    Any status, closed ones too: the family still calls after a decision."""
    require(actor, Capability.CASE_NOTE_ADD)
    fail(
        contact_log.entry_errors(
            kind=kind,
            happened_on=happened_on,
            with_whom=with_whom,
            party=party,
            direction=direction,
            summary=summary,
            today=resolve_today(today),
        )
    )
    assert happened_on is not None
    pk = request.pk if isinstance(request, AssessmentRequest) else request
    with transaction.atomic():
        # The request as the actor may see it, locked so its events keep their order.
        locked = AssessmentRequest.objects.visible_to(actor).select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotPermitted("You do not have permission to do this.")
        note = CaseNote.objects.create(
            request=locked,
            kind=kind,
            happened_on=happened_on,
            with_whom=with_whom.strip(),
            party=party,
            direction=direction,
            summary=summary.strip(),
            recorded_by=actor,
        )
        write_event(
            locked,
            actor=actor,
            action=workflow.EventAction.NOTE_ADDED,
            from_status=locked.status,
            payload={
                "note_id": note.pk,
                "kind": kind,
                "party": party,
                "direction": direction,
                "happened_on": happened_on,
            },
        )
    return note
