"""Version 1 for every contract whose fees were agreed before versions existed: the original
agreement, in force from the start of the placement, at the stored agreed total and lines."""

from django.db import migrations

PLACED = ("active", "ended")


def _lines(CostLine, contract_id):
    rows = []
    for line in CostLine.objects.filter(contract_id=contract_id).order_by("pk"):
        periods = 1 if line.period == "year" else line.periods_per_year
        agreed = line.agreed_amount_pence
        rows.append(
            {
                "cost_line_id": line.pk,
                "category": line.category,
                "description": line.description,
                "period": line.period,
                "periods_per_year": line.periods_per_year,
                "quoted_amount_pence": line.quoted_amount_pence,
                "agreed_amount_pence": agreed,
                "agreed_annual_pence": (agreed or 0) * periods,
            }
        )
    return rows


def forwards(apps, schema_editor):
    PlacementContract = apps.get_model("placements", "PlacementContract")
    PlacementEvent = apps.get_model("placements", "PlacementEvent")
    ContractVersion = apps.get_model("placements", "ContractVersion")
    CostLine = apps.get_model("placements", "CostLine")
    # Agreed at some time: placed now, or reopened for negotiation after an agreement.
    agreed_once = PlacementEvent.objects.filter(action="agree").values("contract_id")
    contracts = PlacementContract.objects.filter(status__in=PLACED) | PlacementContract.objects.filter(
        pk__in=agreed_once
    )
    for contract in contracts.exclude(versions__isnull=False).distinct().iterator():
        ContractVersion.objects.create(
            contract_id=contract.pk,
            version_no=1,
            effective_from=contract.start_on,
            annual_cost_pence=contract.agreed_annual_cost_pence,
            requested_annual_cost_pence=contract.quoted_annual_cost_pence,
            lines=_lines(CostLine, contract.pk),
            panel_decision_id=contract.panel_decision_id,
            created_by_id=contract.created_by_id,
            created_at=contract.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [("placements", "0005_contract_versions_and_fee_reviews")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
