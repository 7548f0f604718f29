"""Recording what the SEN2 return needs on the case record (docs/sen2.md): the child's ethnicity,
unique learner number and UPN-unknown reason; the request's SEN2 source and RYA flag; the plan's
start and end; the settings named in the plan and attended."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import transaction

from core.models import Establishment
from core.roles import Capability
from core.sen2codes import (
    CEASE_REASONS,
    ETHNICITIES,
    REQUEST_SOURCES,
    SEN_SETTINGS,
    SEN_SETTINGS_NEEDING_DETAIL,
    UPN_UNKNOWN,
    uln_valid,
)
from core.staleness import mark_stale
from requests_app import workflow
from requests_app.models import AssessmentRequest, Child, PlanPlacement
from requests_app.services.common import add_error, check_date, fail, lock_request, require, resolve_today, write_event

CHILD_ITEMS = ("ethnicity", "uln", "upn_unknown")
REQUEST_ITEMS = ("sen2_request_source", "rya", "plan_start_on", "plan_ceased_on", "plan_cease_reason")


def request_record_sen2(
    *,
    actor: User,
    request: AssessmentRequest | int,
    ethnicity: str = "",
    uln: str = "",
    upn_unknown: str = "",
    sen2_request_source: str = "",
    rya: bool = False,
    plan_start_on: date | None = None,
    plan_ceased_on: date | None = None,
    plan_cease_reason: str = "",
    today: date | None = None,
) -> AssessmentRequest:
    """Record the SEN2 items of the request and its child; one event names the items changed."""
    require(actor, Capability.REQUEST_DECIDE)
    today = resolve_today(today)
    errors: dict[str, list[str]] = {}
    if ethnicity and ethnicity not in ETHNICITIES:
        add_error(errors, "ethnicity", "Select the ethnicity from the list")
    if uln and not uln_valid(uln):
        add_error(errors, "uln", "Enter a unique learner number of 10 digits with a valid check digit")
    if upn_unknown and upn_unknown not in UPN_UNKNOWN:
        add_error(errors, "upn_unknown", "Select why the UPN is not known from the list")
    if sen2_request_source and sen2_request_source not in REQUEST_SOURCES:
        add_error(errors, "sen2_request_source", "Select who made the request from the list")
    if plan_cease_reason and plan_cease_reason not in CEASE_REASONS:
        add_error(errors, "plan_cease_reason", "Select why the plan ended from the list")
    if bool(plan_ceased_on) != bool(plan_cease_reason):
        field = "plan_cease_reason" if plan_ceased_on else "plan_ceased_on"
        add_error(errors, field, "Enter both the date the plan ended and why, or neither")
    with transaction.atomic():
        request = lock_request(request)
        if (plan_start_on or plan_ceased_on) and request.final_plan_issued_on is None:
            add_error(errors, "plan_start_on", "A plan's dates can be recorded once the final plan is issued")
        check_date(errors, "plan_start_on", plan_start_on, today=today)
        check_date(
            errors,
            "plan_ceased_on",
            plan_ceased_on,
            today=today,
            not_before=plan_start_on or request.final_plan_issued_on,
            not_before_message="The plan cannot end before it starts",
        )
        fail(errors)
        child = Child.objects.select_for_update().get(pk=request.child_id)
        wanted_child: dict[str, object] = {"ethnicity": ethnicity, "uln": uln, "upn_unknown": upn_unknown}
        wanted_request: dict[str, object] = {
            "sen2_request_source": sen2_request_source,
            "rya": rya,
            "plan_start_on": plan_start_on,
            "plan_ceased_on": plan_ceased_on,
            "plan_cease_reason": plan_cease_reason,
        }
        changed = [name for name, value in wanted_child.items() if getattr(child, name) != value]
        changed += [name for name, value in wanted_request.items() if getattr(request, name) != value]
        old_dates = [request.plan_start_on, request.plan_ceased_on]
        for name, value in wanted_child.items():
            setattr(child, name, value)
        for name, value in wanted_request.items():
            setattr(request, name, value)
        child.save(update_fields=[*CHILD_ITEMS])
        request.save(update_fields=[*REQUEST_ITEMS, "updated_at"])
        if {"plan_start_on", "plan_ceased_on"} & set(changed):
            mark_stale([*old_dates, plan_start_on, plan_ceased_on], "SEN2 plan dates recorded")
        write_event(
            request,
            actor=actor,
            action=workflow.EventAction.SEN2_RECORDED,
            from_status=request.status,
            payload={"fields": sorted(changed)},
        )
    return request


def request_add_placement(
    *,
    actor: User,
    request: AssessmentRequest | int,
    establishment: Establishment | None,
    sen_setting: str = "",
    sen_setting_other: str = "",
    rank: int = 1,
    named_in_plan: bool = True,
    entry_on: date | None = None,
    leaving_on: date | None = None,
    sen_unit: bool = False,
    resourced_provision: bool = False,
    today: date | None = None,
) -> PlanPlacement:
    """Record a setting named in the plan and/or attended (an establishment or a setting type)."""
    require(actor, Capability.REQUEST_DECIDE)
    today = resolve_today(today)
    errors: dict[str, list[str]] = {}
    if (establishment is None) == (not sen_setting):
        add_error(errors, "establishment", "Select the school or setting, or a setting type, but not both")
    if sen_setting and sen_setting not in SEN_SETTINGS:
        add_error(errors, "sen_setting", "Select the setting type from the list")
    if sen_setting in SEN_SETTINGS_NEEDING_DETAIL and not sen_setting_other.strip():
        add_error(errors, "sen_setting_other", "Describe the setting")
    if rank not in (1, 2):
        add_error(errors, "rank", "Select main (1) or second (2) setting")
    if not named_in_plan and entry_on is None:
        add_error(errors, "entry_on", "Enter the date the placement started, or mark the setting as named in the plan")
    check_date(errors, "entry_on", entry_on, today=today)
    check_date(
        errors,
        "leaving_on",
        leaving_on,
        today=today,
        not_before=entry_on,
        not_before_message="The placement cannot end before it starts",
    )
    with transaction.atomic():
        request = lock_request(request)
        if request.final_plan_issued_on is None:
            add_error(errors, "establishment", "Placements can be recorded once the final plan is issued")
        fail(errors)
        placement = PlanPlacement.objects.create(
            request=request,
            establishment=establishment,
            sen_setting=sen_setting,
            sen_setting_other=sen_setting_other.strip(),
            rank=rank,
            named_in_plan=named_in_plan,
            entry_on=entry_on,
            leaving_on=leaving_on,
            sen_unit=sen_unit,
            resourced_provision=resourced_provision,
        )
        mark_stale([entry_on, leaving_on], "Placement recorded")
        write_event(
            request,
            actor=actor,
            action=workflow.EventAction.PLACEMENT_RECORDED,
            from_status=request.status,
            payload={
                "placement_id": placement.pk,
                "establishment_id": establishment.pk if establishment else None,
                "sen_setting": sen_setting,
                "rank": rank,
                "entry_on": entry_on,
                "leaving_on": leaving_on,
            },
        )
    return placement
