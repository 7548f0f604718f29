"""A child's record: possible duplicates of a child being entered, and moving a child (with
their requests) to another district."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q

from core.errors import NotPermitted, ValidationFailed
from core.models import District, Establishment, NeedType
from core.roles import Capability, user_can
from requests_app import workflow
from requests_app.models import AssessmentRequest, Child, Sex
from requests_app.services.common import add_error, fail, write_event


def find_duplicates(*, forename: str, surname: str, date_of_birth: date | None, upn: str = "") -> list[Child]:
    """Children who may be the one being entered: the same UPN, or the same date of birth and
    a similar name (same surname, or first names starting with the same three letters).
    Each comes with ``open_requests`` prefetched."""
    match = Q(pk__in=[])
    upn = (upn or "").strip().upper()
    if upn:
        match |= Q(upn=upn)
    if date_of_birth is not None:
        name = Q(surname__iexact=surname.strip())
        if forename.strip():
            name |= Q(forename__istartswith=forename.strip()[:3])
        match |= Q(date_of_birth=date_of_birth) & name
    open_requests = Prefetch("requests", queryset=AssessmentRequest.objects.open(), to_attr="open_requests")
    return list(Child.objects.filter(match).select_related("district").prefetch_related(open_requests))


_CHILD_FIELDS = {
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "upn",
    "postcode",
    "district",
    "current_establishment",
    "primary_need",
    "secondary_need",
    "legacy_ref",
}
_CHILD_REQUIRED = {
    "forename": "Enter the child's first name",
    "surname": "Enter the child's last name",
    "date_of_birth": "Enter the child's date of birth",
    "district": "Select the district the child lives in",
    "primary_need": "Select the child's primary need",
}


def child_build(data: Mapping[str, Any], *, today: date) -> Child:
    errors: dict[str, list[str]] = {}
    unknown = set(data) - _CHILD_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown child fields: {', '.join(sorted(unknown))}", field="child_data")
    for field, message in _CHILD_REQUIRED.items():
        if not data.get(field):
            add_error(errors, field, message)
    dob = data.get("date_of_birth")
    if isinstance(dob, date) and dob > today:
        add_error(errors, "date_of_birth", "The date of birth must be in the past")
    if data.get("sex", Sex.UNKNOWN) not in Sex.values:
        add_error(errors, "sex", "Select the child's sex")
    if data.get("primary_need") and data["primary_need"] not in NeedType.values:
        add_error(errors, "primary_need", "Select the child's primary need")
    if data.get("secondary_need") and data["secondary_need"] not in NeedType.values:
        add_error(errors, "secondary_need", "Select the child's secondary need")
    upn = str(data.get("upn") or "").strip().upper()
    if upn and (len(upn) != 13 or not upn.isalnum()):
        add_error(errors, "upn", "Enter a UPN of 13 letters and numbers, or leave it blank")
    fail(errors)

    values = {**data, "upn": upn, "postcode": str(data.get("postcode") or "").strip().upper()}
    for field, model in (("district", District), ("current_establishment", Establishment)):
        value = values.get(field)
        if value is not None and not isinstance(value, model):
            values[field] = model.objects.filter(pk=value).first()
            if values[field] is None:
                fail({field: [f"Select a valid {field.replace('_', ' ')}"]})
    child = Child(**values)
    try:
        child.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fail({field: [str(m) for m in messages] for field, messages in exc.message_dict.items()})
    if upn and Child.objects.filter(upn=upn).exists():
        fail({"upn": ["A child with this UPN is already recorded. Select that child instead"]})
    return child


def child_change_district(*, actor: Any, child: Child | int, district: District | int) -> Child:
    """Record that the child now lives in ``district``, and move every request of theirs with
    them, in one transaction: ``AssessmentRequest.district`` is a copy of the child's district
    (docs/decisions/0007-district-on-request.md) and must never disagree with it.

    Returns the child as saved. Moving to the district the child is already in changes nothing.
    """
    if not (user_can(actor, Capability.REQUEST_CREATE) or user_can(actor, Capability.ADMIN)):
        raise NotPermitted("You do not have permission to do this.")
    district_id = district.pk if isinstance(district, District) else district
    if not District.objects.filter(pk=district_id).exists():
        fail({"district": ["Select the district the child lives in"]})
    with transaction.atomic():
        # Lock the child first, then its requests (the order request_create locks in), so a
        # request created meanwhile either waits and copies the new district or is moved here.
        locked = Child.objects.select_for_update().get(pk=child.pk if isinstance(child, Child) else child)
        if locked.district_id == district_id:
            return locked
        previous = locked.district_id
        locked.district_id = district_id
        locked.save(update_fields=["district"])
        # A child holds a handful of requests: one timeline entry on each, as every change has.
        for request in AssessmentRequest.objects.select_for_update().filter(child=locked).order_by("pk"):
            request.district_id = district_id
            request.save(update_fields=["district", "updated_at"])
            write_event(
                request,
                actor=actor,
                action=workflow.EventAction.DISTRICT_CHANGED,
                from_status=request.status,
                payload={"from_district_id": previous, "to_district_id": district_id},
            )
    return locked
