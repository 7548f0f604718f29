"""The placements' part of anonymising a child's case file under the retention schedule
(``settings.RETENTION_ANONYMISERS``; docs/retention.md): every row and figure stays (costs,
attendance, deductions), the free text goes: why a placement ended, cost-line descriptions, the
negotiation's notes, why a deduction was waived, and the timeline's notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, Value, When

from placements.models import CostLine, Deduction, NegotiationRound, PlacementContract, PlacementEvent
from requests_app.retention import REMOVED


def _removed_unless_empty(field: str) -> Case:
    return Case(When(**{field: ""}, then=Value("")), default=Value(REMOVED))


def anonymise_child(child: Any, *, now: datetime) -> None:
    contracts = PlacementContract.objects.filter(child_id=child.pk)
    contract_ids = set(contracts.values_list("pk", flat=True))
    if not contract_ids:
        return
    contracts.update(status_reason=_removed_unless_empty("status_reason"))
    CostLine.objects.filter(contract_id__in=contract_ids).update(description="")
    NegotiationRound.objects.filter(contract_id__in=contract_ids).update(notes="")
    Deduction.objects.filter(attendance_return__contract_id__in=contract_ids).update(
        waived_reason=_removed_unless_empty("waived_reason")
    )
    PlacementEvent.objects.filter(contract_id__in=contract_ids).redact_for_retention(note="")
