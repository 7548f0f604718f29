"""The commissioning record for an independent or non-maintained special school or college."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.models import Establishment, EstablishmentType
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
) -> Provider:
    """Add the commissioning record for an independent or non-maintained special school (or a
    specialist post-16 institution), or replace an existing one's details."""
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
        fail(errors)
        assert found is not None
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
            payload={"provider_id": provider.pk, "establishment_id": found.pk, "procurement_route": procurement_route},
        )
    return provider
