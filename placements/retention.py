"""The placements' part of anonymising a child's case file under the retention schedule
(``settings.RETENTION_ANONYMISERS``; docs/retention.md): every row and figure stays (costs,
attendance, deductions, review dates and outcomes), the free text goes: why a placement ended
(or ended early), cost-line descriptions, the negotiation's notes, why a deduction was waived,
what a review expected and considered, and the timeline's notes. (Chasing a provider for its
returns is about the provider, not a child, and is left alone.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, Value, When

from placements.models import (
    CostLine,
    Deduction,
    NegotiationRound,
    PlacementContract,
    PlacementEvent,
    PlacementReview,
)
from requests_app.retention import REMOVED


def _removed_unless_empty(field: str) -> Case:
    return Case(When(**{field: ""}, then=Value("")), default=Value(REMOVED))


def anonymise_child(child: Any, *, now: datetime) -> None:
    contracts = PlacementContract.objects.filter(child_id=child.pk)
    contract_ids = set(contracts.values_list("pk", flat=True))
    if not contract_ids:
        return
    contracts.update(
        status_reason=_removed_unless_empty("status_reason"),
        early_end_reason=_removed_unless_empty("early_end_reason"),
    )
    PlacementReview.objects.filter(contract_id__in=contract_ids).update(
        expected_outcomes="", evidence=_removed_unless_empty("evidence")
    )
    CostLine.objects.filter(contract_id__in=contract_ids).update(description="")
    NegotiationRound.objects.filter(contract_id__in=contract_ids).update(notes="")
    Deduction.objects.filter(attendance_return__contract_id__in=contract_ids).update(
        waived_reason=_removed_unless_empty("waived_reason")
    )
    PlacementEvent.objects.filter(contract_id__in=contract_ids).redact_for_retention(note="")
