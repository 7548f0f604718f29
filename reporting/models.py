"""Stored metric snapshots: one row per period and scope (all districts, or one district).

Rows are written only by ``reporting.services`` (update-or-create inside a
transaction), so a rerun replaces a row rather than adding one. ``data`` holds the counts keyed
by metric name, as the apps' report functions return them (``requests_app.reports``).

"All districts" is ``district = NULL``. A plain ``UniqueConstraint(month, district)`` would not
stop two all-district rows for a month: SQL treats NULLs as distinct, and PostgreSQL's NULLS
NOT DISTINCT needs version 15 and does not exist in SQLite. So each table has two partial
unique constraints, one for the all-district row and one for the district rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import District


def _unique_per_scope(period_field: str, prefix: str) -> list[models.UniqueConstraint]:
    return [
        models.UniqueConstraint(
            fields=[period_field], condition=Q(district__isnull=True), name=f"{prefix}_unique_all_districts"
        ),
        models.UniqueConstraint(
            fields=[period_field, "district"], condition=Q(district__isnull=False), name=f"{prefix}_unique_district"
        ),
    ]


class MonthlyMetric(models.Model):
    """A calendar month's figures (docs/domain.md §5), for all districts or one."""

    month = models.DateField(help_text="The first day of the month")
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Empty: all districts"
    )
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "district_id"]
        constraints = _unique_per_scope("month", "monthlymetric")

    def __str__(self) -> str:
        return f"Metrics {self.month:%Y-%m} ({self.district_id or 'all districts'})"


class AnnualMetric(models.Model):
    """A calendar year's figures on the DfE basis, for all districts or one."""

    year = models.PositiveSmallIntegerField()
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Empty: all districts"
    )
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["year", "district_id"]
        constraints = _unique_per_scope("year", "annualmetric")

    def __str__(self) -> str:
        return f"Metrics {self.year} ({self.district_id or 'all districts'})"


class BacklogSnapshot(models.Model):
    """The open work on a day. ``data`` holds the all-district figures and, under
    ``districts``, the same figures for each district keyed by district id."""

    on = models.DateField(unique=True)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-on"]

    def __str__(self) -> str:
        return f"Backlog on {self.on:%Y-%m-%d}"


# --- SEN2 return (docs/sen2.md) ------------------------------------------------------------------


class Sen2ReturnStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class Sen2Return(models.Model):
    """One SEN2 return built for a census date: the file itself, who asked for it and when, its
    validation report and its published figures beside the dashboard's (docs/sen2.md)."""

    census_date = models.DateField()
    status = models.CharField(max_length=10, choices=Sen2ReturnStatus.choices, default=Sen2ReturnStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # The XML file, kept in the database with its row (a county's return is a few megabytes).
    content = models.BinaryField(default=b"", blank=True)
    persons = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    query_count = models.PositiveIntegerField(default=0)
    # Findings, the case index (person -> child id and request ids), figures and the comparison.
    report = models.JSONField(default=dict, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Sen2ReturnStatus.values), name="sen2return_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="sen2return_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"SEN2 return for {self.census_date:%Y-%m-%d} ({self.status})"

    @property
    def filename(self) -> str:
        return f"sen2-{self.census_date:%Y-%m-%d}-{self.pk}.xml"
