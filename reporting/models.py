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

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

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


# --- Figures that stay true (issue 16): recomputations a manager asks for from the dashboard ---


class RecomputeJob(models.Model):
    """A recomputation of a range of months asked for from the dashboard, run by a Celery job
    (``reports.recompute_job``) that records its progress here, month by month."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    from_month = models.DateField(help_text="The first day of the first month")
    to_month = models.DateField(help_text="The first day of the last month")
    district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="The page's district"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    months_total = models.PositiveIntegerField(default=0)
    months_done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="recomputejob_status_valid"
            ),
            models.CheckConstraint(condition=Q(from_month__lte=models.F("to_month")), name="recomputejob_range_order"),
            models.CheckConstraint(
                condition=Q(months_done__lte=models.F("months_total")), name="recomputejob_progress_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"Recompute {self.from_month:%Y-%m} to {self.to_month:%Y-%m} ({self.status})"

    @property
    def percent_done(self) -> int:
        return 100 * self.months_done // self.months_total if self.months_total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


# --- Published statistics (issue 16): DfE's LA-level EHC plan figures, loaded by a command ---------


class PublishedEhcpFigures(models.Model):
    """One area's published annual figures from DfE's "Education, health and care plans"
    release (England, a region, or a local authority), loaded by ``load_published_ehcp_stats``.
    Counts only: every rate is worked out from them. A count DfE suppressed is empty."""

    class Level(models.TextChoices):
        NATIONAL = "national", "England"
        REGIONAL = "regional", "Region"
        LOCAL_AUTHORITY = "local_authority", "Local authority"

    year = models.PositiveSmallIntegerField(help_text="Calendar year (the release's time_period)")
    level = models.CharField(max_length=16, choices=Level.choices)
    area_code = models.CharField(max_length=12, help_text="3-digit LA number, a region code, or E92000001")
    area_name = models.CharField(max_length=100)
    requests_received = models.PositiveIntegerField(null=True, blank=True)
    requests_refused = models.PositiveIntegerField(null=True, blank=True)
    plans_issued = models.PositiveIntegerField(null=True, blank=True)
    plans_issued_within_20_weeks = models.PositiveIntegerField(null=True, blank=True)
    plans_issued_excluding_exceptions = models.PositiveIntegerField(null=True, blank=True)
    plans_issued_within_20_weeks_excluding_exceptions = models.PositiveIntegerField(null=True, blank=True)
    source_file = models.CharField(max_length=200)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["year", "level", "area_code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "area_code"], name="publishedehcp_unique_year_area"),
            models.CheckConstraint(
                condition=Q(level__in=["national", "regional", "local_authority"]), name="publishedehcp_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_name} {self.year} (published)"


# --- The committee report (issue 16): each saved edition of a month's commentary -------------------


class ReportEdition(models.Model):
    """A version of a month's committee report: the commentary on each section, who prepared
    it and when. Append-only: saving again adds the next version, so an earlier version that
    went to a committee is kept as it was."""

    month = models.DateField(help_text="The first day of the month reported")
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Empty: all districts"
    )
    version = models.PositiveIntegerField()
    commentary = models.JSONField(default=dict, help_text="Commentary by section key")
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "district_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "version"], condition=Q(district__isnull=True), name="reportedition_unique_all"
            ),
            models.UniqueConstraint(
                fields=["month", "district", "version"],
                condition=Q(district__isnull=False),
                name="reportedition_unique_district",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="reportedition_version_from_1"),
        ]

    def __str__(self) -> str:
        return f"Report {self.month:%Y-%m} v{self.version} ({self.district_id or 'all districts'})"


# Longer than the drawing task's hard time limit (reporting.tasks.REPORT_PDF_LIMIT, 10 minutes).
REPORT_PDF_STUCK_SECONDS = 15 * 60


class ReportPdf(models.Model):
    """The PDF of one version of the committee report (``ReportEdition``), drawn once by the
    worker (``reports.report_pdf``) and kept as a file, so the version that went to a committee
    downloads as the same bytes every time. The file is in the ``documents`` storage under a
    random key, with its SHA-256 and size; the figures in it are those stored when it was
    drawn (``rendered_at``). It holds the aggregate report only: no case list (the annex is
    separate and never stored)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Being prepared"
        RUNNING = "running", "Being prepared"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    edition = models.OneToOneField(ReportEdition, on_delete=models.PROTECT, related_name="pdf")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True, help_text="When the file was drawn")
    attempts = models.PositiveSmallIntegerField(default=0)
    storage_key = models.CharField(max_length=200, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size = models.PositiveIntegerField(default=0, help_text="Bytes")
    failure = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="reportpdf_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(sha256__regex=r"^[0-9a-f]{64}$") & Q(size__gt=0)),
                name="reportpdf_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"PDF of {self.edition} ({self.status})"

    @property
    def ready(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def stuck(self) -> bool:
        """Running for longer than the task may run (its worker was killed): may be asked again."""
        return (
            self.status == self.Status.RUNNING
            and self.started_at is not None
            and self.started_at < timezone.now() - timedelta(seconds=REPORT_PDF_STUCK_SECONDS)
        )

    @property
    def filename(self) -> str:
        edition = self.edition
        scope = f"district-{edition.district_id}" if edition.district_id else "all-districts"
        return f"report-{edition.month:%Y-%m}-{scope}-v{edition.version}.pdf"
