"""A partial index for the triage queue's order over open requests (index only; docs/benchmarks.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0003_advice_received_on"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assessmentrequest",
            index=models.Index(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "assessing",
                            "awaiting_decision",
                            "awaiting_issue_decision",
                            "draft_issued",
                            "drafting",
                            "evaluating",
                            "received",
                        ],
                    )
                ),
                fields=["next_deadline_on", "received_on", "id"],
                name="request_open_queue",
            ),
        ),
    ]
