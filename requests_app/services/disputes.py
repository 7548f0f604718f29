"""Mediation and appeals to the SEND Tribunal on a request (docs/domain.md §1.7).

Each function is the one door for its change, whichever page, API call or import made it: it
checks the capability, locks the request, validates with the pure rules in
``requests_app/disputes.py``, writes the row and one timeline event. The request's own status
does not change: an order to assess after a refusal is carried out through the request's usual
actions (reopen, assess, issue), and the order's stored deadline tracks it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import InvalidTransition
from core.roles import Capability
from core.staleness import mark_stale
from requests_app import disputes
from requests_app.models import Appeal, AssessmentRequest, Mediation
from requests_app.services.common import add_error, fail, lock_request, require, resolve_today, write_event
from requests_app.workflow import EventAction

RECORD = Capability.REQUEST_DECIDE


def _errors(problems: list[tuple[str, str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, message in problems:
        add_error(errors, field, message)
    return errors


def _mediation_facts(mediation: Mediation) -> dict[str, Any]:
    return {
        "mediation_id": mediation.pk,
        "against": mediation.against,
        "decision_letter_on": mediation.decision_letter_on,
        "certificate_issued_on": mediation.certificate_issued_on,
        "held_on": mediation.held_on,
        "outcome": mediation.outcome,
    }


def mediation_record(
    *,
    actor: User,
    request: AssessmentRequest | int,
    against: str,
    decision_letter_on: date | None,
    adviser_contacted_on: date | None = None,
    certificate_issued_on: date | None = None,
    held_on: date | None = None,
    outcome: str = disputes.MediationOutcome.PENDING,
    today: date | None = None,
) -> Mediation:
    """Record that the family sought mediation about a decision on the request."""
    require(actor, RECORD)
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        problems = disputes.mediation_problems(
            decision_letter_on=decision_letter_on,
            adviser_contacted_on=adviser_contacted_on,
            certificate_issued_on=certificate_issued_on,
            held_on=held_on,
            outcome=outcome,
            today=today,
        )
        if against not in disputes.Disputed.__members__.values():
            problems.insert(0, ("against", "Select the decision the family disagrees with"))
        fail(_errors(problems))
        assert decision_letter_on is not None
        mediation = Mediation.objects.create(
            request=request,
            against=against,
            decision_letter_on=decision_letter_on,
            adviser_contacted_on=adviser_contacted_on,
            certificate_issued_on=certificate_issued_on,
            held_on=held_on,
            outcome=outcome,
            recorded_by=actor,
        )
        write_event(
            request,
            actor=actor,
            action=EventAction.MEDIATION_RECORDED,
            from_status=request.status,
            payload=_mediation_facts(mediation),
        )
        # SEN2 counts mediation and appeals by their dates: every dated dispute fact marks its month.
        mark_stale([decision_letter_on, adviser_contacted_on, certificate_issued_on, held_on], "mediation recorded")
    return mediation


def mediation_update(
    *,
    actor: User,
    mediation: Mediation | int,
    certificate_issued_on: date | None,
    held_on: date | None,
    outcome: str,
    adviser_contacted_on: date | None = None,
    today: date | None = None,
) -> Mediation:
    """Record the certificate, the meeting and the outcome of a mediation already on file."""
    require(actor, RECORD)
    today = resolve_today(today)
    pk = mediation.pk if isinstance(mediation, Mediation) else mediation
    with transaction.atomic():
        request = lock_request(Mediation.objects.values_list("request_id", flat=True).get(pk=pk))
        mediation = Mediation.objects.select_for_update().get(pk=pk)
        contacted = adviser_contacted_on or mediation.adviser_contacted_on
        old_days = [mediation.adviser_contacted_on, mediation.certificate_issued_on, mediation.held_on]
        fail(
            _errors(
                disputes.mediation_problems(
                    decision_letter_on=mediation.decision_letter_on,
                    adviser_contacted_on=contacted,
                    certificate_issued_on=certificate_issued_on,
                    held_on=held_on,
                    outcome=outcome,
                    today=today,
                )
            )
        )
        mediation.adviser_contacted_on = contacted
        mediation.certificate_issued_on = certificate_issued_on
        mediation.held_on = held_on
        mediation.outcome = outcome
        mediation.save()
        write_event(
            request,
            actor=actor,
            action=EventAction.MEDIATION_UPDATED,
            from_status=request.status,
            payload=_mediation_facts(mediation),
        )
        mark_stale([*old_days, contacted, certificate_issued_on, held_on], "mediation updated")
    return mediation


def appeal_register(
    *,
    actor: User,
    request: AssessmentRequest | int,
    against: str,
    decision_letter_on: date | None,
    registered_on: date | None,
    hearing_on: date | None = None,
    mediation: Mediation | None = None,
    today: date | None = None,
) -> Appeal:
    """Record an appeal the SEND Tribunal has registered against a decision on the request."""
    require(actor, RECORD)
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        errors = _errors(
            disputes.appeal_problems(
                against=against,
                decision_letter_on=decision_letter_on,
                registered_on=registered_on,
                hearing_on=hearing_on,
                today=today,
            )
        )
        if mediation is not None and mediation.request_id != request.pk:
            add_error(errors, "mediation", "Select a mediation recorded on this request")
        fail(errors)
        assert decision_letter_on is not None and registered_on is not None
        appeal = Appeal.objects.create(
            request=request,
            against=against,
            decision_letter_on=decision_letter_on,
            registered_on=registered_on,
            hearing_on=hearing_on,
            mediation=mediation,
            recorded_by=actor,
        )
        write_event(
            request,
            actor=actor,
            action=EventAction.APPEAL_REGISTERED,
            from_status=request.status,
            payload={
                "appeal_id": appeal.pk,
                "against": against,
                "decision_letter_on": decision_letter_on,
                "registered_on": registered_on,
                "mediation_id": mediation.pk if mediation else None,
            },
        )
        mark_stale([registered_on], "appeal registered")
    return appeal


def _lock_appeal(appeal: Appeal | int) -> tuple[AssessmentRequest, Appeal]:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    request = lock_request(Appeal.objects.values_list("request_id", flat=True).get(pk=pk))
    return request, Appeal.objects.select_for_update().get(pk=pk)


def appeal_record_outcome(
    *,
    actor: User,
    appeal: Appeal | int,
    outcome: str,
    decided_on: date | None,
    order_type: str = "",
    today: date | None = None,
) -> Appeal:
    """Record the Tribunal's decision (or the council's concession, or the family's withdrawal).

    An order starts the reg 44 (reg 45 for a concession) compliance clock: its deadline is stored
    on the appeal from the order's date."""
    require(actor, RECORD)
    today = resolve_today(today)
    with transaction.atomic():
        request, appeal = _lock_appeal(appeal)
        if appeal.status != disputes.AppealStatus.REGISTERED:
            raise InvalidTransition("The outcome of this appeal has already been recorded.")
        fail(
            _errors(
                disputes.outcome_problems(
                    outcome=outcome,
                    decided_on=decided_on,
                    order_type=order_type,
                    registered_on=appeal.registered_on,
                    today=today,
                )
            )
        )
        assert decided_on is not None
        appeal.outcome = outcome
        appeal.decided_on = decided_on
        if disputes.AppealOutcome(outcome) in disputes.ORDER_OUTCOMES:
            appeal.order_type = order_type
            appeal.compliance_due_on = disputes.compliance_due_on(order_type, decided_on)
            appeal.status = disputes.AppealStatus.ORDERED
        elif outcome == disputes.AppealOutcome.WITHDRAWN:
            appeal.status = disputes.AppealStatus.WITHDRAWN
        else:
            appeal.status = disputes.AppealStatus.CLOSED
        appeal.save()
        write_event(
            request,
            actor=actor,
            action=EventAction.APPEAL_DECIDED,
            from_status=request.status,
            payload={
                "appeal_id": appeal.pk,
                "outcome": outcome,
                "decided_on": decided_on,
                "order_type": appeal.order_type,
                "compliance_due_on": appeal.compliance_due_on,
            },
        )
        mark_stale([decided_on], "appeal decided")
    return appeal


def appeal_record_compliance(
    *, actor: User, appeal: Appeal | int, complied_on: date | None, today: date | None = None
) -> Appeal:
    """Record the day the council complied with the Tribunal's order in full."""
    require(actor, RECORD)
    today = resolve_today(today)
    with transaction.atomic():
        request, appeal = _lock_appeal(appeal)
        if appeal.status != disputes.AppealStatus.ORDERED:
            raise InvalidTransition("This appeal has no order awaiting compliance.")
        errors: dict[str, list[str]] = {}
        if complied_on is None:
            add_error(errors, "complied_on", "Enter the date the order was complied with")
        elif complied_on > today:
            add_error(errors, "complied_on", "The date the order was complied with must be today or in the past")
        elif appeal.decided_on is not None and complied_on < appeal.decided_on:
            add_error(errors, "complied_on", "The order cannot be complied with before it was made")
        fail(errors)
        assert complied_on is not None and appeal.compliance_due_on is not None
        appeal.complied_on = complied_on
        appeal.status = disputes.AppealStatus.CLOSED
        appeal.save()
        write_event(
            request,
            actor=actor,
            action=EventAction.APPEAL_COMPLIED,
            from_status=request.status,
            payload={
                "appeal_id": appeal.pk,
                "complied_on": complied_on,
                "compliance_due_on": appeal.compliance_due_on,
                "on_time": complied_on <= appeal.compliance_due_on,
            },
        )
        mark_stale([complied_on], "tribunal order complied with")
    return appeal


def dispute_import_sen2(
    *, request: AssessmentRequest | int, against: str, tribunal: bool, decided_on: date, census: date
) -> Mediation | Appeal:
    """A mediation or Tribunal flag of a SEN2 return loaded as history (``import_sen2``; the
    system writes it, no actor). The file says only that a mediation about the decision was held,
    or an appeal about it registered, by its census date: the row is marked with that census
    (``imported_from_census``) and dated with the decision (``decided_on``, the decision letter);
    a mediation's meeting date and outcome stay unrecorded; an appeal's ``registered_on`` (which
    the model requires) is the decision's date, the earliest it can have been. The SEN2 return
    counts an imported row from that census on (``reporting.sen2.selectors``), so exporting for
    the same census gives the same flag. One event, like the officer's own recording."""
    errors: dict[str, list[str]] = {}
    if against not in disputes.Disputed.__members__.values():
        add_error(errors, "against", "Select the decision disputed")
    if decided_on > census:
        add_error(errors, "decided_on", "The decision disputed must be dated on or before the return's census date")
    fail(errors)
    with transaction.atomic():
        request = lock_request(request)
        row: Mediation | Appeal
        if tribunal:
            row = Appeal.objects.create(
                request=request,
                against=against,
                decision_letter_on=decided_on,
                registered_on=decided_on,
                imported_from_census=census,
            )
        else:
            row = Mediation.objects.create(
                request=request, against=against, decision_letter_on=decided_on, imported_from_census=census
            )
        write_event(
            request,
            actor=None,
            action=EventAction.DISPUTE_IMPORTED,
            from_status=request.status,
            payload={
                "mediation_id": None if tribunal else row.pk,
                "appeal_id": row.pk if tribunal else None,
                "against": against,
                "tribunal": tribunal,
                "decision_letter_on": decided_on,
                "imported_from_census": census,
            },
        )
    return row
