"""The annual cost in force on a day: the one question every figure asks of a contract's versions.

A contract's fees change over its life (annual fee reviews), so a deduction, a month's spend or a
provider's purchasing power is worked out from the version in force on the day in question, not
from the latest agreement (docs/domain.md §2.6). Two forms of the same rule
(``placements.workflow.version_in_force``):

- :func:`annual_cost_on` for one contract in Python;
- :func:`annual_cost_on_expression` / :func:`with_annual_cost_on` for many contracts in SQL (a
  correlated subquery, so a report stays one query).

A contract with no version rows at all (bulk-loaded history, written before versions existed)
has its agreed total in force from its start once its fees were agreed: both forms fall back to
``agreed_annual_cost_pence`` for such a contract. Reads only; versions are written by
``placements.services.versions``.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import Expression

from placements import workflow
from placements.models import PLACED, ContractVersion, PlacementContract

__all__ = [
    "annual_cost_on",
    "annual_cost_on_expression",
    "version_on",
    "versions_of",
    "with_annual_cost_on",
]


def versions_of(contract: PlacementContract | int) -> list[ContractVersion]:
    contract_id = contract if isinstance(contract, int) else contract.pk
    return list(ContractVersion.objects.filter(contract_id=contract_id).order_by("version_no"))


def version_on(contract: PlacementContract | int, day: date) -> ContractVersion | None:
    """The version in force on ``day`` (``None`` before the first, or with no versions)."""
    versions = versions_of(contract)
    facts = workflow.version_in_force([v.facts() for v in versions], day)
    if facts is None:
        return None
    return next(v for v in versions if v.version_no == facts.version_no)


def annual_cost_on(contract: PlacementContract, day: date) -> int | None:
    """The agreed annual cost (pence) in force on ``day`` for ``contract``, or ``None`` when no
    fee was in force (before the placement started, or fees never agreed)."""
    versions = [v.facts() for v in versions_of(contract)]
    if versions:
        return workflow.annual_cost_in_force(versions, day)
    if contract.status in PLACED and day >= contract.start_on:
        return contract.agreed_annual_cost_pence
    return None


def annual_cost_on_expression(day: date, *, contract: str = "pk") -> Expression:
    """An SQL expression for the annual cost in force on ``day`` of the contract whose id is the
    outer query's ``contract`` column (``"pk"`` on a contract queryset; ``"contracts__pk"`` from
    providers). NULL when no fee was in force, as :func:`annual_cost_on`."""
    prefix = "" if contract == "pk" else contract.removesuffix("pk")
    in_force = (
        ContractVersion.objects.filter(contract_id=OuterRef(contract), effective_from__lte=day)
        .order_by("-effective_from")
        .values("annual_cost_pence")[:1]
    )
    has_versions = Exists(ContractVersion.objects.filter(contract_id=OuterRef(contract)))
    placed_since = Q(**{f"{prefix}status__in": PLACED, f"{prefix}start_on__lte": day})
    return Case(
        When(has_versions, then=Subquery(in_force, output_field=IntegerField())),
        When(placed_since, then=F(f"{prefix}agreed_annual_cost_pence")),
        default=Value(None),
        output_field=IntegerField(),
    )


def with_annual_cost_on(queryset: QuerySet[PlacementContract], day: date) -> QuerySet[PlacementContract]:
    """``queryset`` with ``annual_cost_on_day`` (pence, or NULL) annotated on each contract."""
    return queryset.annotate(annual_cost_on_day=annual_cost_on_expression(day))
