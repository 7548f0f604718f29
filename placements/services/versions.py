"""Writing contract versions (docs/domain.md §2.6). Called by the contract and fee review
services inside their transactions, with the contract row already locked; reads are in
``placements.versions``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Max
from django.utils import timezone

from placements.models import ContractVersion, CostLine, FeeReview, PlacementContract, PlacementEventAction
from placements.services.common import write_event

__all__ = ["lines_snapshot", "version_add", "version_sync_variation"]


def lines_snapshot(contract: PlacementContract) -> list[dict[str, Any]]:
    """The contract's agreed cost lines as they stand, for the version's record."""
    return [
        {
            "cost_line_id": line.pk,
            "category": line.category,
            "description": line.description,
            "period": line.period,
            "periods_per_year": line.periods_per_year,
            "quoted_amount_pence": line.quoted_amount_pence,
            "agreed_amount_pence": line.agreed_amount_pence,
            "agreed_annual_pence": line.agreed_annual_pence or 0,
        }
        for line in CostLine.objects.filter(contract=contract).order_by("pk")
    ]


def version_add(
    *,
    actor: Any,
    contract: PlacementContract,
    effective_from: date,
    annual_cost_pence: int,
    requested_annual_cost_pence: int,
    fee_review: FeeReview | None = None,
) -> ContractVersion:
    """Add the next version (the caller holds the contract's lock and has checked the date with
    ``workflow.version_date_problems``), and write its event."""
    last = ContractVersion.objects.filter(contract=contract).aggregate(n=Max("version_no"))["n"] or 0
    version = ContractVersion.objects.create(
        contract=contract,
        version_no=last + 1,
        effective_from=effective_from,
        annual_cost_pence=annual_cost_pence,
        requested_annual_cost_pence=requested_annual_cost_pence,
        lines=lines_snapshot(contract),
        panel_decision_id=contract.panel_decision_id,
        fee_review=fee_review,
        created_by=actor,
        created_at=timezone.now(),
    )
    write_event(
        actor=actor,
        action=PlacementEventAction.VERSION_ADDED,
        contract=contract,
        payload={
            "contract_id": contract.pk,
            "version_id": version.pk,
            "version_no": version.version_no,
            "effective_from": effective_from.isoformat(),
            "annual_cost_pence": annual_cost_pence,
            "requested_annual_cost_pence": requested_annual_cost_pence,
            "fee_review_id": fee_review.pk if fee_review else None,
        },
    )
    return version


def version_sync_variation(*, actor: Any, contract: PlacementContract) -> ContractVersion:
    """Fees agreed or varied on an active contract outside a fee review. With no version yet,
    this is the original agreement (version 1, from the start of the placement). Otherwise the
    change holds from today: a version starting today or later is amended, else a new version
    starts today (the days already past keep the fee they had)."""
    today = timezone.localdate()
    latest = ContractVersion.objects.filter(contract=contract).order_by("-version_no").first()
    if latest is None:
        return version_add(
            actor=actor,
            contract=contract,
            effective_from=contract.start_on,
            annual_cost_pence=contract.agreed_annual_cost_pence,
            requested_annual_cost_pence=contract.quoted_annual_cost_pence,
        )
    if latest.annual_cost_pence == contract.agreed_annual_cost_pence and latest.lines == lines_snapshot(contract):
        return latest
    if latest.effective_from >= today:
        latest.annual_cost_pence = contract.agreed_annual_cost_pence
        latest.lines = lines_snapshot(contract)
        latest.save(update_fields=["annual_cost_pence", "lines"])
        write_event(
            actor=actor,
            action=PlacementEventAction.VERSION_ADDED,
            contract=contract,
            payload={
                "contract_id": contract.pk,
                "version_id": latest.pk,
                "version_no": latest.version_no,
                "effective_from": latest.effective_from.isoformat(),
                "annual_cost_pence": latest.annual_cost_pence,
                "amended": True,
            },
        )
        return latest
    effective_from = max(today, contract.start_on)
    return version_add(
        actor=actor,
        contract=contract,
        effective_from=effective_from,
        annual_cost_pence=contract.agreed_annual_cost_pence,
        requested_annual_cost_pence=contract.quoted_annual_cost_pence,
    )
