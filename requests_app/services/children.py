"""A child's record: possible duplicates of a child being entered, and moving a child (with
their requests) to another district."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q

from core.errors import Conflict, NotPermitted, ValidationFailed
from core.models import District, Establishment, NeedType
from core.roles import Capability, user_can
from requests_app import matching, workflow
from requests_app.models import AssessmentRequest, Child, Sex
from requests_app.services.common import add_error, fail, write_event


class PossibleDuplicate(Conflict):
    """The child being entered may already be recorded (409): ``candidates`` are the children
    it may be, each with ``open_requests``. The caller shows them, then records the request for
    one of them, or again with ``confirmed_different_child=True``."""

    code = "possible_duplicate"

    def __init__(self, candidates: list[Child]):
        super().__init__(
            "This child may already be recorded. Check the possible matches, then select the child or "
            "confirm this is a different child.",
            field="child",
        )
        self.candidates = candidates


def check_not_duplicate(child_data: Mapping[str, Any]) -> None:
    """Raise :class:`PossibleDuplicate` if a recorded child may be the one ``child_data``
    describes (``find_duplicates``' rules)."""
    date_of_birth = child_data.get("date_of_birth")
    candidates = find_duplicates(
        forename=str(child_data.get("forename") or ""),
        surname=str(child_data.get("surname") or ""),
        date_of_birth=date_of_birth if isinstance(date_of_birth, date) else None,
        upn=str(child_data.get("upn") or ""),
    )
    if candidates:
        raise PossibleDuplicate(candidates)


def find_duplicates(*, forename: str, surname: str, date_of_birth: date | None, upn: str = "") -> list[Child]:
    """Children who may be the one being entered: the same UPN, or a date of birth from
    ``matching.birth_date_variants`` (itself, day and month transposed, a year either side) and
    names that ``matching.is_possible_match`` finds alike (familiar forms, hyphenated parts,
    Soundex, surname first); on the same date of birth, also the same surname or first names
    starting with the same three letters, as before. Each comes with ``open_requests`` prefetched.

    The database narrows by the indexed UPN and date of birth; the names are compared in Python
    by one pure matcher, so PostgreSQL and SQLite find the same children."""
    upn = (upn or "").strip().upper()
    match = Q(pk__in=[])
    if upn:
        match |= Q(upn=upn)
    if date_of_birth is not None:
        match |= Q(date_of_birth__in=matching.birth_date_variants(date_of_birth))
    entered = matching.Candidate(forename.strip(), surname.strip(), date_of_birth)
    wanted = [
        pk
        for pk, child_upn, child_forename, child_surname, child_dob in Child.objects.filter(match)
        .order_by()
        .values_list("pk", "upn", "forename", "surname", "date_of_birth")
        if (upn and child_upn == upn)
        or _same_day_similar_name(entered, child_forename, child_surname, child_dob)
        or matching.is_possible_match(entered, matching.Candidate(child_forename, child_surname, child_dob))
    ]
    open_requests = Prefetch("requests", queryset=AssessmentRequest.objects.open(), to_attr="open_requests")
    return list(
        Child.objects.filter(pk__in=wanted)
        .select_related("district")
        .prefetch_related(open_requests)
        .order_by("surname", "forename", "pk")
    )


def _same_day_similar_name(entered: matching.Candidate, forename: str, surname: str, dob: date) -> bool:
    """The earlier rule, kept: the same date of birth and the same surname, or first names that
    start with the same three letters."""
    if entered.date_of_birth != dob:
        return False
    if entered.surname and surname.lower() == entered.surname.lower():
        return True
    return bool(entered.forename) and forename.lower().startswith(entered.forename[:3].lower())


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


def child_change_district(*, actor: User, child: Child | int, district: District | int) -> Child:
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
