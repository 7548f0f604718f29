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
