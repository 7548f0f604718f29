"""The people on a child's case file: parents and carers, the young person, professionals.

Contacts belong to the child (they outlast one request); each change is made from a request's
page and written on that request's timeline as a ``contact_changed`` event (ids and codes only,
never a name or an address)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ValidationFailed
from core.models import Establishment
from core.roles import Capability
from requests_app import contacts as rules
from requests_app.models import AssessmentRequest
from requests_app.people_models import AccessibleFormat, Contact, PreferredContact
from requests_app.services.common import add_error, fail, lock_request, require, write_event

CONTACT_FIELDS = (
    "kind",
    "name",
    "relationship",
    "parental_responsibility",
    "lacks_capacity",
    "professional_role",
    "organisation",
    "address",
    "postcode",
    "email",
    "phone",
    "preferred_contact",
    "language",
    "interpreter_needed",
    "accessible_format",
    "establishment",
)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a contact's fields; messages name the field (UK English)."""
    errors: dict[str, list[str]] = {}
    data = {name: values.get(name) for name in CONTACT_FIELDS if name in values}
    for text in ("name", "relationship", "organisation", "address", "postcode", "email", "phone", "language"):
        data[text] = str(data.get(text) or "").strip()
    for flag in ("parental_responsibility", "lacks_capacity", "interpreter_needed"):
        data[flag] = bool(data.get(flag))
    kind = str(data.get("kind") or "")
    if kind not in rules.ContactKind.__members__.values():
        add_error(errors, "kind", "Select who this person is")
    if not data["name"]:
        add_error(errors, "name", "Enter the person's name")
    role = str(data.get("professional_role") or "")
    if kind == rules.ContactKind.PROFESSIONAL:
        if role not in rules.ProfessionalRole.__members__.values():
            add_error(errors, "professional_role", "Select the professional's role")
        if not data["organisation"]:
            add_error(errors, "organisation", "Enter the organisation the professional belongs to")
        data["parental_responsibility"] = False
    else:
        role = ""
    data["professional_role"] = role
    if kind != rules.ContactKind.PARENT:
        data["parental_responsibility"] = False
    if kind != rules.ContactKind.YOUNG_PERSON:
        data["lacks_capacity"] = False
    if data["email"]:
        try:
            validate_email(data["email"])
        except DjangoValidationError:
            add_error(errors, "email", "Enter an email address in the correct format, like name@example.com")
    preferred = str(data.get("preferred_contact") or PreferredContact.EMAIL)
    if preferred not in PreferredContact.values:
        add_error(errors, "preferred_contact", "Select how the person prefers to be contacted")
    elif preferred == PreferredContact.EMAIL and not data["email"]:
        add_error(errors, "email", "Enter an email address, or choose post as the preferred way of contact")
    elif preferred == PreferredContact.POST and not data["address"]:
        add_error(errors, "address", "Enter a postal address: this person asked for letters by post")
    data["preferred_contact"] = preferred
    fmt = str(data.get("accessible_format") or "")
    if fmt not in AccessibleFormat.values:
        add_error(errors, "accessible_format", "Select an accessible format from the list")
    data["accessible_format"] = fmt
    data["establishment"] = _setting(values, kind=kind, role=role, errors=errors)
    fail(errors)
    return data


def _setting(values: dict[str, Any], *, kind: str, role: str, errors: dict[str, list[str]]) -> Establishment | None:
    """The school or setting a head teacher or SENCO works at, from ``setting_urn`` (blank: none);
    without ``setting_urn`` (a change that leaves it alone) the one already recorded."""
    school_role = kind == rules.ContactKind.PROFESSIONAL and role in (
        rules.ProfessionalRole.HEAD_TEACHER,
        rules.ProfessionalRole.SENCO,
    )
    if "setting_urn" not in values:
        current = values.get("establishment")
        return current if school_role and isinstance(current, Establishment) else None
    urn = str(values.get("setting_urn") or "").strip()
    if not urn:
        return None
    if not school_role:
        add_error(errors, "setting_urn", "Leave the setting's URN blank: only a head teacher or SENCO works at one")
        return None
    if not urn.isdigit() or len(urn) > 7:
        add_error(errors, "setting_urn", "Enter the setting's URN as up to 7 digits, like 118236")
        return None
    found = Establishment.objects.filter(urn=int(urn)).first()
    if found is None:
        add_error(errors, "setting_urn", f"No school or setting with URN {urn} is loaded: check the number")
    return found


def _event(request: AssessmentRequest, *, actor: User, contact: Contact, change: str) -> None:
    write_event(
        request,
        actor=actor,
        action="contact_changed",
        from_status=request.status,
        payload={"contact_id": contact.pk, "kind": contact.kind, "change": change},
    )


def _save(contact: Contact) -> None:
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        # The only unique rule on a contact (contact_one_young_person).
        if contact.kind == rules.ContactKind.YOUNG_PERSON:
            raise ValidationFailed("The young person is already recorded on this child's file", field="kind") from exc
        raise


def contact_add(*, actor: User, request: AssessmentRequest | int, **values: Any) -> Contact:
    """Add a person to the child's case file (from one of the child's requests)."""
    require(actor, Capability.REQUEST_DECIDE)
    data = _clean(values)
    with transaction.atomic():
        request = lock_request(request)
        contact = Contact(child_id=request.child_id, **data)
        _save(contact)
        _event(request, actor=actor, contact=contact, change="added")
    return contact


def _locked_contact(request: AssessmentRequest, contact: Contact | int) -> Contact:
    pk = contact.pk if isinstance(contact, Contact) else contact
    try:
        return Contact.objects.select_for_update().get(pk=pk, child_id=request.child_id, removed_at__isnull=True)
    except Contact.DoesNotExist as exc:
        raise ValidationFailed("This person is not on the child's file", field="contact") from exc


def contact_update(*, actor: User, request: AssessmentRequest | int, contact: Contact | int, **values: Any) -> Contact:
    require(actor, Capability.REQUEST_DECIDE)
    with transaction.atomic():
        request = lock_request(request)
        row = _locked_contact(request, contact)
        current = {name: getattr(row, name) for name in CONTACT_FIELDS}
        data = _clean({**current, **values})
        for name, value in data.items():
            setattr(row, name, value)
        _save(row)
        _event(request, actor=actor, contact=row, change="updated")
    return row


def contact_remove(*, actor: User, request: AssessmentRequest | int, contact: Contact | int) -> Contact:
    """Take a person off the file. The row stays (letters were addressed to them)."""
    require(actor, Capability.REQUEST_DECIDE)
    with transaction.atomic():
        request = lock_request(request)
        row = _locked_contact(request, contact)
        row.removed_at = timezone.now()
        row.save(update_fields=["removed_at", "updated_at"])
        _event(request, actor=actor, contact=row, change="removed")
    return row
