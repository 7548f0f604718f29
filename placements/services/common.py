"""What every placements service shares: the permission guard, the contract lock, input
checks that collect errors by field, the event row and the panel ceiling on the stored totals."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from core.errors import InvalidTransition, NotPermitted, ValidationFailed
from core.roles import Capability, user_can
from panels.models import PanelDecision
from placements import workflow
from placements.models import (
    CostLine,
    PlacementContract,
    PlacementEvent,
    PlacementEventAction,
    Provider,
)
from placements.workflow import ContractStatus

__all__ = [
    "add_error",
    "CEILING_STATUSES",
    "check_action",
    "contract_payload",
    "Errors",
    "fail",
    "lock_contract",
    "long_date",
    "MAX_ANNUAL_PENCE",
    "panel_ceiling",
    "parse_amount",
    "parse_choice",
    "parse_percent",
    "pk_of",
    "refresh_totals",
    "require_manage",
    "write_event",
]

# The largest annual total the contract's columns hold (PositiveIntegerField on PostgreSQL).
MAX_ANNUAL_PENCE = 2_147_483_647
# Statuses in which the agreed total is bound by the panel's ceiling.
CEILING_STATUSES = frozenset({ContractStatus.NEGOTIATING, ContractStatus.ACTIVE})

Errors = dict[str, list[str]]


# --- Guards and helpers --------------------------------------------------------------------------


def require_manage(actor: Any) -> None:
    if not user_can(actor, Capability.PLACEMENT_MANAGE):
        raise NotPermitted("You do not have permission to do this.")


def fail(errors: Mapping[str, list[str]]) -> None:
    """Raise one ValidationFailed carrying every field's messages (the first is the summary)."""
    if errors:
        name, messages = next(iter(errors.items()))
        raise ValidationFailed(messages[0], field=name, errors=dict(errors))


def add_error(errors: Errors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def pk_of(value: Any) -> int:
    return int(value.pk if hasattr(value, "pk") else value)


def lock_contract(contract: PlacementContract | int) -> PlacementContract:
    """Re-read the contract inside the transaction and hold its row until commit."""
    return PlacementContract.objects.select_for_update().get(pk=pk_of(contract))


def check_action(contract: PlacementContract, action: workflow.Action) -> workflow.Transition:
    try:
        return workflow.check_transition(contract.status, action)
    except workflow.TransitionError as exc:
        raise InvalidTransition(exc.message) from exc


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def parse_amount(errors: Errors, name: str, value: Any, *, required: bool = False) -> int | None:
    """A whole number of pence, not negative."""
    if value is None or value == "":
        if required:
            add_error(errors, name, "Enter an amount")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        add_error(errors, name, "Enter the amount in whole pence")
        return None
    if value < 0:
        add_error(errors, name, "The amount cannot be negative")
        return None
    return int(value)


def parse_choice(errors: Errors, name: str, value: Any, enum_cls: type[enum.StrEnum], message: str) -> str:
    if value not in {member.value for member in enum_cls}:
        add_error(errors, name, message)
        return ""
    return str(value)


def parse_percent(errors: Errors, name: str, value: Any, *, what: str) -> Decimal | None:
    """A percentage greater than 0 and at most 100, to at most 2 decimal places."""
    if value is None or value == "":
        add_error(errors, name, f"Enter the {what}")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        add_error(errors, name, f"Enter the {what} as a number, like 90 or 92.5")
        return None
    if not number.is_finite() or number <= 0 or number > 100:
        add_error(errors, name, f"The {what} must be more than 0% and no more than 100%")
        return None
    if number != number.quantize(Decimal("0.01")):
        add_error(errors, name, f"Enter the {what} to no more than 2 decimal places")
        return None
    return number.quantize(Decimal("0.01"))


def write_event(
    *,
    actor: Any,
    action: PlacementEventAction,
    contract: PlacementContract | None = None,
    provider: Provider | None = None,
    from_status: str = "",
    to_status: str = "",
    payload: dict[str, Any] | None = None,
    note: str = "",
) -> PlacementEvent:
    """Write the event for a change. Payload: ids, codes, dates and amounts; never names."""
    return PlacementEvent.objects.create(
        contract=contract,
        provider=provider,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action.value,
        from_status=from_status,
        to_status=to_status,
        occurred_at=timezone.now(),
        payload=payload or {},
        note=note,
    )


def panel_ceiling(contract: PlacementContract) -> int:
    # An approval always carries a ceiling (panel_decision_ceiling_iff_approved).
    ceiling = PanelDecision.objects.values_list("agreed_annual_ceiling_pence", flat=True).get(
        pk=contract.panel_decision_id
    )
    return int(ceiling or 0)


def refresh_totals(contract: PlacementContract) -> None:
    """Recompute the stored quoted and agreed annual totals from the cost lines, and hold the
    agreed total to the panel's ceiling while the contract is negotiating or active."""
    quoted, agreed = workflow.totals(line.facts() for line in CostLine.objects.filter(contract=contract))
    if max(quoted, agreed) > MAX_ANNUAL_PENCE:
        # The stored totals are 32-bit integers on PostgreSQL: refuse, do not crash.
        raise ValidationFailed(
            "The annual cost is too large; check the amounts and periods", field="quoted_amount_pence"
        )
    contract.quoted_annual_cost_pence = quoted
    contract.agreed_annual_cost_pence = agreed
    contract.save(update_fields=["quoted_annual_cost_pence", "agreed_annual_cost_pence", "updated_at"])
    if ContractStatus(contract.status) in CEILING_STATUSES:
        ceiling = panel_ceiling(contract)
        if agreed > ceiling:
            # Raised inside the caller's transaction: the line change is rolled back.
            raise ValidationFailed(workflow.ceiling_message(agreed, ceiling), field="agreed")


def contract_payload(contract: PlacementContract, **extra: Any) -> dict[str, Any]:
    return {
        "contract_id": contract.pk,
        "quoted_annual_cost_pence": contract.quoted_annual_cost_pence,
        "agreed_annual_cost_pence": contract.agreed_annual_cost_pence,
        **extra,
    }
