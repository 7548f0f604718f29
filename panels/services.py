"""Every change to panel business, and the pack members read.

Keyword-only functions named ``<thing>_<verb>``, as in ``requests_app.services``. Each one:

1. checks the actor's capability (``NotPermitted``, 403) before it reads anything else;
2. opens one ``transaction.atomic()`` and re-reads the meeting (and the referral) with
   ``select_for_update()``: the meeting row is the lock every agenda, attendance, decision and
   minutes change takes, so a decision cannot race the approval of the minutes, and two chairs
   cannot give two items the same position;
3. checks the transition tables in ``panels.workflow`` and validates its input
   (``ValidationFailed``, 400, messages keyed by field);
4. changes the rows and writes exactly one ``PanelEvent``; a referral and a decision also reach
   the child's request timeline through ``requests_app.services.lifecycle`` (a direct call, not a signal).

Views, API actions, admin actions and tasks all call these functions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Prefetch, Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from core.access import access_log_record_many
from core.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from core.models import AccessAction, Establishment, EstablishmentType
from core.roles import Capability, user_can
from panels import selectors, workflow
from panels.models import (
    AgendaItem,
    AgendaItemStatus,
    Attendance,
    Declaration,
    MinutesStatus,
    PanelDecision,
    PanelEvent,
    PanelEventAction,
    PanelMeeting,
    PanelMember,
    PanelMinutes,
    Referral,
    ReferralCostLine,
    ReferralOption,
)
from requests_app.models import AssessmentRequest
from requests_app.services import lifecycle as request_services

PACK_OBJECT_TYPE = "panel_pack"

__all__ = [
    "agenda_add_item",
    "agenda_defer_item",
    "attendance_correct",
    "agenda_withdraw_item",
    "attendance_record",
    "decision_record",
    "declaration_correct",
    "declaration_record",
    "meeting_circulate_papers",
    "meeting_mark_held",
    "meeting_schedule",
    "minutes_approve",
    "minutes_generate",
    "minutes_update",
    "pack_for",
    "panel_member_add",
    "referral_create",
    "referral_missing_for",
    "referral_update",
]

Errors = dict[str, list[str]]


# --- Guards and helpers --------------------------------------------------------------------------


def _require(actor: Any, capability: Capability) -> None:
    if not user_can(actor, capability):
        raise NotPermitted("You do not have permission to do this.")


def _fail(errors: Mapping[str, list[str]]) -> None:
    """Raise one ValidationFailed carrying every field's messages (the first is the summary)."""
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(messages[0], field=field, errors=dict(errors))


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _add_pairs(errors: Errors, pairs: Iterable[tuple[str, str]]) -> None:
    for field, message in pairs:
        _add(errors, field, message)


def _pk(value: Any) -> int:
    return int(value.pk if hasattr(value, "pk") else value)


def _lock_meeting(meeting: PanelMeeting | int) -> PanelMeeting:
    """Re-read the meeting inside the transaction and hold its row until commit."""
    return PanelMeeting.objects.select_for_update().get(pk=_pk(meeting))


def _lock_referral(referral: Referral | int) -> Referral:
    return Referral.objects.select_for_update().get(pk=_pk(referral))


def _check_meeting(
    meeting: PanelMeeting, action: workflow.MeetingAction
) -> workflow.Transition[workflow.MeetingStatus]:
    try:
        return workflow.check_meeting_transition(meeting.status, action)
    except workflow.TransitionError as exc:
        raise InvalidTransition(exc.message) from exc


def _move_referral(referral: Referral, action: workflow.ReferralAction) -> None:
    try:
        transition = workflow.check_referral_transition(referral.status, action)
    except workflow.TransitionError as exc:
        raise InvalidTransition(exc.message, field="referral") from exc
    if transition.to is not None:
        referral.status = workflow.ReferralStatus(transition.to).value
        referral.save(update_fields=["status", "updated_at"])


def _event(
    *,
    actor: Any,
    action: PanelEventAction,
    meeting: PanelMeeting | None = None,
    referral: Referral | None = None,
    payload: dict[str, Any] | None = None,
    note: str = "",
    at: datetime | None = None,
) -> PanelEvent:
    """Write the one event for a change, at ``at`` (the service's clock; now by default).
    Payload: ids, codes and dates only, never names."""
    return PanelEvent.objects.create(
        meeting=meeting,
        referral=referral,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action.value,
        occurred_at=at or timezone.now(),
        payload=payload or {},
        note=note,
    )


def _clock(at: datetime | None) -> tuple[datetime, date]:
    """The moment a service acts and its local date: ``at`` when the caller gives it (the demo
    replays a year of panel business on the days it happened), else now."""
    now = at or timezone.now()
    return now, timezone.localdate(now)


def _member_of(user: Any) -> PanelMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return PanelMember.objects.active().filter(user=user).select_related("establishment").first()


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _amount(errors: Errors, field: str, value: Any, *, required: bool = False) -> int | None:
    """A whole number of pence, not negative."""
    if value is None or value == "":
        if required:
            _add(errors, field, "Enter an amount")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _add(errors, field, "Enter the amount in whole pence")
        return None
    if value < 0:
        _add(errors, field, "The amount cannot be negative")
        return None
    return value


# --- Referrals -----------------------------------------------------------------------------------

REFERRAL_FIELDS = (
    "kind",
    "proposed_establishment",
    "parental_preference",
    "parental_preference_establishment",
    "needs_summary",
    "evidence",
    "notes",
)


def _validate_referral(
    errors: Errors,
    *,
    kind: str,
    proposed_establishment: Establishment | None,
    options: Sequence[Mapping[str, Any]],
    cost_lines: Sequence[Mapping[str, Any]],
) -> None:
    if kind not in set(workflow.ReferralKind):
        _add(errors, "kind", "Select the type of referral")
    elif (
        workflow.ReferralKind(kind).is_placement
        and proposed_establishment is not None
        and proposed_establishment.type_group not in EstablishmentType.independent_or_non_maintained()
    ):
        _add(errors, "proposed_establishment", "Select an independent or non-maintained special school")
    seen: set[int] = set()
    for option in options:
        establishment = option.get("establishment")
        if establishment is None:
            _add(errors, "options", "Select the school for each option considered")
            continue
        if establishment.type_group in EstablishmentType.independent_or_non_maintained():
            _add(errors, "options", f"{establishment.name} is not a maintained school or academy")
        if establishment.pk in seen:
            _add(errors, "options", f"{establishment.name} is listed twice")
        seen.add(establishment.pk)
        if not isinstance(option.get("meets_need"), bool):
            _add(errors, "options", f"Say whether {establishment.name} meets need")
        _amount(errors, "options", option.get("annual_cost_pence"))
    for line in cost_lines:
        if line.get("category") not in set(workflow.CostCategory):
            _add(errors, "cost_lines", "Select the category of each cost")
        _amount(errors, "cost_lines", line.get("annual_amount_pence"), required=True)


def _write_children(
    referral: Referral, options: Sequence[Mapping[str, Any]], cost_lines: Sequence[Mapping[str, Any]]
) -> None:
    ReferralOption.objects.bulk_create(
        ReferralOption(
            referral=referral,
            establishment=o["establishment"],
            meets_need=o["meets_need"],
            reason=str(o.get("reason") or "").strip(),
            annual_cost_pence=o.get("annual_cost_pence"),
        )
        for o in options
    )
    ReferralCostLine.objects.bulk_create(
        ReferralCostLine(
            referral=referral,
            category=c["category"],
            annual_amount_pence=c["annual_amount_pence"],
            description=str(c.get("description") or "").strip(),
        )
        for c in cost_lines
    )


def _clean_evidence(evidence: Iterable[str]) -> list[str]:
    return [line.strip() for line in evidence if line and line.strip()]


# Free-text fields of a referral and how the form labels them.
FREE_TEXT_LABELS: dict[str, str] = {
    "needs_summary": "The summary of needs",
    "parental_preference": "The parents' preference",
    "notes": "The notes",
    "evidence": "The evidence list",
    "options": "The reason given for an option",
    "cost_lines": "A cost line's description",
    "reasons_text": "The panel's reasons",
    "suitable_text": "The reasoning on suitability",
    "compatible_text": "The reasoning on the education of others",
    "resources_text": "The reasoning on the use of resources",
    "conditions": "The conditions",
    "ceiling_reason": "The reason for the ceiling",
    "reason": "The reason",
}


def _check_identifiers(errors: Errors, request: AssessmentRequest, texts: Mapping[str, Iterable[str]]) -> None:
    """Refuse free text that identifies the child (``workflow.identifiers_in``), naming the
    field: it reaches the head teachers' minimised pack (docs/architecture.md §1)."""
    child = request.child
    identifiers = workflow.ChildIdentifiers(
        forename=child.forename, surname=child.surname, date_of_birth=child.date_of_birth, upn=child.upn
    )
    for field_name, values in texts.items():
        kinds: list[str] = []
        for text in values:
            kinds += [kind for kind in workflow.identifiers_in(text or "", identifiers) if kind not in kinds]
        if kinds:
            _add(
                errors,
                field_name,
                workflow.identifier_message(FREE_TEXT_LABELS.get(field_name, field_name), kinds, child.initials),
            )


def _referral_texts(
    values: Mapping[str, Any], options: Sequence[Mapping[str, Any]], cost_lines: Sequence[Mapping[str, Any]]
) -> dict[str, list[str]]:
    return {
        "needs_summary": [str(values.get("needs_summary") or "")],
        "parental_preference": [str(values.get("parental_preference") or "")],
        "notes": [str(values.get("notes") or "")],
        "evidence": [str(line) for line in values.get("evidence") or []],
        "options": [str(o.get("reason") or "") for o in options],
        "cost_lines": [str(c.get("description") or "") for c in cost_lines],
    }


def referral_create(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    kind: str,
    proposed_establishment: Establishment | None = None,
    parental_preference: str = "",
    parental_preference_establishment: Establishment | None = None,
    needs_summary: str = "",
    options: Sequence[Mapping[str, Any]] = (),
    cost_lines: Sequence[Mapping[str, Any]] = (),
    evidence: Iterable[str] = (),
    notes: str = "",
    referred_on: date | None = None,
    at: datetime | None = None,
) -> Referral:
    """Refer a child's case to the panel. The referral may be saved incomplete (the officer
    gathers the papers over days); it goes on an agenda only once ``referral_missing_for`` is
    empty. The request's timeline records the referral (``request_refer_to_panel``), which
    also refuses a request not yet being assessed.

    ``options``: ``{"establishment", "meets_need", "reason", "annual_cost_pence"?}``;
    ``cost_lines``: ``{"category", "annual_amount_pence", "description"?}``.

    Free text that names the child, gives their date of birth or UPN is refused, naming the
    field (``workflow.identifiers_in``).
    """
    _require(actor, Capability.PANEL_REFER)
    now, today = _clock(at)
    referred_on = referred_on or today
    evidence = list(evidence)
    errors: Errors = {}
    _validate_referral(
        errors, kind=kind, proposed_establishment=proposed_establishment, options=options, cost_lines=cost_lines
    )
    if referred_on > today:
        _add(errors, "referred_on", "The date must be today or in the past")
    found = AssessmentRequest.objects.select_related("child").filter(pk=_pk(request)).first()
    if found is not None:
        values = {
            "needs_summary": needs_summary,
            "parental_preference": parental_preference,
            "notes": notes,
            "evidence": evidence,
        }
        _check_identifiers(errors, found, _referral_texts(values, options, cost_lines))
    _fail(errors)
    with transaction.atomic():
        request = request_services.request_refer_to_panel(actor=actor, request=request)
        referral = Referral.objects.create(
            request=request,
            kind=kind,
            proposed_establishment=proposed_establishment,
            parental_preference=parental_preference.strip(),
            parental_preference_establishment=parental_preference_establishment,
            needs_summary=needs_summary.strip(),
            evidence=_clean_evidence(evidence),
            notes=notes.strip(),
            referred_by=actor,
            referred_on=referred_on,
        )
        _write_children(referral, options, cost_lines)
        _event(
            actor=actor,
            action=PanelEventAction.REFERRAL_CREATED,
            referral=referral,
            payload={"request_id": request.pk, "kind": kind},
            at=now,
        )
    return referral


def referral_update(
    *,
    actor: Any,
    referral: Referral | int,
    changes: Mapping[str, Any],
    options: Sequence[Mapping[str, Any]] | None = None,
    cost_lines: Sequence[Mapping[str, Any]] | None = None,
    at: datetime | None = None,
) -> Referral:
    """Change a referral awaiting the panel (e.g. after "more information"). ``changes`` holds
    any of ``REFERRAL_FIELDS``; ``options`` and ``cost_lines``, when given, replace the lists."""
    _require(actor, Capability.PANEL_REFER)
    unknown = sorted(set(changes) - set(REFERRAL_FIELDS))
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(unknown)}", field=unknown[0])
    with transaction.atomic():
        referral = _lock_referral(referral)
        _move_referral(referral, workflow.ReferralAction.UPDATE)
        for name, value in changes.items():
            if name == "evidence":
                value = _clean_evidence(value)
            elif isinstance(value, str):
                value = value.strip()
            setattr(referral, name, value)
        errors: Errors = {}
        _validate_referral(
            errors,
            kind=referral.kind,
            proposed_establishment=referral.proposed_establishment,
            options=options or [],
            cost_lines=cost_lines or [],
        )
        current = {name: getattr(referral, name) for name in ("needs_summary", "parental_preference", "notes")}
        current["evidence"] = referral.evidence
        kept_options = options if options is not None else [{"reason": o.reason} for o in referral.options.all()]
        kept_costs = (
            cost_lines
            if cost_lines is not None
            else [{"description": c.description} for c in referral.cost_lines.all()]
        )
        _check_identifiers(
            errors,
            AssessmentRequest.objects.select_related("child").get(pk=referral.request_id),
            _referral_texts(current, kept_options, kept_costs),
        )
        _fail(errors)
        referral.save()
        if options is not None:
            referral.options.all().delete()
        if cost_lines is not None:
            referral.cost_lines.all().delete()
        _write_children(referral, options or [], cost_lines or [])
        _event(
            actor=actor,
            action=PanelEventAction.REFERRAL_UPDATED,
            referral=referral,
            payload={
                "fields": sorted(changes),
                "options_replaced": options is not None,
                "cost_lines_replaced": cost_lines is not None,
            },
            at=at,
        )
    return referral


def referral_missing_for(referral: Referral) -> list[tuple[str, str]]:
    """What stops this referral going on an agenda (``workflow.referral_missing``)."""
    return workflow.referral_missing(referral.facts())


# --- Members and meetings ------------------------------------------------------------------------


def panel_member_add(
    *,
    actor: Any,
    user: Any,
    member_type: str,
    establishment: Establishment | None = None,
    at: datetime | None = None,
) -> PanelMember:
    """Put a person on the panel (or change their type or school, or bring them back)."""
    _require(actor, Capability.PANEL_CHAIR)
    errors: Errors = {}
    if member_type not in set(workflow.MemberType):
        _add(errors, "member_type", "Select the type of member")
    elif member_type == workflow.MemberType.HEAD_TEACHER and establishment is None:
        _add(errors, "establishment", "Select the school the head teacher leads")
    if not user_can(user, Capability.PANEL_VIEW):
        _add(errors, "user", "Give this person the panel member role first")
    _fail(errors)
    with transaction.atomic():
        member, _ = PanelMember.objects.update_or_create(
            user=user, defaults={"member_type": member_type, "establishment": establishment, "active": True}
        )
        _event(
            actor=actor,
            action=PanelEventAction.MEMBER_ADDED,
            payload={"member_id": member.pk, "member_type": member_type, "establishment_id": member.establishment_id},
            at=at,
        )
    return member


def meeting_schedule(
    *, actor: Any, held_on: date | None, starts_at: time | None, location: str, at: datetime | None = None
) -> PanelMeeting:
    """Schedule a meeting; the actor chairs it."""
    _require(actor, Capability.PANEL_CHAIR)
    now, today = _clock(at)
    errors: Errors = {}
    if held_on is None:
        _add(errors, "held_on", "Enter the date of the meeting")
    elif held_on < today:
        _add(errors, "held_on", "The date must be today or in the future")
    if starts_at is None:
        _add(errors, "starts_at", "Enter the time the meeting starts")
    if not location.strip():
        _add(errors, "location", "Enter where the meeting is held")
    _fail(errors)
    assert held_on is not None and starts_at is not None
    with transaction.atomic():
        meeting = PanelMeeting.objects.create(
            held_on=held_on, starts_at=starts_at, location=location.strip(), chair=actor
        )
        _event(actor=actor, action=PanelEventAction.MEETING_SCHEDULED, meeting=meeting, at=now)
    return meeting


# --- Agenda ------------------------------------------------------------------------------------


def _recuse_automatically(item: AgendaItem, referral: Referral, *, now: datetime) -> list[int]:
    """Record the conflicts ``workflow.conflicts_for`` finds between the active members and
    this item; returns the ids of members recused by it now."""
    facts = referral.item_facts()
    existing = {d.member_id: d for d in Declaration.objects.filter(item=item)}
    recused: list[int] = []
    for member in PanelMember.objects.active():
        reasons = workflow.conflicts_for(member.facts(), facts)
        if not reasons:
            continue
        interest = "; ".join(reasons)
        declaration = existing.get(member.pk)
        if declaration is None:
            Declaration.objects.create(
                member=member,
                item=item,
                interest=interest,
                nature=workflow.DeclarationNature.PREJUDICIAL,
                recused=True,
                automatic=True,
                declared_at=now,
            )
        elif not declaration.automatic:
            # The member's own declaration stays on file; the detected conflict overrides it.
            declaration.interest = f"{interest}; {declaration.interest}".rstrip("; ")
            declaration.nature = workflow.DeclarationNature.PREJUDICIAL
            declaration.recused = declaration.automatic = True
            declaration.save(update_fields=["interest", "nature", "recused", "automatic"])
        else:
            continue
        recused.append(member.pk)
    return recused


def _list_item(meeting: PanelMeeting, referral: Referral, *, actor: Any, now: datetime) -> tuple[AgendaItem, list[int]]:
    """Put a locked, complete referral on a locked meeting's agenda, next in order."""
    missing = workflow.referral_missing(referral.facts())
    if missing:
        errors: Errors = {}
        _add_pairs(errors, missing)
        _fail(errors)
    _move_referral(referral, workflow.ReferralAction.ADD_TO_AGENDA)
    last = AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("position"))["last"] or 0
    item = AgendaItem.objects.create(meeting=meeting, referral=referral, position=last + 1, added_by=actor)
    return item, _recuse_automatically(item, referral, now=now)


def agenda_add_item(
    *, actor: Any, meeting: PanelMeeting | int, referral: Referral | int, at: datetime | None = None
) -> AgendaItem:
    """Put a complete referral on a scheduled meeting's agenda; head teachers whose school is
    involved are recused from it automatically."""
    _require(actor, Capability.PANEL_CHAIR)
    now, _ = _clock(at)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _check_meeting(meeting, workflow.MeetingAction.ADD_ITEM)
        referral = _lock_referral(referral)
        item, recused = _list_item(meeting, referral, actor=actor, now=now)
        _event(
            actor=actor,
            action=PanelEventAction.ITEM_ADDED,
            meeting=meeting,
            referral=referral,
            payload={"item_id": item.pk, "position": item.position, "recused_member_ids": recused},
            at=now,
        )
    return item


def _lock_listed_item(item: AgendaItem | int, action: workflow.MeetingAction) -> tuple[AgendaItem, PanelMeeting]:
    item = AgendaItem.objects.get(pk=_pk(item))
    meeting = _lock_meeting(item.meeting_id)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    _check_meeting(meeting, action)
    if item.status != AgendaItemStatus.LISTED:
        verb = "withdrawn" if action is workflow.MeetingAction.WITHDRAW_ITEM else "deferred"
        raise InvalidTransition(f"This item is {item.get_status_display().lower()} and cannot be {verb}.")
    return item, meeting


def agenda_withdraw_item(*, actor: Any, item: AgendaItem | int, reason: str, at: datetime | None = None) -> AgendaItem:
    """Take an item off the agenda (after the papers are out, only this way, with a reason).
    The referral goes back to wait for a later meeting."""
    _require(actor, Capability.PANEL_CHAIR)
    with transaction.atomic():
        item, meeting = _lock_listed_item(item, workflow.MeetingAction.WITHDRAW_ITEM)
        if not reason.strip():
            raise ValidationFailed("Enter why the item is being withdrawn", field="reason")
        referral = _lock_referral(item.referral_id)
        _move_referral(referral, workflow.ReferralAction.WITHDRAW_FROM_AGENDA)
        item.status = AgendaItemStatus.WITHDRAWN
        item.withdrawn_reason = reason.strip()
        item.save(update_fields=["status", "withdrawn_reason"])
        _event(
            actor=actor,
            action=PanelEventAction.ITEM_WITHDRAWN,
            meeting=meeting,
            referral=referral,
            payload={"item_id": item.pk},
            note=reason.strip(),
            at=at,
        )
    return item


def agenda_defer_item(
    *,
    actor: Any,
    item: AgendaItem | int,
    deferred_to: PanelMeeting | int | None,
    reason: str,
    at: datetime | None = None,
) -> AgendaItem:
    """The chair defers an item the panel cannot take today to a later meeting, with a reason
    that the minutes record (the panel's terms of reference). Unlike a panel decision to defer,
    this needs no quorum and may be done by a chair who made the referral: it decides nothing
    about the child's case. The referral goes straight onto the later meeting's agenda."""
    _require(actor, Capability.PANEL_CHAIR)
    now, _ = _clock(at)
    with transaction.atomic():
        item, meeting = _lock_listed_item(item, workflow.MeetingAction.DEFER_ITEM)
        errors: Errors = {}
        if not reason.strip():
            _add(errors, "reason", "Enter why the item is being deferred")
        later = None
        if deferred_to is None:
            _add(errors, "deferred_to", "Select the meeting the item is deferred to")
        else:
            later = PanelMeeting.objects.select_for_update().filter(pk=_pk(deferred_to)).first()
            if later is None or later.held_on <= meeting.held_on or later.status != workflow.MeetingStatus.SCHEDULED:
                _add(errors, "deferred_to", "Select a later meeting whose papers have not yet gone out")
        _fail(errors)
        assert later is not None
        referral = _lock_referral(item.referral_id)
        _move_referral(referral, workflow.ReferralAction.RETURN)
        item.status = AgendaItemStatus.DEFERRED
        item.withdrawn_reason = reason.strip()
        item.deferred_to = later
        item.save(update_fields=["status", "withdrawn_reason", "deferred_to"])
        next_item, _ = _list_item(later, referral, actor=actor, now=now)
        _event(
            actor=actor,
            action=PanelEventAction.ITEM_DEFERRED,
            meeting=meeting,
            referral=referral,
            payload={"item_id": item.pk, "deferred_to_id": later.pk, "next_item_id": next_item.pk},
            note=reason.strip(),
            at=now,
        )
    return item


def meeting_circulate_papers(*, actor: Any, meeting: PanelMeeting | int, at: datetime | None = None) -> PanelMeeting:
    """Send the papers out: the agenda is fixed from now on. The papers go to the active
    members, who are recorded as the meeting's members (``PanelMeeting.circulated_to``).
    Conflicts are checked again for members who joined since the items were listed."""
    _require(actor, Capability.PANEL_CHAIR)
    now, _ = _clock(at)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        transition = _check_meeting(meeting, workflow.MeetingAction.CIRCULATE_PAPERS)
        items = list(
            AgendaItem.objects.filter(meeting=meeting, status=AgendaItemStatus.LISTED).select_related("referral")
        )
        if not items:
            raise ValidationFailed("Add at least one item to the agenda before circulating the papers", field="agenda")
        recused = {item.pk: _recuse_automatically(item, item.referral, now=now) for item in items}
        members = list(PanelMember.objects.active())
        meeting.circulated_to.set(members)
        meeting.status = transition.status_after(workflow.MeetingStatus(meeting.status)).value
        meeting.save(update_fields=["status"])
        _event(
            actor=actor,
            action=PanelEventAction.PAPERS_CIRCULATED,
            meeting=meeting,
            payload={
                "item_ids": [i.pk for i in items],
                "recused_member_ids": {str(k): v for k, v in recused.items()},
                "member_ids": sorted(m.pk for m in members),
            },
            at=now,
        )
    return meeting


# --- Declarations and attendance -------------------------------------------------------------


def _lock_declaring(item: AgendaItem | int, action: workflow.MeetingAction) -> tuple[AgendaItem, PanelMeeting]:
    item = AgendaItem.objects.get(pk=_pk(item))
    meeting = _lock_meeting(item.meeting_id)
    item = AgendaItem.objects.get(pk=item.pk)
    _check_meeting(meeting, action)
    if item.status != AgendaItemStatus.LISTED:
        raise InvalidTransition(f"This item is {item.get_status_display().lower()}: declarations are closed.")
    return item, meeting


def _nature_errors(nature: str, interest: str) -> Errors:
    errors: Errors = {}
    if nature not in set(workflow.DeclarationNature):
        _add(errors, "nature", "Select the nature of the interest")
    elif nature != workflow.DeclarationNature.NONE and not interest.strip():
        _add(errors, "interest", "Describe the interest")
    return errors


def declaration_record(
    *,
    actor: Any,
    item: AgendaItem | int,
    nature: str,
    interest: str = "",
    recused: bool = False,
    at: datetime | None = None,
) -> Declaration:
    """The actor's declaration of interest on one item. A prejudicial interest recuses the
    member; a conflict the system detected cannot be withdrawn by the member. Once the papers
    are out a member may add to a declaration but not withdraw or weaken it
    (``workflow.member_declaration_refusal``): that is the chair's correction, with a reason."""
    _require(actor, Capability.PANEL_VIEW)
    member = _member_of(actor)
    if member is None:
        raise NotPermitted("Only members of the panel declare interests.")
    now, _ = _clock(at)
    with transaction.atomic():
        item, meeting = _lock_declaring(item, workflow.MeetingAction.DECLARE_INTEREST)
        _fail(_nature_errors(nature, interest))
        recused = recused or nature == workflow.DeclarationNature.PREJUDICIAL
        declaration = Declaration.objects.select_for_update().filter(member=member, item=item).first()
        if declaration is not None and not declaration.automatic:
            refusal = workflow.member_declaration_refusal(
                meeting_status=meeting.status,
                before=workflow.DeclarationState(declaration.nature, declaration.recused),
                after=workflow.DeclarationState(nature, recused),
            )
            if refusal:
                raise InvalidTransition(refusal, field="nature")
        if declaration is not None and declaration.automatic:
            if interest.strip():
                declaration.interest = f"{declaration.interest}; {interest.strip()}"
                declaration.save(update_fields=["interest"])
        elif declaration is not None:
            declaration.nature, declaration.interest, declaration.recused = nature, interest.strip(), recused
            declaration.declared_at = now
            declaration.save(update_fields=["nature", "interest", "recused", "declared_at"])
        else:
            declaration = Declaration.objects.create(
                member=member, item=item, nature=nature, interest=interest.strip(), recused=recused, declared_at=now
            )
        _event(
            actor=actor,
            action=PanelEventAction.INTEREST_DECLARED,
            meeting=meeting,
            referral=item.referral,
            payload={
                "item_id": item.pk,
                "member_id": member.pk,
                "nature": declaration.nature,
                "recused": declaration.recused,
            },
            at=now,
        )
    return declaration


def declaration_correct(
    *,
    actor: Any,
    declaration: Declaration | int,
    nature: str,
    reason: str,
    interest: str = "",
    recused: bool = False,
    at: datetime | None = None,
) -> Declaration:
    """The chair corrects a member's declaration after the papers are out, with a reason the
    minutes record. A conflict the system detected (a head teacher's own school) stands."""
    _require(actor, Capability.PANEL_CHAIR)
    now, _ = _clock(at)
    with transaction.atomic():
        found = Declaration.objects.get(pk=_pk(declaration))
        item, meeting = _lock_declaring(found.item_id, workflow.MeetingAction.CORRECT_DECLARATION)
        declaration = Declaration.objects.select_for_update().get(pk=found.pk)
        errors = _nature_errors(nature, interest)
        if not reason.strip():
            _add(errors, "reason", "Enter why the declaration is being corrected")
        _fail(errors)
        if declaration.automatic:
            raise InvalidTransition(
                "This recusal was made by the system (the member's own school is in the case) and stands.",
                field="nature",
            )
        before = {"nature": declaration.nature, "recused": declaration.recused}
        recused = recused or nature == workflow.DeclarationNature.PREJUDICIAL
        declaration.nature, declaration.interest, declaration.recused = nature, interest.strip(), recused
        declaration.save(update_fields=["nature", "interest", "recused"])
        _event(
            actor=actor,
            action=PanelEventAction.DECLARATION_CORRECTED,
            meeting=meeting,
            referral=item.referral,
            payload={
                "item_id": item.pk,
                "member_id": declaration.member_id,
                "before": before,
                "after": {"nature": nature, "recused": recused},
            },
            note=reason.strip(),
            at=now,
        )
    return declaration


def attendance_record(
    *, actor: Any, meeting: PanelMeeting | int, present_member_ids: Collection[int], at: datetime | None = None
) -> list[Attendance]:
    """Who attended: every active member (and anyone already recorded) is marked present or
    absent. Safe to call again until the first decision is recorded; after that attendance is
    fixed (``workflow.attendance_refusal``) and only ``attendance_correct`` changes it."""
    _require(actor, Capability.PANEL_CHAIR)
    present = {int(pk) for pk in present_member_ids}
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _check_meeting(meeting, workflow.MeetingAction.RECORD_ATTENDANCE)
        refusal = workflow.attendance_refusal(
            decisions_recorded=PanelDecision.objects.filter(item__meeting=meeting).count()
        )
        if refusal:
            raise InvalidTransition(refusal, field="present_member_ids")
        members = {m.pk: m for m in PanelMember.objects.active()}
        recorded_ids = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
        unknown = present - set(members)
        if unknown:
            raise ValidationFailed("Only active panel members can be recorded as present", field="present_member_ids")
        rows = [
            Attendance.objects.update_or_create(meeting=meeting, member_id=pk, defaults={"present": pk in present})[0]
            for pk in sorted(set(members) | recorded_ids)
        ]
        _event(
            actor=actor,
            action=PanelEventAction.ATTENDANCE_RECORDED,
            meeting=meeting,
            payload={"present_member_ids": sorted(present)},
            at=at,
        )
    return rows


def attendance_correct(
    *,
    actor: Any,
    meeting: PanelMeeting | int,
    member_id: int,
    present: bool,
    reason: str,
    at: datetime | None = None,
) -> Attendance:
    """The chair corrects one member's attendance at a held meeting, with a reason the minutes
    record. Decisions already recorded keep the quorum they were taken with."""
    _require(actor, Capability.PANEL_CHAIR)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _check_meeting(meeting, workflow.MeetingAction.CORRECT_ATTENDANCE)
        errors: Errors = {}
        member = PanelMember.objects.filter(pk=member_id).first()
        if member is None or not (member.active or Attendance.objects.filter(meeting=meeting, member=member).exists()):
            _add(errors, "member_id", "Select a member of the panel")
        if not reason.strip():
            _add(errors, "reason", "Enter why the attendance is being corrected")
        _fail(errors)
        row = Attendance.objects.select_for_update().filter(meeting=meeting, member_id=member_id).first()
        was = None if row is None else row.present
        if row is None:
            row = Attendance.objects.create(meeting=meeting, member_id=member_id, present=present)
        else:
            row.present = present
            row.save(update_fields=["present"])
        _event(
            actor=actor,
            action=PanelEventAction.ATTENDANCE_CORRECTED,
            meeting=meeting,
            payload={"member_id": member_id, "present": present, "was_present": was},
            note=reason.strip(),
            at=at,
        )
    return row


def meeting_mark_held(*, actor: Any, meeting: PanelMeeting | int, at: datetime | None = None) -> PanelMeeting:
    """The meeting took place: decisions can now be recorded."""
    _require(actor, Capability.PANEL_CHAIR)
    now, today = _clock(at)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        transition = _check_meeting(meeting, workflow.MeetingAction.MARK_HELD)
        if meeting.held_on > today:
            raise ValidationFailed(f"The meeting is not until {_long(meeting.held_on)}", field="held_on")
        meeting.status = transition.status_after(workflow.MeetingStatus(meeting.status)).value
        meeting.save(update_fields=["status"])
        _event(actor=actor, action=PanelEventAction.MEETING_HELD, meeting=meeting, at=now)
    return meeting


# --- Decisions ---------------------------------------------------------------------------------


def _quorum_snapshot(
    meeting: PanelMeeting, item: AgendaItem, participant_ids: Collection[int] | None
) -> tuple[workflow.QuorumResult, dict[str, Any], list[int]]:
    """The quorum for this item from the attendance, the recusals and the proposer, the
    snapshot stored with the decision, and the members who take part. The member who made the
    referral takes no part and is not counted (``workflow.sitting_ids``)."""
    present = list(
        Attendance.objects.filter(meeting=meeting, present=True)
        .order_by("member_id")
        .values_list("member_id", "member__member_type")
    )
    present_ids = [pk for pk, _ in present]
    recused_ids = sorted(Declaration.objects.filter(item=item, recused=True).values_list("member_id", flat=True))
    proposer_id = selectors.proposer_member_id(item)
    sitting = workflow.sitting_ids(present_ids, recused_ids, proposer_id)
    if participant_ids is None:
        participants = sitting
    else:
        errors: Errors = {}
        names = dict(PanelMember.objects.filter(pk__in=participant_ids).values_list("pk", "user__username"))
        for pk in sorted(set(participant_ids)):
            if pk in recused_ids:
                _add(errors, "participants", f"{names.get(pk, pk)} is recused from this item and cannot take part")
            elif pk == proposer_id:
                _add(
                    errors, "participants", f"{names.get(pk, pk)} made this referral and takes no part in its decision"
                )
            elif pk not in present_ids:
                _add(errors, "participants", f"{names.get(pk, pk)} was not recorded as present")
        _fail(errors)
        participants = sorted(set(participant_ids))
    result = workflow.quorum(
        [(pk, kind) for pk, kind in present if pk in set(participants)],
        recused_ids,
        minimum_headcount=settings.PANEL_MINIMUM_HEADCOUNT,
    )
    snapshot = {
        "present_member_ids": present_ids,
        "recused_member_ids": recused_ids,
        "proposer_member_id": proposer_id,
        "participant_ids": participants,
        "minimum_headcount": settings.PANEL_MINIMUM_HEADCOUNT,
        **result.as_dict(),
    }
    return result, snapshot, participants


def _check_chair_of_item(actor: Any, meeting: PanelMeeting, item: AgendaItem) -> None:
    """Refuse an actor who may not take this item (``workflow.item_chair_refusal``)."""
    present_users = set(
        Attendance.objects.filter(meeting=meeting, present=True).values_list("member__user_id", flat=True)
    )
    recused_users = set(Declaration.objects.filter(item=item, recused=True).values_list("member__user_id", flat=True))
    refusal = workflow.item_chair_refusal(
        actor_id=actor.pk,
        meeting_chair_id=meeting.chair_id,
        proposer_id=item.referral.referred_by_id,
        recused_user_ids=recused_users,
        present_user_ids=present_users,
    )
    if refusal:
        raise NotPermitted(refusal)


def decision_record(
    *,
    actor: Any,
    item: AgendaItem | int,
    outcome: str,
    suitable_answer: str,
    compatible_answer: str,
    resources_answer: str,
    reasons_text: str,
    suitable_text: str = "",
    compatible_text: str = "",
    resources_text: str = "",
    maintained_alternative_cost_pence: int | None = None,
    agreed_annual_ceiling_pence: int | None = None,
    ceiling_reason: str = "",
    conditions: str = "",
    deferred_to: PanelMeeting | int | None = None,
    participant_ids: Collection[int] | None = None,
    note: str = "",
    at: datetime | None = None,
) -> PanelDecision:
    """Record the panel's decision on an item at a held, quorate meeting.

    The actor takes the item: the meeting's chair, or, when the chair made the referral or is
    recused, a vice-chair (a member with the chair's role recorded as present and not
    conflicted) in their place (``workflow.item_chair_refusal``); who took it is recorded. The
    members taking part are those present, not recused and not the proposer
    (``participant_ids`` may name a subset; anyone else is refused). An approval assesses every
    s.39(4) test, and a ceiling below the lowest costed option or more than
    ``workflow.CEILING_MARGIN_ABOVE_REQUEST_PERCENT`` above the request needs a reason. A
    deferral names a later scheduled meeting and the referral goes straight onto its agenda.
    The decision reaches the child's request timeline.
    """
    _require(actor, Capability.PANEL_CHAIR)
    now, _ = _clock(at)
    with transaction.atomic():
        item = AgendaItem.objects.select_related("referral").get(pk=_pk(item))
        meeting = _lock_meeting(item.meeting_id)
        item = AgendaItem.objects.select_for_update().select_related("referral__request__child").get(pk=item.pk)
        _check_meeting(meeting, workflow.MeetingAction.RECORD_DECISION)
        if item.status == AgendaItemStatus.DECIDED:
            raise Conflict("A decision has already been recorded on this item.")
        if item.status != AgendaItemStatus.LISTED:
            raise InvalidTransition(f"This item is {item.get_status_display().lower()} and cannot be decided.")
        _check_chair_of_item(actor, meeting, item)

        errors: Errors = {}
        if outcome not in set(workflow.DecisionOutcome):
            _fail({"outcome": ["Select the panel's decision"]})
        referral = _lock_referral(item.referral_id)
        requested = referral.cost_lines.aggregate(total=Sum("annual_amount_pence"))["total"] or 0
        option_costs = [o.annual_cost_pence for o in referral.options.all() if o.annual_cost_pence is not None]
        values = {
            "suitable_answer": suitable_answer,
            "suitable_text": suitable_text,
            "compatible_answer": compatible_answer,
            "compatible_text": compatible_text,
            "resources_answer": resources_answer,
            "resources_text": resources_text,
            "agreed_annual_ceiling_pence": agreed_annual_ceiling_pence,
            "ceiling_reason": ceiling_reason,
            "requested_annual_cost_pence": requested,
            "lowest_option_cost_pence": min(option_costs) if option_costs else None,
            "conditions": conditions,
            "deferred_to": deferred_to,
            "reasons_text": reasons_text,
        }
        _add_pairs(errors, workflow.decision_missing(outcome, values))
        _amount(errors, "agreed_annual_ceiling_pence", agreed_annual_ceiling_pence)
        _amount(errors, "maintained_alternative_cost_pence", maintained_alternative_cost_pence)
        texts = ("reasons_text", "suitable_text", "compatible_text", "resources_text", "conditions", "ceiling_reason")
        _check_identifiers(errors, item.referral.request, {name: [str(values[name] or "")] for name in texts})
        later: PanelMeeting | None = None
        if deferred_to is not None and outcome == workflow.DecisionOutcome.DEFER:
            later = PanelMeeting.objects.select_for_update().filter(pk=_pk(deferred_to)).first()
            if later is None or later.held_on <= meeting.held_on or later.status != workflow.MeetingStatus.SCHEDULED:
                _add(errors, "deferred_to", "Select a later meeting whose papers have not yet gone out")
        _fail(errors)

        result, snapshot, participants = _quorum_snapshot(meeting, item, participant_ids)
        if not result.quorate:
            raise InvalidTransition(result.missing[0], field="quorum", errors={"quorum": result.missing})

        line_benchmarks = selectors.line_benchmarks_for({item.referral_id})
        decision = PanelDecision.objects.create(
            item=item,
            outcome=outcome,
            meeting_status_at_decision=meeting.status,
            cost_benchmarks=[
                {
                    "category": c.category,
                    "annual_amount_pence": c.annual_amount_pence,
                    **selectors.line_intelligence(c.annual_amount_pence, line_benchmarks.get(c.pk)),
                }
                for c in referral.cost_lines.order_by("pk")
            ],
            maintained_average_pence=selectors.maintained_average_pence(),
            suitable_answer=suitable_answer,
            suitable_text=suitable_text.strip(),
            compatible_answer=compatible_answer,
            compatible_text=compatible_text.strip(),
            resources_answer=resources_answer,
            resources_text=resources_text.strip(),
            requested_annual_cost_pence=requested,
            maintained_alternative_cost_pence=maintained_alternative_cost_pence,
            reasons_text=reasons_text.strip(),
            agreed_annual_ceiling_pence=agreed_annual_ceiling_pence,
            ceiling_reason=ceiling_reason.strip(),
            conditions=conditions.strip(),
            deferred_to=later,
            quorum=snapshot,
            recorded_by=actor,
            chaired_by=actor,
            recorded_at=now,
        )
        decision.participants.set(participants)
        item.status = AgendaItemStatus.DECIDED
        item.save(update_fields=["status"])
        referral_action, _ = workflow.referral_after(outcome)
        _move_referral(referral, referral_action)
        # A higher layer that waits on this referral (an annual fee review) takes the decision in
        # the same transaction; the roof names it (settings.PANEL_DECISION_HOOKS).
        for hook in getattr(settings, "PANEL_DECISION_HOOKS", ()):
            import_string(hook)(actor=actor, decision=decision, referral=referral)
        next_item_id: int | None = None
        if later is not None:
            next_item, _ = _list_item(later, referral, actor=actor, now=now)
            next_item_id = next_item.pk
        request_services.request_record_panel_outcome(
            request=referral.request_id,
            actor=actor,
            outcome=outcome,
            meeting_id=meeting.pk,
            decision_id=decision.pk,
            note=note,
        )
        _event(
            actor=actor,
            action=PanelEventAction.DECISION_RECORDED,
            meeting=meeting,
            referral=referral,
            payload={
                "item_id": item.pk,
                "decision_id": decision.pk,
                "outcome": outcome,
                "deferred_to_id": later.pk if later else None,
                "next_item_id": next_item_id,
                "chaired_by_id": actor.pk,
            },
            note=note.strip(),
            at=now,
        )
    return decision


# --- Minutes -----------------------------------------------------------------------------------


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _minutes_facts(meeting: PanelMeeting) -> workflow.MinutesFacts:
    """Everything the minutes record (the panel's terms of reference): attendance and its
    corrections; per item every declaration and recusal and their corrections, the proposer,
    who took the item and who took part, the quorum, the requested cost and the ceiling."""
    members = {m.pk: m for m in PanelMember.objects.select_related("user")}
    member_users = {m.user_id: m.pk for m in members.values()}

    def name(member_id: int | None) -> str:
        member = members.get(member_id) if member_id is not None else None
        return _person(member.user) if member else str(member_id)

    attendance = [
        {
            "member_id": a.member_id,
            "name": _person(a.member.user),
            "member_type": a.member.member_type,
            "present": a.present,
        }
        for a in Attendance.objects.filter(meeting=meeting).select_related("member__user").order_by("member_id")
    ]
    events = list(
        PanelEvent.objects.filter(
            meeting=meeting,
            action__in=[PanelEventAction.ATTENDANCE_CORRECTED, PanelEventAction.DECLARATION_CORRECTED],
        )
        .select_related("actor")
        .order_by("occurred_at", "pk")
    )
    attendance_corrections = [
        {
            "member_id": e.payload["member_id"],
            "name": name(e.payload["member_id"]),
            "present": e.payload["present"],
            "reason": e.note,
            "by": _person(e.actor) if e.actor else "",
        }
        for e in events
        if e.action == PanelEventAction.ATTENDANCE_CORRECTED
    ]
    corrections: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        if e.action == PanelEventAction.DECLARATION_CORRECTED:
            corrections.setdefault(e.payload["item_id"], []).append(
                {
                    "member_id": e.payload["member_id"],
                    "name": name(e.payload["member_id"]),
                    "before_nature": e.payload["before"]["nature"],
                    "after_nature": e.payload["after"]["nature"],
                    "recused": e.payload["after"]["recused"],
                    "reason": e.note,
                    "by": _person(e.actor) if e.actor else "",
                }
            )
    items = []
    agenda = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related(
            "referral__request__child", "referral__referred_by", "referral__proposed_establishment", "deferred_to"
        )
        .prefetch_related("referral__cost_lines")
        .prefetch_related(Prefetch("declarations", queryset=Declaration.objects.select_related("member__user")))
        .prefetch_related(Prefetch("decisions", queryset=PanelDecision.objects.select_related("chaired_by")))
        .prefetch_related("decisions__participants__user")
        .order_by("position")
    )
    # The cost intelligence before the panel: each line against its benchmark (figures only).
    benchmarks = selectors.line_benchmarks_for({item.referral_id for item in agenda})
    for item in agenda:
        decision = next(iter(item.decisions.all()), None)
        inspection = selectors.provider_inspection(item.referral.proposed_establishment)
        items.append(
            {
                "item_id": item.pk,
                "position": item.position,
                "referral_id": item.referral_id,
                "kind": item.referral.kind,
                "initials": item.referral.request.child.initials,
                "status": item.status,
                "withdrawn_reason": item.withdrawn_reason,
                "deferred_to_held_on": _long(item.deferred_to.held_on) if item.deferred_to else None,
                "referred_by": _person(item.referral.referred_by),
                "proposer_is_member": item.referral.referred_by_id in member_users,
                "declarations": [
                    {
                        "member_id": d.member_id,
                        "name": _person(d.member.user),
                        "nature": d.nature,
                        "interest": d.interest,
                        "recused": d.recused,
                        "automatic": d.automatic,
                    }
                    for d in item.declarations.all()
                ],
                "declaration_corrections": corrections.get(item.pk, []),
                # As the panel saw them when it decided (stored on the decision); worked out now
                # only for an item not decided, or a decision from before they were kept.
                "cost_lines": decision.cost_benchmarks
                if decision is not None and decision.maintained_average_pence is not None
                else [
                    {
                        "category": c.category,
                        "annual_amount_pence": c.annual_amount_pence,
                        **selectors.line_intelligence(c.annual_amount_pence, benchmarks.get(c.pk)),
                    }
                    for c in item.referral.cost_lines.all()
                ],
                "maintained_average_pence": decision.maintained_average_pence
                if decision is not None and decision.maintained_average_pence is not None
                else selectors.maintained_average_pence(),
                "provider_inspection": None
                if inspection is None
                else {
                    **inspection,
                    "ofsted_inspected_on": inspection["ofsted_inspected_on"].isoformat()
                    if inspection["ofsted_inspected_on"]
                    else None,
                },
                "decision": None
                if decision is None
                else {
                    "decision_id": decision.pk,
                    "outcome": decision.outcome,
                    "meeting_chair": _person(meeting.chair),
                    "chaired_by": _person(decision.chaired_by) if decision.chaired_by else None,
                    "participants": sorted(_person(m.user) for m in decision.participants.all()),
                    "suitable_answer": decision.suitable_answer,
                    "suitable_text": decision.suitable_text,
                    "compatible_answer": decision.compatible_answer,
                    "compatible_text": decision.compatible_text,
                    "resources_answer": decision.resources_answer,
                    "resources_text": decision.resources_text,
                    "requested_annual_cost_pence": decision.requested_annual_cost_pence,
                    "maintained_alternative_cost_pence": decision.maintained_alternative_cost_pence,
                    "reasons_text": decision.reasons_text,
                    "agreed_annual_ceiling_pence": decision.agreed_annual_ceiling_pence,
                    "ceiling_reason": decision.ceiling_reason,
                    "conditions": decision.conditions,
                    "deferred_to_id": decision.deferred_to_id,
                    "quorum": decision.quorum,
                },
            }
        )
    return workflow.MinutesFacts(
        meeting_id=meeting.pk,
        held_on=meeting.held_on,
        location=meeting.location,
        chair=_person(meeting.chair),
        attendance=attendance,
        items=items,
        attendance_corrections=attendance_corrections,
    )


def minutes_generate(*, actor: Any, meeting: PanelMeeting | int, at: datetime | None = None) -> PanelMinutes:
    """Draft (or redraft) the minutes from the attendance, declarations and decisions.
    Redrafting replaces any edits made to the draft."""
    _require(actor, Capability.PANEL_CHAIR)
    now, _ = _clock(at)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _check_meeting(meeting, workflow.MeetingAction.DRAFT_MINUTES)
        if AgendaItem.objects.filter(meeting=meeting, status=AgendaItemStatus.LISTED).exists():
            raise ValidationFailed(
                "Record a decision on every item, defer it or withdraw it, before drafting the minutes",
                field="agenda",
            )
        body, content = workflow.minutes_body(_minutes_facts(meeting))
        minutes, created = PanelMinutes.objects.update_or_create(
            meeting=meeting, defaults={"body": body, "content": content, "generated_at": now}
        )
        _event(
            actor=actor,
            action=PanelEventAction.MINUTES_DRAFTED,
            meeting=meeting,
            payload={"minutes_id": minutes.pk, "redrafted": not created},
            at=now,
        )
    return minutes


def minutes_update(*, actor: Any, minutes: PanelMinutes | int, body: str, at: datetime | None = None) -> PanelMinutes:
    """Edit the draft minutes' text. Approved minutes are read-only."""
    _require(actor, Capability.PANEL_CHAIR)
    with transaction.atomic():
        minutes = PanelMinutes.objects.get(pk=_pk(minutes))
        meeting = _lock_meeting(minutes.meeting_id)
        minutes = PanelMinutes.objects.select_for_update().get(pk=minutes.pk)
        if minutes.status == MinutesStatus.APPROVED:
            raise InvalidTransition("These minutes have been approved and cannot be changed.")
        if not body.strip():
            raise ValidationFailed("Enter the minutes", field="body")
        minutes.body = body.strip() + "\n"
        minutes.save(update_fields=["body"])
        _event(
            actor=actor,
            action=PanelEventAction.MINUTES_UPDATED,
            meeting=meeting,
            payload={"minutes_id": minutes.pk},
            at=at,
        )
    return minutes


def minutes_approve(*, actor: Any, meeting: PanelMeeting | int, at: datetime | None = None) -> PanelMinutes:
    """The chair approves the minutes; they and the meeting are closed from now on (and head
    teachers no longer read its papers: ``PanelMeetingQuerySet.visible_to``)."""
    _require(actor, Capability.PANEL_CHAIR)
    now, _ = _clock(at)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        transition = _check_meeting(meeting, workflow.MeetingAction.APPROVE_MINUTES)
        minutes = PanelMinutes.objects.select_for_update().filter(meeting=meeting).first()
        if minutes is None:
            raise ValidationFailed("Draft the minutes before approving them", field="minutes")
        if minutes.status == MinutesStatus.APPROVED:  # pragma: no cover - the meeting status guards this
            raise InvalidTransition("These minutes have already been approved.")
        minutes.status = MinutesStatus.APPROVED
        minutes.approved_by = actor
        minutes.approved_at = now
        minutes.save(update_fields=["status", "approved_by", "approved_at"])
        meeting.status = transition.status_after(workflow.MeetingStatus(meeting.status)).value
        meeting.save(update_fields=["status"])
        _event(
            actor=actor,
            action=PanelEventAction.MINUTES_APPROVED,
            meeting=meeting,
            payload={"minutes_id": minutes.pk},
            at=now,
        )
    return minutes


# --- The pack ----------------------------------------------------------------------------------


def pack_for(*, meeting: PanelMeeting | int, user: Any, today: date | None = None, path: str = "") -> dict[str, Any]:
    """The agenda pack ``user`` may read, as plain data, and one access-log row per child shown.

    Each item's papers come from ``selectors.referral_papers``, the one builder every door
    uses: head teachers (external members) get the minimised papers (initials, age, district
    and need; the child's identifiers redacted from the free text; docs/architecture.md §1), others the
    child's name too, and a member recused from an item sees that it is on the agenda and why
    they are recused, not its papers. Each item lists its declarations and recusals.
    """
    _require(user, Capability.PANEL_VIEW)
    today = today or timezone.localdate()
    found = PanelMeeting.objects.visible_to(user).filter(pk=_pk(meeting)).first()
    if found is None:
        raise NotPermitted("You cannot see the papers for this meeting.")
    meeting = found
    member = _member_of(user)
    minimised = member is not None and member.is_head_teacher
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .exclude(status=AgendaItemStatus.WITHDRAWN)
        .exclude(status=AgendaItemStatus.DEFERRED)
        .select_related(
            "referral__request__child__district",
            "referral__proposed_establishment",
            "referral__parental_preference_establishment",
        )
        .prefetch_related(
            Prefetch("referral__options", queryset=ReferralOption.objects.select_related("establishment")),
            "referral__cost_lines",
            Prefetch("declarations", queryset=Declaration.objects.select_related("member__user")),
        )
        .order_by("position")
    )
    access = selectors.papers_access_for(user, [item.referral_id for item in items])
    # One query for every item's line benchmarks (figures only: no other child is named).
    benchmarks = selectors.line_benchmarks_for(
        item.referral_id for item in items if access[item.referral_id] is not workflow.PapersAccess.WITHHELD
    )
    pack_items: list[dict[str, Any]] = []
    child_ids: list[int] = []
    for item in items:
        referral = item.referral
        declarations = [
            {
                "member_id": d.member_id,
                "member": _person(d.member.user),
                "member_type": d.member.member_type,
                "nature": d.nature,
                "interest": d.interest,
                "recused": d.recused,
                "automatic": d.automatic,
            }
            for d in item.declarations.all()
        ]
        recused_ids = sorted(d.member_id for d in item.declarations.all() if d.recused)
        papers = selectors.referral_papers(referral, access=access[referral.pk], today=today, benchmarks=benchmarks)
        entry: dict[str, Any] = {
            "item_id": item.pk,
            "position": item.position,
            "status": item.status,
            "declarations": declarations,
            "recused_member_ids": recused_ids,
            "you_are_recused": member is not None and member.pk in recused_ids,
            **papers,
        }
        if not entry["papers_withheld"]:
            child_ids.append(referral.request.child_id)
        pack_items.append(entry)
    with transaction.atomic():
        # Fail closed: no log row, no pack.
        access_log_record_many(
            user=user, child_ids=child_ids, object_type=PACK_OBJECT_TYPE, action=AccessAction.VIEW, path=path
        )
    return {
        "meeting": {
            "id": meeting.pk,
            "held_on": meeting.held_on.isoformat(),
            "starts_at": meeting.starts_at.strftime("%H:%M"),
            "location": meeting.location,
            "status": meeting.status,
        },
        "viewer": {
            "member_id": member.pk if member else None,
            "member_type": member.member_type if member else None,
            "minimised": minimised,
        },
        "items": pack_items,
    }


# --- Annual fee reviews sent back to the panel -------------------------------------------------------


def referral_create_fee_review(
    *,
    actor: Any,
    original: Referral | int,
    contract_reference: str,
    current_annual_pence: int,
    proposed_annual_pence: int,
    cost_lines: Sequence[Mapping[str, Any]],
    notes: str = "",
    referred_on: date | None = None,
    at: datetime | None = None,
) -> Referral:
    """Refer a placement's agreed annual fee review back to the panel, because the agreed figure
    is above the ceiling of the approval the placement runs under. The placements team (finance)
    makes it, not the referring officer: the new referral copies the original one's case (the
    school, the preference, the needs and the options considered) with the new cost lines and
    the figures before and after, and waits for an agenda like any other. The child's request is
    usually closed by now (the plan names the school), so it is not moved."""
    _require(actor, Capability.PLACEMENT_MANAGE)
    now, today = _clock(at)
    errors: Errors = {}
    if not contract_reference.strip():
        _add(errors, "contract", "Give the contract under review")
    for name, value in (
        ("current_annual_pence", current_annual_pence),
        ("proposed_annual_pence", proposed_annual_pence),
    ):
        _amount(errors, name, value, required=True)
    _validate_referral(
        errors,
        kind=workflow.ReferralKind.INDEPENDENT_SPECIAL.value,
        proposed_establishment=None,
        options=(),
        cost_lines=cost_lines,
    )
    if not cost_lines:
        _add(errors, "cost_lines", "Add the agreed annual cost lines")
    _fail(errors)
    with transaction.atomic():
        source = Referral.objects.select_related("request__child").get(pk=_pk(original))
        referral = Referral.objects.create(
            request=source.request,
            kind=source.kind,
            proposed_establishment=source.proposed_establishment,
            parental_preference=source.parental_preference,
            parental_preference_establishment=source.parental_preference_establishment,
            needs_summary=source.needs_summary,
            evidence=list(source.evidence or []),
            notes=notes.strip(),
            referred_by=actor,
            referred_on=referred_on or today,
            fee_review_contract=contract_reference.strip(),
            fee_review_current_pence=current_annual_pence,
            fee_review_proposed_pence=proposed_annual_pence,
        )
        options = [
            {
                "establishment": o.establishment,
                "meets_need": o.meets_need,
                "reason": o.reason,
                "annual_cost_pence": o.annual_cost_pence,
            }
            for o in source.options.select_related("establishment")
        ]
        _write_children(referral, options, cost_lines)
        _event(
            actor=actor,
            action=PanelEventAction.FEE_REVIEW_REFERRED,
            referral=referral,
            payload={
                "request_id": source.request_id,
                "original_referral_id": source.pk,
                "contract": contract_reference.strip(),
                "current_annual_pence": current_annual_pence,
                "proposed_annual_pence": proposed_annual_pence,
            },
            at=now,
        )
    return referral
