"""Corrections: a child's details and a request's dates put right, each with a reason and a
before → after entry on the timeline (rules: ``requests_app.corrections``).

Each correction runs in one transaction: the rows are locked (the child before its requests,
the order ``child_change_district`` and ``request_create`` use, so two corrections or a
correction and a new request cannot interleave), the new value is checked against the rest of
the record, the stored clocks and derived values are recomputed through
``requests_app.stored``, one "corrected" event is written on each request it shows on, and
every month whose stored figures the change touches, before and after, is marked stale
(``core.staleness``) in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import NotPermitted, ValidationFailed
from core.models import District, Establishment, NeedType
from core.roles import Capability
from core.staleness import mark_stale
from requests_app import corrections, stored, workflow
from requests_app.corrections import Fact
from requests_app.models import AssessmentDecision, AssessmentRequest, Child, DecisionStage, Sen2Outcome
from requests_app.services.common import (
    fail,
    lock_request,
    long_date,
    require,
    resolve_today,
    save_request,
    write_event,
)

NAME_MAX = 100
POSTCODE_MAX = 10


def _same_value() -> ValidationFailed:
    return ValidationFailed("The new value is the same as the one recorded: enter the correct value", field="value")


def _reason(reason: str) -> str:
    problems = corrections.reason_errors(reason)
    if problems:
        fail({"reason": problems})
    return reason.strip()


def _child_value(child: Child, fact: Fact) -> Any:
    if fact == Fact.NAME:
        return {"forename": child.forename, "surname": child.surname}
    if fact == Fact.SCHOOL:
        return child.current_establishment_id
    if fact == Fact.DISTRICT:
        return child.district_id
    return getattr(child, fact.value)


def _child_label(fact: Fact, value: Any) -> str:
    if value in (None, ""):
        return "Not recorded"
    if fact == Fact.NAME:
        return f"{value['forename']} {value['surname']}".strip()
    if fact == Fact.DATE_OF_BIRTH:
        return long_date(value)
    if fact == Fact.SCHOOL:
        school = Establishment.objects.filter(pk=value).first()
        return school.name if school else f"School {value}"
    if fact == Fact.DISTRICT:
        district = District.objects.filter(pk=value).first()
        return district.name if district else f"District {value}"
    if fact in (Fact.PRIMARY_NEED, Fact.SECONDARY_NEED):
        return str(dict(NeedType.choices).get(value, value))
    return str(value)


def _clean_child_value(fact: Fact, value: Any, *, child_pk: int, today: date) -> Any:
    """The value as stored, or ValidationFailed naming the field."""
    if fact == Fact.NAME:
        if not isinstance(value, dict):
            fail({"forename": ["Enter the child's first name"]})
        errors: dict[str, list[str]] = {}
        names = {part: str(value.get(part) or "").strip() for part in ("forename", "surname")}
        for part, wording in (("forename", "first name"), ("surname", "last name")):
            if not names[part]:
                errors[part] = [f"Enter the child's {wording}"]
            elif len(names[part]) > NAME_MAX:
                errors[part] = [f"The child's {wording} must be {NAME_MAX} characters or fewer"]
        fail(errors)
        return names
    if fact == Fact.DATE_OF_BIRTH:
        if not isinstance(value, date):
            fail({"value": ["Enter the correct date of birth"]})
        if value > today:
            fail({"value": ["The date of birth must be in the past"]})
        return value
    if fact == Fact.UPN:
        upn = str(value or "").strip().upper()
        # The rule the portal holds everywhere a UPN is entered: 13 letters and numbers.
        if upn and (len(upn) != 13 or not upn.isalnum()):
            fail({"value": ["Enter a UPN of 13 letters and numbers, or leave it blank"]})
        if upn and Child.objects.filter(upn=upn).exclude(pk=child_pk).exists():
            fail({"value": ["Another child is recorded with this UPN: check the number"]})
        return upn
    if fact == Fact.POSTCODE:
        postcode = str(value or "").strip().upper()
        if len(postcode) > POSTCODE_MAX:
            fail({"value": [f"Enter a postcode of {POSTCODE_MAX} characters or fewer"]})
        return postcode
    if fact in (Fact.PRIMARY_NEED, Fact.SECONDARY_NEED):
        code = str(value or "")
        if fact == Fact.PRIMARY_NEED and code not in NeedType.values:
            fail({"value": ["Select the child's primary need"]})
        if fact == Fact.SECONDARY_NEED and code and code not in NeedType.values:
            fail({"value": ["Select the child's secondary need, or none"]})
        return code
    if fact == Fact.SCHOOL:
        if value is None:
            return None
        pk = value.pk if isinstance(value, Establishment) else value
        if not Establishment.objects.filter(pk=pk).exists():
            fail({"value": ["Select the child's school or setting"]})
        return pk
    if fact == Fact.DISTRICT:
        pk = value.pk if isinstance(value, District) else value
        if pk is None or not District.objects.filter(pk=pk).exists():
            fail({"value": ["Select the district the child lives in"]})
        return pk
    raise ValidationFailed("This detail cannot be corrected here", field="fact")


def _request_dates(request: AssessmentRequest, decisions: dict[str, AssessmentDecision]) -> corrections.RequestDates:
    assess, issue = decisions.get(DecisionStage.ASSESS), decisions.get(DecisionStage.ISSUE)
    return corrections.RequestDates(
        received_on=request.received_on,
        assess_decision_on=assess.notified_on if assess else None,
        issue_decision_on=issue.notified_on if issue else None,
        draft_issued_on=request.draft_issued_on,
        family_comments_on=request.family_comments_received_on,
        final_plan_issued_on=request.final_plan_issued_on,
        request_outcome_on=request.request_outcome_on,
        assessment_outcome_on=request.assessment_outcome_on,
    )


def _standing_decisions(request: AssessmentRequest) -> dict[str, AssessmentDecision]:
    rows = AssessmentDecision.objects.select_for_update().filter(request=request, superseded=False).order_by("pk")
    return {row.stage: row for row in rows}


def child_correct(
    *, actor: User, child: Child | int, fact: str, value: Any, reason: str, today: date | None = None
) -> Child:
    """Correct one of the child's details (``corrections.CHILD_FACTS``) with the reason.

    Every request of the child's takes a "corrected" event (each timeline shows the record as
    it was and as it is); a district correction moves the requests' copy of the district with
    the child (``stored.request_district``). Returns the child as saved."""
    require(actor, Capability.RECORD_CORRECT)
    if fact not in corrections.CHILD_FACTS:
        raise ValidationFailed("Select a detail of the child's to correct", field="fact")
    which = Fact(fact)
    text = _reason(reason)
    today = resolve_today(today)
    child_pk = child.pk if isinstance(child, Child) else child
    with transaction.atomic():
        locked = Child.objects.select_for_update().filter(pk=child_pk).first()
        requests = list(
            AssessmentRequest.objects.visible_to(actor).select_for_update().filter(child_id=child_pk).order_by("pk")
        )
        if locked is None or not requests:
            raise NotPermitted("You do not have permission to do this.")
        new = _clean_child_value(which, value, child_pk=child_pk, today=today)
        before = _child_value(locked, which)
        if new == before:
            raise _same_value()
        if which == Fact.NAME:
            locked.forename, locked.surname = new["forename"], new["surname"]
        elif which == Fact.SCHOOL:
            locked.current_establishment_id = new
        elif which == Fact.DISTRICT:
            locked.district_id = new
        else:
            setattr(locked, which.value, new)
        locked.save()
        facts = {
            "fact": which.value,
            "before": before,
            "after": new,
            "before_label": _child_label(which, before),
            "after_label": _child_label(which, new),
        }
        dates: list[corrections.RequestDates] = []
        for request in requests:
            if which == Fact.DISTRICT:
                request.district_id = stored.request_district(new)
                request.save(update_fields=["district", "updated_at"])
            dates.append(_request_dates(request, _standing_decisions(request)))
            write_event(
                request,
                actor=actor,
                action=workflow.EventAction.CORRECTED,
                from_status=request.status,
                payload=facts,
                note=text,
            )
        mark_stale(
            corrections.days_touched(which, before, new, dates),
            f"{corrections.FACT_LABELS[which]} corrected",
        )
    return locked


def request_correct_date(
    *,
    actor: User,
    request: AssessmentRequest | int,
    fact: str,
    value: date | None,
    reason: str,
    today: date | None = None,
) -> AssessmentRequest:
    """Correct one of the request's dates (``corrections.REQUEST_FACTS``) with the reason: the
    day it was received, the date of a standing decision, the draft or final plan's date.

    The dates keep the process's order (``corrections.date_errors``); the stored due dates,
    targets and queue key are recomputed (``save_request``: ``stored.request_clocks``) and the
    SEN2 outcome date that mirrors a decision or the final plan moves with it."""
    require(actor, Capability.RECORD_CORRECT)
    if fact not in corrections.REQUEST_FACTS:
        raise ValidationFailed("Select a date of the request's to correct", field="fact")
    which = Fact(fact)
    text = _reason(reason)
    today = resolve_today(today)
    pk = request.pk if isinstance(request, AssessmentRequest) else request
    with transaction.atomic():
        if not AssessmentRequest.objects.visible_to(actor).filter(pk=pk).exists():
            raise NotPermitted("You do not have permission to do this.")
        locked = lock_request(pk)
        decisions = _standing_decisions(locked)
        dates = _request_dates(locked, decisions)
        problems = corrections.date_errors(which, value, dates, today=today)
        if problems:
            fail({"value": problems})
        assert value is not None
        before = getattr(dates, which.value)
        if value == before:
            raise _same_value()
        after = corrections.apply(dates, which, value)
        if which == Fact.RECEIVED_ON:
            locked.received_on = value
        elif which == Fact.ASSESS_DECISION_ON:
            decision = decisions[DecisionStage.ASSESS]
            decision.notified_on = value
            decision.save(update_fields=["notified_on"])
        elif which == Fact.ISSUE_DECISION_ON:
            decision = decisions[DecisionStage.ISSUE]
            decision.notified_on = value
            decision.save(update_fields=["notified_on"])
        elif which == Fact.DRAFT_ISSUED_ON:
            locked.draft_issued_on = value
        elif which == Fact.FINAL_PLAN_ISSUED_ON:
            locked.final_plan_issued_on = value
        # The SEN2 outcome dates that mirrored the corrected date (corrections.apply).
        if locked.request_outcome in (Sen2Outcome.YES, Sen2Outcome.NO):
            locked.request_outcome_on = after.request_outcome_on
        if locked.assessment_outcome in (Sen2Outcome.YES, Sen2Outcome.NO):
            locked.assessment_outcome_on = after.assessment_outcome_on
        save_request(locked)
        write_event(
            locked,
            actor=actor,
            action=workflow.EventAction.CORRECTED,
            from_status=locked.status,
            payload={
                "fact": which.value,
                "before": before,
                "after": value,
                "before_label": long_date(before) if before else "Not recorded",
                "after_label": long_date(value),
            },
            note=text,
        )
        mark_stale(
            [*corrections.days_touched(which, before, value, [dates]), *after.all()],
            f"{corrections.FACT_LABELS[which]} corrected",
        )
    return locked
