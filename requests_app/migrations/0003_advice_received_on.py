"""An index on AdviceRequest.received_on for the monthly metrics (index only; docs/benchmarks.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0002_event_action_panel_decision"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="advicerequest",
            index=models.Index(fields=["received_on"], name="advice_received_on"),
        ),
    ]
