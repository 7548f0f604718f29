"""Changes to the council's own reference data: its identity, districts and establishments.

Every function here is the one door for its change: the admin, the management commands and the
tests all call it (docs/architecture.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from core.gias import GiasRow
from core.models import Council, District, Establishment

logger = logging.getLogger(__name__)

# Written on every load, so a re-run updates each establishment in place (keyed by URN).
GIAS_FIELDS: tuple[str, ...] = (
    "name",
    "type_group",
    "phase",
    "district",
    "s41_approved",
    "is_open",
    "status",
    "la_code",
    "gias_type_code",
    "ukprn",
    "postcode",
    "opened_on",
    "closed_on",
    "sen_provision",
    "has_sen_unit",
    "has_resourced_provision",
)
# Loaded only from a file that has the Ofsted columns (GIAS dropped them in April 2025): a newer
# file leaves what an older one, or the placements team, recorded.
OFSTED_FIELDS: tuple[str, ...] = ("ofsted_grade", "ofsted_inspected_on")
BATCH = 2_000


def council_set(*, name: str, la_number: str, districts: Sequence[str] = ()) -> Council:
    """Set the council's name and DfE LA number (one row) and add any districts not yet known."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("Enter the council's name")
    if not (len(la_number) == 3 and la_number.isascii() and la_number.isdigit()):
        raise ValueError(f"The LA number must be 3 digits, for example 886 (got '{la_number}')")
    with transaction.atomic():
        council, _ = Council.objects.select_for_update().update_or_create(
            singleton=True, defaults={"name": name, "la_number": la_number}
        )
        for district in districts:
            district_add(name=district)
    logger.info("council set: LA %s, %d districts named", la_number, len(districts))
    return council


def district_add(*, name: str) -> District:
    """A district of the council (found by name, ignoring case and spacing, or created)."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("Enter the district's name")
    if len(name) > District._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValueError(f"The district's name is longer than {District._meta.get_field('name').max_length} characters")
    existing = District.objects.filter(name__iexact=name).first()
    return existing or District.objects.create(name=name)


@dataclass(frozen=True)
class LoadSummary:
    created: int
    updated: int
    with_district: int


def establishments_load(*, rows: Sequence[GiasRow], with_ofsted: bool = False) -> LoadSummary:
    """Create or update (by URN) every establishment in ``rows``, in one transaction.

    The district is the council's district whose name matches GIAS's ``DistrictAdministrative``;
    establishments elsewhere have none. Closed establishments stay (old records point at them)
    but are no longer offered for new records (``Establishment.objects.open()``). The Ofsted
    grade and date are written only ``with_ofsted`` (the file has those columns).
    """
    districts = {district.name.casefold(): district for district in District.objects.all()}
    with transaction.atomic():
        existing = set(Establishment.objects.filter(urn__in=[row.urn for row in rows]).values_list("urn", flat=True))
        objects = [
            Establishment(
                urn=row.urn,
                name=row.name,
                type_group=row.type_group,
                phase=row.phase,
                district=districts.get(row.district_name.casefold()),
                s41_approved=row.s41_approved,
                is_open=row.is_open,
                status=row.status,
                la_code=row.la_code,
                gias_type_code=row.type_code,
                ukprn=row.ukprn,
                postcode=row.postcode,
                opened_on=row.opened_on,
                closed_on=row.closed_on,
                sen_provision=",".join(row.sen_provision),
                has_sen_unit=row.has_sen_unit,
                has_resourced_provision=row.has_resourced_provision,
                ofsted_grade=row.ofsted_grade,
                ofsted_inspected_on=row.ofsted_inspected_on,
            )
            for row in rows
        ]
        for start in range(0, len(objects), BATCH):
            Establishment.objects.bulk_create(
                objects[start : start + BATCH],
                update_conflicts=True,
                unique_fields=["urn"],
                update_fields=[*GIAS_FIELDS, *(OFSTED_FIELDS if with_ofsted else ())],
            )
    summary = LoadSummary(
        created=len(rows) - len(existing),
        updated=len(existing),
        with_district=sum(1 for o in objects if o.district is not None),
    )
    logger.info("establishments loaded: %d created, %d updated", summary.created, summary.updated)
    return summary
