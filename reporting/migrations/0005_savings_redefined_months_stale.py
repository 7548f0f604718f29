"""The negotiation savings figure no longer goes below zero (a fee review's uplift is its own
figure since the saving and the uplift were split, docs/domain.md): every month whose stored
figures hold a negative saving is marked stale, so the nightly job recomputes it and the
dashboard says so until then."""

from django.db import migrations
from django.utils import timezone

REASON = "Negotiation savings redefined: an uplift is no longer a negative saving"


def mark_negative_savings_stale(apps, schema_editor):  # type: ignore[no-untyped-def]
    MonthlyMetric = apps.get_model("dashboard", "MonthlyMetric")
    StaleMonth = apps.get_model("core", "StaleMonth")
    months = sorted(
        {
            metric.month.replace(day=1)
            for metric in MonthlyMetric.objects.only("month", "data").iterator()
            if ((metric.data or {}).get("placements_savings_pence") or 0) < 0
        }
    )
    now = timezone.now()
    for month in months:
        StaleMonth.objects.update_or_create(month=month, defaults={"marked_at": now, "reason": REASON})


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0004_report_pdf"),
        ("core", "0007_stale_month"),
    ]

    operations = [migrations.RunPython(mark_negative_savings_stale, migrations.RunPython.noop)]
