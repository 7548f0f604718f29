"""The metrics API: the stored monthly, annual and backlog figures (read-only).

Served from the snapshots the jobs store (never computed on demand). A month with no snapshot
is left out of the monthly list, so a gap in ``month`` values means "not computed yet"; an
annual or backlog request with no snapshot answers 404. Reports role only (REPORTS_VIEW).

Every read here runs inside ``reporting_reads()``: on the reporting replica when one is
configured (``core.db_router``), on the primary otherwise.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import limits
from core.api import HasCapability
from core.db_router import reporting_reads
from core.errors import ReferenceNotFound
from core.models import District
from core.roles import Capability
from reporting import figures
from reporting import sources as roof_sources
from reporting.models import BacklogSnapshot

MONTH_PATTERN = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
YEAR_PATTERN = r"^(19|20)\d{2}$"
# A real day from 1900 to 2099, leap years included: the schema states every date it accepts.
DATE_PATTERN = limits.BOUNDED_DATE


# --- Query parameters --------------------------------------------------------------------------


def _param(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise ValidationError({name: [f"Enter {name}"]})
    return value


def parse_month(value: str, name: str) -> date:
    if not re.match(MONTH_PATTERN, value):
        raise ValidationError({name: [f"{name} must be a month as YYYY-MM, for example 2025-01"]})
    return date(int(value[:4]), int(value[5:7]), 1)


def parse_year(value: str, name: str = "year") -> int:
    if not re.match(YEAR_PATTERN, value):
        raise ValidationError({name: [f"{name} must be a year as YYYY, for example 2025"]})
    return int(value)


def parse_date(value: str, name: str = "date") -> date:
    try:
        if not re.match(DATE_PATTERN, value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: [f"{name} must be a real date as YYYY-MM-DD, for example 2025-01-31"]}) from None


def _district(request: Request) -> District | None:
    name = request.query_params.get("district", "").strip()
    if not name:
        return None
    # No district's name holds a NUL (which PostgreSQL cannot even compare): not found.
    district = District.objects.filter(name__iexact=name).first() if "\x00" not in name else None
    if district is None:
        raise ReferenceNotFound(f"There is no district called {name!r}", field="district")
    return district


DISTRICT_PARAMETER = OpenApiParameter(
    "district",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="A district's name (case-insensitive); leave out for all districts.",
)


# --- Response shapes -----------------------------------------------------------------------------


class AdviceReturnedSerializer(serializers.Serializer[Any]):
    returned = serializers.IntegerField(help_text="Advice received in the month")
    within_6_weeks = serializers.IntegerField(help_text="Of which received within 6 weeks of being requested (reg 8)")


PANEL_DEFS = roof_sources.DEFINITIONS
_COUNCIL_WIDE = " Council-wide only: null for a district."


def _extra_count(help_text: str) -> serializers.IntegerField:
    suffix = "" if help_text.endswith(_COUNCIL_WIDE) else _COUNCIL_WIDE
    return serializers.IntegerField(allow_null=True, help_text=help_text + suffix)


class MonthlyMetricSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(help_text="The calendar month, YYYY-MM")
    district = serializers.CharField(allow_null=True, help_text="District name; null for all districts")
    requests_received = serializers.IntegerField(help_text="Requests with received_on in the month")
    requests_from_parents = serializers.IntegerField(help_text="Of which made by a parent")
    decisions_made = serializers.IntegerField(help_text="Decisions whether to assess dated in the month (to + not)")
    decisions_to_assess = serializers.IntegerField(help_text="Decisions to assess dated in the month")
    decisions_not_to_assess = serializers.IntegerField(help_text="Decisions not to assess dated in the month")
    refusal_rate = serializers.FloatField(allow_null=True, help_text=figures.DEFINITIONS["refusal_rate"])
    refusal_rate_rolling_12_months = serializers.FloatField(
        allow_null=True, help_text=figures.DEFINITIONS["refusal_rate_rolling_12_months"]
    )
    decisions_within_6_weeks = serializers.IntegerField(help_text=figures.DEFINITIONS["decisions_within_6_weeks"])
    plans_issued = serializers.IntegerField(help_text="Final plans issued in the month")
    plans_issued_within_20_weeks = serializers.IntegerField(
        help_text=figures.DEFINITIONS["plans_issued_within_20_weeks"]
    )
    plans_issued_excluding_exceptions = serializers.IntegerField(
        help_text="Plans issued in the month where no exception applied"
    )
    plans_issued_within_20_weeks_excluding_exceptions = serializers.IntegerField(
        help_text="Plans issued within 20 weeks where no exception applied"
    )
    not_issue_decisions = serializers.IntegerField(help_text="Decisions not to issue a plan dated in the month")
    not_issue_decisions_within_16_weeks = serializers.IntegerField(
        help_text=figures.DEFINITIONS["not_issue_decisions_within_16_weeks"]
    )
    requests_by_source = serializers.DictField(
        child=serializers.IntegerField(), help_text="Requests received by source"
    )
    requests_by_primary_need = serializers.DictField(
        child=serializers.IntegerField(), help_text="Requests received by the child's primary need"
    )
    requests_by_age_band = serializers.DictField(
        child=serializers.IntegerField(), help_text="Requests received by age on the day received"
    )
    advice_returned = serializers.DictField(child=AdviceReturnedSerializer(), help_text="By adviser type")
    # Extra fields: the panel's and independent placements' figures (docs/domain.md §5). Council-wide
    # only: null on a district's row, and on a month stored before these figures existed.
    panel_referrals_received = _extra_count(PANEL_DEFS["panel_referrals_received"])
    panel_decided = _extra_count(PANEL_DEFS["panel_decided"])
    panel_approved = _extra_count(PANEL_DEFS["panel_approved"])
    panel_approval_rate = serializers.FloatField(
        allow_null=True, help_text=PANEL_DEFS["panel_approval_rate"] + _COUNCIL_WIDE
    )
    panel_decisions_by_outcome = serializers.DictField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="Decisions at meetings held in the month by outcome code, deferrals included." + _COUNCIL_WIDE,
    )
    panel_cost_requested_pence = _extra_count(
        "Annual cost requested, in pence, over the month's final decisions." + _COUNCIL_WIDE
    )
    panel_cost_requested_approved_pence = _extra_count(
        "Annual cost requested, in pence, over the month's approvals." + _COUNCIL_WIDE
    )
    panel_cost_agreed_pence = _extra_count(
        "Agreed annual ceilings, in pence, over the month's approvals." + _COUNCIL_WIDE
    )
    panel_days_to_decision_sum = _extra_count(PANEL_DEFS["panel_days_to_decision"])
    panel_days_to_decision_count = _extra_count("The final decisions the sum is over (the mean's denominator).")
    panel_mean_days_to_decision = serializers.FloatField(
        allow_null=True, help_text="panel_days_to_decision_sum ÷ panel_days_to_decision_count, one decimal."
    )
    placements_active = _extra_count("Independent placements in place on the last day of the month.")
    placements_committed_annual_pence = _extra_count(
        "Agreed annual cost, in pence, of the placements in place on the last day of the month."
    )
    placements_savings_pence = _extra_count(
        "Quoted (asked) − agreed annual cost, in pence, of those placements (the saving from negotiation; "
        "never negative per placement: a rise against an earlier fee is an uplift, not a negative saving)."
    )
    placements_deductions_applied_pence = _extra_count(
        "Confirmed attendance deductions, in pence, on returns for periods ending in the month."
    )
    placements_returns_below_threshold = _extra_count(
        "Attendance returns for periods ending in the month below their clause's threshold."
    )
    computed_at = serializers.DateTimeField(help_text="When the snapshot was taken: the figures are as at then")
    stale = serializers.BooleanField(
        help_text="True when a dated fact of the month has changed since computed_at: the figures are out of date "
        "until the month is recomputed (nightly, or on request from the dashboard)"
    )


class AnnualMetricSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    district = serializers.CharField(allow_null=True, help_text="District name; null for all districts")
    requests_received = serializers.IntegerField(help_text="Requests received in the calendar year")
    requests_decided_to_assess = serializers.IntegerField(help_text="Of those, decided to assess (outcome now)")
    requests_decided_not_to_assess = serializers.IntegerField(help_text="Of those, decided not to assess")
    requests_decision_not_made = serializers.IntegerField(help_text="Of those, no decision yet")
    requests_withdrawn = serializers.IntegerField(help_text="Of those, withdrawn")
    requests_decided_within_6_weeks = serializers.IntegerField(help_text="Of those, decided within 6 weeks")
    refusal_rate_dfe = serializers.FloatField(allow_null=True, help_text=figures.DEFINITIONS["refusal_rate_dfe"])
    plans_issued = serializers.IntegerField(help_text="Plans issued in the year (including exceptions)")
    plans_issued_within_20_weeks = serializers.IntegerField()
    pc_plans_issued_within_20_weeks = serializers.FloatField(allow_null=True, help_text="Percent, one decimal")
    plans_issued_excluding_exceptions = serializers.IntegerField()
    plans_issued_within_20_weeks_excluding_exceptions = serializers.IntegerField()
    pc_plans_issued_within_20_weeks_excluding_exceptions = serializers.FloatField(
        allow_null=True, help_text="Percent, one decimal: DfE's headline timeliness rate"
    )
    not_issue_decisions = serializers.IntegerField()
    not_issue_decisions_within_16_weeks = serializers.IntegerField()
    computed_at = serializers.DateTimeField(help_text="When the year's figures were computed: they are as at then")
    stale = serializers.BooleanField(help_text="True while a month of the year is marked stale since computed_at")


class AdviceBacklogSerializer(serializers.Serializer[Any]):
    outstanding = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Outstanding past the 6-week target")


class OldestCaseSerializer(serializers.Serializer[Any]):
    request_id = serializers.IntegerField()
    reference = serializers.CharField()
    received_on = serializers.DateField()
    days_open = serializers.IntegerField()


class BacklogSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    district = serializers.CharField(allow_null=True)
    open_requests = serializers.IntegerField()
    open_by_stage = serializers.DictField(child=serializers.IntegerField(), help_text="By status")
    open_by_age_band = serializers.DictField(child=serializers.IntegerField(), help_text="By weeks since received")
    decisions_overdue = serializers.IntegerField(help_text="Still deciding whether to assess after the target")
    advice_outstanding = serializers.IntegerField()
    advice_overdue = serializers.IntegerField()
    advice_by_adviser_type = serializers.DictField(child=AdviceBacklogSerializer())
    oldest_open_case = OldestCaseSerializer(allow_null=True)
    computed_at = serializers.DateTimeField()


# --- Views ---------------------------------------------------------------------------------------


class _MetricsView(APIView):
    permission_classes = [HasCapability]
    required_capability = Capability.REPORTS_VIEW


class MonthlyMetricsView(_MetricsView):
    @extend_schema(
        operation_id="metrics_monthly",
        summary="Monthly figures",
        description=(
            "Stored monthly figures for each month from `from` to `to`. Months with no snapshot are "
            "left out, so `to` before `from` gives an empty list. An unknown `district` is a 404. "
            "Counts per docs/domain.md §5; `refusal_rate` is the only request rate. The "
            "`panel_…` and `placements_…` fields are council-wide: null for a district, and null for a month "
            "stored before they existed (recompute the month to fill them)."
        ),
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                pattern=MONTH_PATTERN,
                description="First month, YYYY-MM",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                pattern=MONTH_PATTERN,
                description="Last month, YYYY-MM",
            ),
            DISTRICT_PARAMETER,
        ],
        responses={200: MonthlyMetricSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        from_month = parse_month(_param(request, "from"), "from")
        to_month = parse_month(_param(request, "to"), "to")
        # Rules the schema cannot state (OpenAPI has no rule across two parameters) are not
        # refusals: ``to`` before ``from`` is a range with no months in it (an empty list), and
        # the patterns already bound any range to the years 1900-2099, of which only the stored
        # months come back (docs/security.md, "The schema says what the API does").
        if to_month < from_month:
            return Response([])
        with reporting_reads():
            district = _district(request)
            series = figures.monthly_series(
                from_month=from_month, to_month=to_month, district_id=district.pk if district else None
            )
        rows = [{**row, "district": district.name if district else None} for row in series.present]
        return Response(MonthlyMetricSerializer(rows, many=True).data)


class AnnualMetricsView(_MetricsView):
    @extend_schema(
        operation_id="metrics_annual",
        summary="Annual figures on the DfE basis",
        description="Stored figures for a calendar year (requests.csv and timeliness_20_week.csv definitions).",
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                pattern=YEAR_PATTERN,
                description="Calendar year, YYYY",
            ),
            DISTRICT_PARAMETER,
        ],
        responses={200: AnnualMetricSerializer},
    )
    def get(self, request: Request) -> Response:
        year = parse_year(_param(request, "year"))
        with reporting_reads():
            district = _district(request)
            found = figures.annual_figures_for([year], district_id=district.pk if district else None).get(year)
        if found is None:
            raise NotFound(f"No figures are stored for {year}.")
        return Response(AnnualMetricSerializer({**found, "district": district.name if district else None}).data)


class BacklogView(_MetricsView):
    @extend_schema(
        operation_id="metrics_backlog",
        summary="The backlog snapshot of a day",
        description="The snapshot the nightly job stored for that day; 404 if none was taken.",
        parameters=[
            OpenApiParameter(
                "date",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                pattern=DATE_PATTERN,
                description="The day, YYYY-MM-DD",
            ),
            DISTRICT_PARAMETER,
        ],
        responses={200: BacklogSerializer},
    )
    def get(self, request: Request) -> Response:
        day = parse_date(_param(request, "date"))
        with reporting_reads():
            district = _district(request)
            snapshot = BacklogSnapshot.objects.filter(on=day).first()
        found = figures.backlog_figures(snapshot, district_id=district.pk if district else None) if snapshot else None
        if found is None:
            raise NotFound(f"No backlog snapshot is stored for {day.isoformat()}.")
        return Response(BacklogSerializer({**found, "district": district.name if district else None}).data)
