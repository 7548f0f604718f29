"""The commissioning record for an independent or non-maintained special school or college."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.models import Establishment, EstablishmentType, OfstedGrade
from placements import workflow
from placements.models import (
    PlacementEventAction,
    Provider,
)
from placements.services.common import (
    Errors,
    add_error,
    fail,
    parse_amount,
    parse_choice,
    pk_of,
    require_manage,
    write_event,
)

__all__ = [
    "provider_upsert",
]

# --- Providers -----------------------------------------------------------------------------------


def provider_upsert(
    *,
    actor: Any,
    establishment: Establishment | int,
    procurement_route: str,
    framework_lot: str = "",
    fee_bands: str = "",
    fee_min_annual_pence: int | None = None,
    fee_max_annual_pence: int | None = None,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    notes: str = "",
    ofsted_grade: str | None = None,
    ofsted_inspected_on: date | None = None,
    s41_approved: bool | None = None,
) -> Provider:
    """Add the commissioning record for an independent or non-maintained special school (or a
    specialist post-16 institution), or replace an existing one's details.

    ``ofsted_grade`` (with ``ofsted_inspected_on``; blank for not known) and ``s41_approved``,
    when given, replace what the establishment holds (loaded from GIAS while GIAS published it,
    recorded here since); the event keeps the values before and after."""
    require_manage(actor)
    with transaction.atomic():
        errors: Errors = {}
        found = Establishment.objects.filter(pk=pk_of(establishment)).first()
        if found is None:
            add_error(errors, "establishment", "Select the school or college")
        elif found.type_group not in EstablishmentType.independent_or_non_maintained():
            add_error(
                errors,
                "establishment",
                "Only an independent special school, non-maintained special school or specialist post-16 "
                "institution can be a provider",
            )
        parse_choice(
            errors, "procurement_route", procurement_route, workflow.ProcurementRoute, "Select the procurement route"
        )
        low = parse_amount(errors, "fee_min_annual_pence", fee_min_annual_pence)
        high = parse_amount(errors, "fee_max_annual_pence", fee_max_annual_pence)
        if low is not None and high is not None and high < low:
            add_error(errors, "fee_max_annual_pence", "The highest fee cannot be less than the lowest fee")
        if contact_email.strip():
            try:
                validate_email(contact_email.strip())
            except ValidationError:
                add_error(
                    errors, "contact_email", "Enter an email address in the correct format, like name@example.com"
                )
        if ofsted_grade is not None:
            if ofsted_grade not in ("", *OfstedGrade.values):
                add_error(errors, "ofsted_grade", "Select the Ofsted grade, or not known")
            elif ofsted_grade and ofsted_inspected_on is None:
                add_error(errors, "ofsted_inspected_on", "Enter the date of the inspection that gave the grade")
            elif not ofsted_grade and ofsted_inspected_on is not None:
                add_error(errors, "ofsted_grade", "Select the grade the inspection gave, or remove the date")
            elif ofsted_inspected_on is not None and ofsted_inspected_on > timezone.localdate():
                add_error(errors, "ofsted_inspected_on", "The inspection date must be today or in the past")
        fail(errors)
        assert found is not None
        inspection_before = {
            "ofsted_grade": found.ofsted_grade,
            "ofsted_inspected_on": found.ofsted_inspected_on.isoformat() if found.ofsted_inspected_on else None,
            "s41_approved": found.s41_approved,
        }
        if ofsted_grade is not None or s41_approved is not None:
            found = Establishment.objects.select_for_update().get(pk=found.pk)
            if ofsted_grade is not None:
                found.ofsted_grade = ofsted_grade
                found.ofsted_inspected_on = ofsted_inspected_on if ofsted_grade else None
            if s41_approved is not None:
                found.s41_approved = s41_approved
            found.save(update_fields=["ofsted_grade", "ofsted_inspected_on", "s41_approved"])
        inspection_after = {
            "ofsted_grade": found.ofsted_grade,
            "ofsted_inspected_on": found.ofsted_inspected_on.isoformat() if found.ofsted_inspected_on else None,
            "s41_approved": found.s41_approved,
        }
        values = {
            "procurement_route": procurement_route,
            "framework_lot": framework_lot.strip(),
            "fee_bands": fee_bands.strip(),
            "fee_min_annual_pence": low,
            "fee_max_annual_pence": high,
            "contact_name": contact_name.strip(),
            "contact_email": contact_email.strip(),
            "contact_phone": contact_phone.strip(),
            "notes": notes.strip(),
        }
        provider = Provider.objects.select_for_update().filter(establishment=found).first()
        created = provider is None
        if provider is None:
            provider = Provider.objects.create(establishment=found, **values)
        else:
            for name, value in values.items():
                setattr(provider, name, value)
            provider.save()
        write_event(
            actor=actor,
            action=PlacementEventAction.PROVIDER_CREATED if created else PlacementEventAction.PROVIDER_UPDATED,
            provider=provider,
            payload={
                "provider_id": provider.pk,
                "establishment_id": found.pk,
                "procurement_route": procurement_route,
                **(
                    {"inspection": {"before": inspection_before, "after": inspection_after}}
                    if inspection_after != inspection_before
                    else {}
                ),
            },
        )
    return provider
