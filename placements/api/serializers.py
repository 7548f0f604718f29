"""Serializers for the placements API: output shapes, and one small input serializer per action.

Input serializers check shape only (types, ranges, choices); every business rule is in
``placements.services``. Amounts are integer pence in and out. Output serializers read only
what the views' querysets loaded, so a page of 50 costs the same queries as a page of 1. Every
serializer lists its ``fields``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import limits
from core.models import NeedType, OfstedGrade
from core.viewsets import IdField
from panels import workflow as panel_workflow
from placements import reports, workflow
from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementReview,
    Provider,
)
from placements.services.attendance import CSV_COLUMNS

EARLIEST_DATE, LATEST_DATE = limits.EARLIEST_DATE, limits.LATEST_DATE  # the schema states them
# The largest amount the API takes (£10,000,000.00): anything above is a typing mistake.
MAX_PENCE = 1_000_000_000
MAX_SESSIONS = 100_000
MAX_CSV_CHARS = 2_000_000


def _choices(enum_cls: Any) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum_cls]


def choice(choices: list[tuple[str, str]], **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose enum stays inline in the schema: several apps have fields named
    ``status`` or ``category`` with different choices, and one shared enum name would clash."""
    values: list[Any] = [value for value, _ in choices]
    schema: dict[str, Any] = {"allOf": [{"type": "string", "enum": values}]}
    if kwargs.get("allow_null"):
        schema["nullable"] = True

    @extend_schema_field(schema)
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


def _date(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)], **kwargs
    )


def _pence(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_PENCE, **kwargs)


def _id(**kwargs: Any) -> serializers.IntegerField:
    return IdField(**kwargs)


# --- Output --------------------------------------------------------------------------------------


class PlacementEstablishmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    urn = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    type_group = serializers.CharField(read_only=True)


class ProviderSerializer(serializers.ModelSerializer[Provider]):
    establishment = PlacementEstablishmentSerializer(read_only=True)
    procurement_route = choice(_choices(workflow.ProcurementRoute), read_only=True)
    ofsted_grade = serializers.CharField(
        source="establishment.ofsted_grade", read_only=True, help_text="The latest Ofsted grade; blank: not known"
    )
    ofsted_inspected_on = serializers.DateField(
        source="establishment.ofsted_inspected_on", read_only=True, allow_null=True
    )
    s41_approved = serializers.BooleanField(source="establishment.s41_approved", read_only=True)
    below_good = serializers.SerializerMethodField(help_text="The latest Ofsted grade is below Good: flagged")

    def get_below_good(self, obj: Provider) -> bool:
        return panel_workflow.inspection_below_good(obj.establishment.ofsted_grade)

    class Meta:
        model = Provider
        fields = [
            "id",
            "establishment",
            "procurement_route",
            "framework_lot",
            "fee_bands",
            "fee_min_annual_pence",
            "fee_max_annual_pence",
            "contact_name",
            "contact_email",
            "contact_phone",
            "notes",
            "ofsted_grade",
            "ofsted_inspected_on",
            "s41_approved",
            "below_good",
            "updated_at",
        ]
        read_only_fields = fields


class PlacementProviderRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="establishment.name", read_only=True)


class PlacementChildRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    primary_need = choice(list(NeedType.choices), read_only=True)


class PlacementContractListSerializer(serializers.ModelSerializer[PlacementContract]):
    status = choice(_choices(workflow.ContractStatus), read_only=True)
    child = PlacementChildRefSerializer(read_only=True)
    provider = PlacementProviderRefSerializer(read_only=True)
    panel_decision_id = serializers.IntegerField(read_only=True)
    ceiling_pence = serializers.IntegerField(source="panel_decision.agreed_annual_ceiling_pence", read_only=True)
    saving_pence = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Saved by negotiation: quoted (asked for) minus agreed annual cost, never negative, once the fees "
        "are agreed (active or ended); null before that. A rise against an earlier fee is an uplift, not a "
        "negative saving",
    )

    class Meta:
        model = PlacementContract
        fields = [
            "id",
            "reference",
            "status",
            "child",
            "provider",
            "panel_decision_id",
            "ceiling_pence",
            "start_on",
            "end_on",
            "ended_on",
            "annual_review_on",
            "quoted_annual_cost_pence",
            "agreed_annual_cost_pence",
            "saving_pence",
        ]
        read_only_fields = fields


class PlacementBenchmarkSerializer(serializers.Serializer[Any]):
    """Agreed annual amounts (pence) of lines of the same kind on active contracts at other
    providers, for children with the same primary need. All null when ``n`` is 0."""

    n = serializers.IntegerField()
    min_pence = serializers.IntegerField(allow_null=True)
    lower_quartile_pence = serializers.IntegerField(allow_null=True)
    median_pence = serializers.IntegerField(allow_null=True)
    upper_quartile_pence = serializers.IntegerField(allow_null=True)
    max_pence = serializers.IntegerField(allow_null=True)


_FLAGS_HELP = "`above_upper_quartile`, `above_range`, `below_range`; none with fewer than 3 comparisons"


class PlacementCostLineSerializer(serializers.ModelSerializer[CostLine]):
    category = choice(_choices(workflow.CostCategory), read_only=True)
    period = choice(_choices(workflow.Period), read_only=True)
    quoted_annual_pence = serializers.IntegerField(read_only=True)
    agreed_annual_pence = serializers.IntegerField(read_only=True, allow_null=True)
    benchmark = serializers.SerializerMethodField()
    quoted_flags = serializers.SerializerMethodField(help_text=f"The quote against the benchmark: {_FLAGS_HELP}")
    agreed_flags = serializers.SerializerMethodField(help_text=f"The agreed amount against it: {_FLAGS_HELP}")

    def _benchmark(self, obj: CostLine) -> panel_workflow.Benchmark:
        benchmarks = self.context.get("line_benchmarks")
        if benchmarks is None:
            benchmarks = self.context["line_benchmarks"] = reports.contract_line_benchmarks(contract=obj.contract)
        return benchmarks.get(obj.category) or panel_workflow.Benchmark()

    @extend_schema_field(PlacementBenchmarkSerializer)
    def get_benchmark(self, obj: CostLine) -> dict[str, Any]:
        return self._benchmark(obj).as_dict()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_quoted_flags(self, obj: CostLine) -> list[str]:
        return [f.value for f in panel_workflow.cost_flags(obj.quoted_annual_pence, self._benchmark(obj))]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_agreed_flags(self, obj: CostLine) -> list[str]:
        return [f.value for f in panel_workflow.cost_flags(obj.agreed_annual_pence, self._benchmark(obj))]

    class Meta:
        model = CostLine
        fields = [
            "id",
            "category",
            "description",
            "quoted_amount_pence",
            "agreed_amount_pence",
            "period",
            "periods_per_year",
            "quoted_annual_pence",
            "agreed_annual_pence",
            "benchmark",
            "quoted_flags",
            "agreed_flags",
        ]
        read_only_fields = fields


class PlacementNegotiationRoundSerializer(serializers.ModelSerializer[NegotiationRound]):
    class Meta:
        model = NegotiationRound
        fields = ["id", "round_no", "on", "provider_offer_pence", "council_counter_offer_pence", "notes", "version"]
        read_only_fields = fields


class PlacementPenaltyClauseSerializer(serializers.ModelSerializer[PenaltyClause]):
    rule = choice(_choices(workflow.PenaltyRule), read_only=True)

    class Meta:
        model = PenaltyClause
        fields = [
            "threshold_percent",
            "rule",
            "deduction_percent",
            "per_session_pence",
            "authorised_counts_as_attended",
        ]
        read_only_fields = fields


class PlacementDeductionSerializer(serializers.ModelSerializer[Deduction]):
    status = choice(_choices(workflow.DeductionStatus), read_only=True)
    working = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Deduction
        fields = ["id", "amount_pence", "period_fee_pence", "working", "status", "waived_reason", "decided_at"]
        read_only_fields = fields


class PlacementAttendanceReturnSerializer(serializers.ModelSerializer[AttendanceReturn]):
    period_kind = choice(_choices(workflow.PeriodKind), read_only=True)
    deduction = serializers.SerializerMethodField()

    class Meta:
        model = AttendanceReturn
        fields = [
            "id",
            "period_kind",
            "period_start",
            "period_end",
            "sessions_possible",
            "sessions_attended",
            "authorised_absence",
            "unauthorised_absence",
            "version",
            "deduction",
        ]
        read_only_fields = fields

    @extend_schema_field(PlacementDeductionSerializer(allow_null=True))
    def get_deduction(self, obj: AttendanceReturn) -> dict[str, Any] | None:
        try:
            deduction = obj.deduction
        except Deduction.DoesNotExist:
            return None
        return dict(PlacementDeductionSerializer(deduction).data)


class PlacementReviewSerializer(serializers.ModelSerializer[PlacementReview]):
    outcome = choice(_choices(workflow.ReviewOutcome), read_only=True, allow_null=True)
    state = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(
        source="recorded_by.get_full_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = PlacementReview
        fields = [
            "id",
            "contract_id",
            "due_on",
            "state",
            "expected_attendance_percent",
            "expected_outcomes",
            "from_panel_conditions",
            "outcome",
            "held_on",
            "evidence",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: PlacementReview) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["outcome"] = instance.outcome or None
        return data

    @extend_schema_field({"allOf": [{"type": "string", "enum": [s.value for s in workflow.ReviewState]}]})
    def get_state(self, obj: PlacementReview) -> str:
        """done, overdue, due_soon (within 30 days) or upcoming, today."""
        return obj.state(timezone.localdate()).value


class PlacementContractDetailSerializer(PlacementContractListSerializer):
    allowed_actions = serializers.SerializerMethodField()
    cost_lines = PlacementCostLineSerializer(many=True, read_only=True)
    negotiation_rounds = PlacementNegotiationRoundSerializer(
        many=True, read_only=True, help_text="In date order (round_no is the order they were entered in)"
    )
    negotiation_position = serializers.SerializerMethodField()
    penalty_clause = serializers.SerializerMethodField()
    attendance_returns = PlacementAttendanceReturnSerializer(many=True, read_only=True)
    reviews = PlacementReviewSerializer(many=True, read_only=True, help_text="Placement reviews, by due date")
    leaving_reason = choice(_choices(workflow.LeavingReason), read_only=True, allow_null=True)
    earliest_end_on = serializers.SerializerMethodField()
    expected_attendance_percent = serializers.SerializerMethodField()
    attendance_expectation_note = serializers.SerializerMethodField()

    class Meta(PlacementContractListSerializer.Meta):
        fields = [
            *PlacementContractListSerializer.Meta.fields,
            "status_reason",
            "leaving_reason",
            "notice_period_days",
            "notice_given_on",
            "earliest_end_on",
            "early_end_reason",
            "reviews",
            "expected_attendance_percent",
            "attendance_expectation_note",
            "allowed_actions",
            "cost_lines",
            "negotiation_rounds",
            "negotiation_position",
            "penalty_clause",
            "attendance_returns",
        ]
        read_only_fields = fields

    def to_representation(self, instance: PlacementContract) -> dict[str, Any]:
        # The lines' benchmarks in one query for the contract (its cost lines read them).
        self.context["line_benchmarks"] = reports.contract_line_benchmarks(contract=instance)
        data = super().to_representation(instance)
        data["leaving_reason"] = instance.leaving_reason or None
        return data

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_earliest_end_on(self, obj: PlacementContract) -> date | None:
        """Once notice is given: the notice day plus the notice period; null before."""
        if obj.notice_given_on is None:
            return None
        return workflow.earliest_end(obj.notice_given_on, obj.notice_period_days)

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True))
    def get_expected_attendance_percent(self, obj: PlacementContract) -> str | None:
        """The attendance the panel expects (the latest review's), to set beside the clause's threshold."""
        value = _expected_attendance(obj)
        return None if value is None else f"{value:.2f}"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_attendance_expectation_note(self, obj: PlacementContract) -> str | None:
        """How the penalty clause's threshold compares with the expected attendance; null if they agree."""
        try:
            threshold = obj.penalty_clause.threshold_percent
        except PenaltyClause.DoesNotExist:
            threshold = None
        return workflow.attendance_expectation_note(_expected_attendance(obj), threshold)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_negotiation_position(self, obj: PlacementContract) -> str | None:
        """Before the fees are agreed: the quote and the latest round, in words; null once agreed."""
        if workflow.ContractStatus(obj.status) in workflow.AGREED_STATUSES:
            return None
        rounds = [(r.on, r.provider_offer_pence, r.council_counter_offer_pence) for r in obj.negotiation_rounds.all()]
        return workflow.position(rounds, obj.quoted_annual_cost_pence)

    @extend_schema_field(
        {"type": "array", "items": {"allOf": [{"type": "string", "enum": [a.value for a in workflow.Action]}]}}
    )
    def get_allowed_actions(self, obj: PlacementContract) -> list[str]:
        return [action.value for action in workflow.allowed_actions(obj.status)]

    @extend_schema_field(PlacementPenaltyClauseSerializer(allow_null=True))
    def get_penalty_clause(self, obj: PlacementContract) -> dict[str, Any] | None:
        try:
            clause = obj.penalty_clause
        except PenaltyClause.DoesNotExist:
            return None
        return dict(PlacementPenaltyClauseSerializer(clause).data)


def _expected_attendance(contract: PlacementContract) -> Any:
    """The latest review's expected attendance (reviews are prefetched in due-date order)."""
    reviews = [r for r in contract.reviews.all() if r.expected_attendance_percent is not None]
    return reviews[-1].expected_attendance_percent if reviews else None


class PlacementRowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="The spreadsheet row: the header is row 1")
    column = serializers.CharField()
    reason = serializers.CharField()


class PlacementImportResultSerializer(serializers.Serializer[Any]):
    rows_read = serializers.IntegerField()
    created = serializers.IntegerField()
    corrected = serializers.IntegerField()
    deductions_pending = serializers.IntegerField()
    summary = serializers.CharField()


class PlacementImportErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    rows_read = serializers.IntegerField(required=False)
    row_errors = PlacementRowErrorSerializer(many=True, required=False)


class PurchasingPowerRowSerializer(serializers.Serializer[Any]):
    provider_id = serializers.IntegerField()
    provider_name = serializers.CharField()
    primary_need = choice(list(NeedType.choices), required=False)
    pupils = serializers.IntegerField()
    committed_pence = serializers.IntegerField()
    average_pence = serializers.IntegerField(allow_null=True)
    min_pence = serializers.IntegerField(allow_null=True)
    max_pence = serializers.IntegerField(allow_null=True)
    savings_pence = serializers.IntegerField()
    deductions_pence = serializers.IntegerField()
    returns_below = serializers.IntegerField()


class PurchasingPowerSerializer(serializers.Serializer[Any]):
    on = serializers.DateField()
    by = serializers.CharField()
    order_by = serializers.CharField()
    rows = PurchasingPowerRowSerializer(many=True)


class PlacementFiguresSerializer(serializers.Serializer[Any]):
    on = serializers.DateField()
    active_placements = serializers.IntegerField()
    committed_annual_pence = serializers.IntegerField()
    savings_pence = serializers.IntegerField()
    deductions_applied_pence = serializers.IntegerField()


# --- Input ---------------------------------------------------------------------------------------


class ProviderUpsertSerializer(serializers.Serializer[Any]):
    establishment_id = _id(help_text="An independent special, non-maintained special or specialist post-16 school")
    procurement_route = choice(_choices(workflow.ProcurementRoute))
    framework_lot = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    fee_bands = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    fee_min_annual_pence = _pence(required=False, allow_null=True, default=None)
    fee_max_annual_pence = _pence(required=False, allow_null=True, default=None)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    ofsted_grade = serializers.ChoiceField(
        choices=["", *OfstedGrade.values],
        required=False,
        allow_blank=True,
        help_text="The latest Ofsted grade (blank: not known); left as it is when absent",
    )
    ofsted_inspected_on = serializers.DateField(required=False, allow_null=True, help_text="Needed with a grade")
    s41_approved = serializers.BooleanField(required=False, help_text="Left as it is when absent")


class PlacementContractCreateSerializer(serializers.Serializer[Any]):
    panel_decision_id = _id(help_text="The panel's approval of the place")
    provider_id = _id(required=False, help_text="Defaults to the provider of the school the panel approved")
    start_on = _date()
    end_on = _date(required=False, allow_null=True, default=None)
    annual_review_on = _date()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    notice_period = serializers.IntegerField(
        min_value=0, max_value=366, required=False, allow_null=True, default=None, help_text="In notice_period_unit"
    )
    notice_period_unit = choice([(u.value, u.value) for u in workflow.NoticeUnit], required=False, default="days")
    first_review_on = _date(
        required=False, allow_null=True, default=None, help_text="The first placement review; default 12 weeks in"
    )
    expected_attendance_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        default=None,
        help_text="Default: the percentage the panel's conditions state, if any",
    )
    expected_outcomes = serializers.CharField(
        max_length=5000, required=False, allow_null=True, default=None, help_text="Default: the panel's conditions"
    )


class PlacementNoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PlacementEndSerializer(serializers.Serializer[Any]):
    ended_on = _date(help_text="The day the child left")
    leaving_reason = choice(_choices(workflow.LeavingReason))
    reason = serializers.CharField(max_length=2000, help_text="Why, in words")
    early_end_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed when the end is sooner than the notice period allows",
    )


class PlacementNoticeSerializer(serializers.Serializer[Any]):
    given_on = _date(help_text="The day notice to end the placement was given")
    planned_end_on = _date(help_text="The planned last day")
    notice_period = serializers.IntegerField(
        min_value=0, max_value=366, required=False, allow_null=True, default=None, help_text="Sets the contract's"
    )
    notice_period_unit = choice([(u.value, u.value) for u in workflow.NoticeUnit], required=False, default="days")
    early_end_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PlacementReviewScheduleSerializer(serializers.Serializer[Any]):
    due_on = _date()
    expected_attendance_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True, default=None
    )
    expected_outcomes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PlacementReviewOutcomeSerializer(serializers.Serializer[Any]):
    outcome = choice(_choices(workflow.ReviewOutcome))
    held_on = _date()
    evidence = serializers.CharField(max_length=10000)
    next_review_on = _date(required=False, allow_null=True, default=None, help_text="Continue or change only")
    planned_end_on = _date(required=False, allow_null=True, default=None, help_text="End only: the planned last day")
    early_end_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PlacementChaseSerializer(serializers.Serializer[Any]):
    period_start = _date()
    period_end = _date()
    chased_on = _date()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PlacementChaseResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    provider_id = serializers.IntegerField(read_only=True)
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    chased_on = serializers.DateField(read_only=True)
    note = serializers.CharField(read_only=True)


class PlacementCostLineAddSerializer(serializers.Serializer[Any]):
    category = choice(_choices(workflow.CostCategory))
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quoted_amount_pence = _pence()
    agreed_amount_pence = _pence(required=False, allow_null=True, default=None)
    period = choice(_choices(workflow.Period))
    periods_per_year = serializers.IntegerField(
        min_value=1, max_value=366, required=False, allow_null=True, default=None
    )
    fifty_two_week = serializers.BooleanField(required=False, default=False)


class PlacementCostLineUpdateSerializer(serializers.Serializer[Any]):
    """Only the fields sent change; ``agreed_amount_pence: null`` clears the agreed amount."""

    category = choice(_choices(workflow.CostCategory), required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    quoted_amount_pence = _pence(required=False)
    agreed_amount_pence = _pence(required=False, allow_null=True)
    period = choice(_choices(workflow.Period), required=False)
    periods_per_year = serializers.IntegerField(min_value=1, max_value=366, required=False, allow_null=True)
    fifty_two_week = serializers.BooleanField(required=False, default=False)


class PlacementRoundInputSerializer(serializers.Serializer[Any]):
    on = _date()
    provider_offer_pence = _pence()
    council_counter_offer_pence = _pence(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PlacementRoundCorrectSerializer(PlacementRoundInputSerializer):
    reason = serializers.CharField(max_length=2000)


class PlacementPenaltyClauseInputSerializer(serializers.Serializer[Any]):
    threshold_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    rule = choice(_choices(workflow.PenaltyRule))
    deduction_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True, default=None
    )
    per_session_pence = _pence(required=False, allow_null=True, default=None)
    authorised_counts_as_attended = serializers.BooleanField(required=False, default=True)


def _sessions() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_SESSIONS)


class PlacementReturnInputSerializer(serializers.Serializer[Any]):
    period_kind = choice(_choices(workflow.PeriodKind))
    period_start = _date()
    period_end = _date()
    sessions_possible = _sessions()
    sessions_attended = _sessions()
    authorised_absence = _sessions()
    unauthorised_absence = _sessions()


class PlacementImportInputSerializer(serializers.Serializer[Any]):
    csv = serializers.CharField(
        max_length=MAX_CSV_CHARS,
        trim_whitespace=False,
        help_text="The CSV file's text. Columns: " + ", ".join(CSV_COLUMNS) + ". Dates as YYYY-MM-DD or DD/MM/YYYY",
    )


class PlacementWaiveSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class PurchasingPowerQuerySerializer(serializers.Serializer[Any]):
    by = choice([("provider", "By provider"), ("need", "By provider and primary need")], required=False)
    order_by = serializers.CharField(required=False, max_length=40)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        by = attrs.get("by") or "provider"
        columns = reports.PROVIDER_COLUMNS if by == "provider" else reports.NEED_COLUMNS
        order_by = attrs.get("order_by") or "provider_name"
        if order_by.lstrip("-") not in columns:
            raise serializers.ValidationError({"order_by": [f"Sort by one of: {', '.join(columns)}"]})
        return {"by": by, "order_by": order_by}


# --- Finance work queues ---------------------------------------------------------------------------


class PlacementQueueCountSerializer(serializers.Serializer[Any]):
    queue = serializers.ChoiceField(choices=[(q.value, q.heading) for q in workflow.Queue], read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True, min_value=0)


class PlacementQueueCountsSerializer(serializers.Serializer[Any]):
    on = serializers.DateField(read_only=True)
    queues = PlacementQueueCountSerializer(many=True, read_only=True)


class PlacementQueueItemSerializer(serializers.Serializer[Any]):
    contract = PlacementContractListSerializer(read_only=True)
    due_on = serializers.DateField(read_only=True, help_text="The date the item turns on (period end, review, end)")
    detail = serializers.CharField(read_only=True, help_text="What is due, in words")
    deduction_id = serializers.IntegerField(source="deduction.pk", read_only=True, allow_null=True, default=None)
    deduction_amount_pence = serializers.IntegerField(
        source="deduction.amount_pence", read_only=True, allow_null=True, default=None
    )
    review_id = serializers.IntegerField(source="review.pk", read_only=True, allow_null=True, default=None)
    chased_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="Returns missing: when the provider was last chased for the period"
    )


class PlacementQueueSerializer(serializers.Serializer[Any]):
    on = serializers.DateField(read_only=True)
    queue = serializers.ChoiceField(choices=[(q.value, q.heading) for q in workflow.Queue], read_only=True)
    title = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True, min_value=0)
    items = PlacementQueueItemSerializer(many=True, read_only=True)


# --- Purchasing power over time -------------------------------------------------------------------


class PurchasingPowerYearQuerySerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="The financial year by the calendar year it starts in (2025 is April 2025 to March 2026); "
        "default the current one",
    )
    order_by = serializers.CharField(required=False, max_length=40)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        order_by = attrs.get("order_by") or "provider_name"
        if order_by.lstrip("-") not in reports.YEAR_COLUMNS:
            raise serializers.ValidationError({"order_by": [f"Sort by one of: {', '.join(reports.YEAR_COLUMNS)}"]})
        return {"year": attrs.get("year") or workflow.financial_year_of(timezone.localdate()), "order_by": order_by}


class PurchasingPowerYearRowSerializer(serializers.Serializer[Any]):
    provider_id = serializers.IntegerField()
    provider_name = serializers.CharField()
    pupils = serializers.IntegerField(help_text="Children with a placement in place at some time in the year")
    spend_pence = serializers.IntegerField(help_text="Annual cost × days in place in the year ÷ days in the year")
    share_percent = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="Of all providers' spend in the year"
    )
    average_pence = serializers.IntegerField(allow_null=True, help_text="Mean annual cost of those placements")
    negotiation_savings_pence = serializers.IntegerField(
        help_text="Asked for − agreed annual cost of the fee version in force each day, pro rata as spend "
        "(never negative)"
    )
    uplift_pence = serializers.IntegerField(
        help_text="The fee in force each day − the original agreed fee, pro rata as spend (the cost of uplifts)"
    )
    deductions_pence = serializers.IntegerField(
        help_text="Confirmed deductions on returns whose period ends in the year"
    )


class PurchasingPowerYearTotalSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    label = serializers.CharField()
    pupils = serializers.IntegerField()
    spend_pence = serializers.IntegerField()
    negotiation_savings_pence = serializers.IntegerField()
    uplift_pence = serializers.IntegerField()
    deductions_pence = serializers.IntegerField()


class PurchasingPowerYearsSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    label = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    order_by = serializers.CharField()
    rows = PurchasingPowerYearRowSerializer(many=True)
    years = PurchasingPowerYearTotalSerializer(many=True, help_text="Every financial year's totals, latest first")


# --- Contract versions and annual fee reviews (docs/domain.md §2.6) ------------------------------------


class ContractVersionSerializer(serializers.Serializer[Any]):
    version_no = serializers.IntegerField(read_only=True)
    effective_from = serializers.DateField(read_only=True)
    annual_cost_pence = serializers.IntegerField(read_only=True)
    requested_annual_cost_pence = serializers.IntegerField(read_only=True)
    fee_review_id = serializers.IntegerField(read_only=True, allow_null=True)
    panel_decision_id = serializers.IntegerField(read_only=True)
    saving_pence = serializers.IntegerField(
        read_only=True, help_text="Saved by negotiation: asked for minus agreed, a year (never negative)"
    )
    uplift_pence = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Agreed minus the version before's annual cost (negative for a reduction); null for version 1",
    )


def version_rows(versions: list[Any]) -> list[dict[str, Any]]:
    """Contract versions (oldest first) with their saving and uplift (``workflow.version_figures``)."""
    figures = workflow.version_figures([(v.requested_annual_cost_pence, v.annual_cost_pence) for v in versions])
    return [
        {
            "version_no": v.version_no,
            "effective_from": v.effective_from,
            "annual_cost_pence": v.annual_cost_pence,
            "requested_annual_cost_pence": v.requested_annual_cost_pence,
            "fee_review_id": v.fee_review_id,
            "panel_decision_id": v.panel_decision_id,
            "saving_pence": f.saving_pence,
            "uplift_pence": None if i == 0 else f.uplift_pence,
        }
        for i, (v, f) in enumerate(zip(versions, figures, strict=True))
    ]


class FeeReviewLineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    cost_line_id = serializers.IntegerField(read_only=True)
    category = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True)
    periods_per_year = serializers.IntegerField(read_only=True)
    current_amount_pence = serializers.IntegerField(read_only=True)
    requested_amount_pence = serializers.IntegerField(read_only=True)
    agreed_amount_pence = serializers.IntegerField(read_only=True, allow_null=True)
    notes = serializers.CharField(read_only=True)
    saving_annual_pence = serializers.IntegerField(
        source="figures.saving_pence",
        read_only=True,
        allow_null=True,
        help_text="Saved by negotiation, a year: asked for minus agreed (never negative); null until agreed",
    )
    uplift_annual_pence = serializers.IntegerField(
        source="figures.uplift_pence",
        read_only=True,
        allow_null=True,
        help_text="The uplift, a year: agreed minus the amount in force when the review arrived "
        "(negative for a reduction); null until agreed",
    )


class FeeReviewSerializer(serializers.Serializer[Any]):
    """A fee review as finance sees it: contract id and reference, never the child's name."""

    id = serializers.IntegerField(read_only=True)
    contract_id = serializers.IntegerField(read_only=True)
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    status = serializers.CharField(read_only=True)
    received_on = serializers.DateField(read_only=True)
    effective_from = serializers.DateField(read_only=True)
    requested_annual_cost_pence = serializers.IntegerField(read_only=True)
    current_annual_cost_pence = serializers.IntegerField(read_only=True)
    agreed_annual_cost_pence = serializers.IntegerField(read_only=True, allow_null=True)
    ceiling_pence = serializers.IntegerField(read_only=True, allow_null=True)
    referral_id = serializers.IntegerField(read_only=True, allow_null=True)
    outcome_on = serializers.DateField(read_only=True, allow_null=True)
    outcome_reason = serializers.CharField(read_only=True)
    reasons = serializers.CharField(read_only=True)
    lines = FeeReviewLineSerializer(many=True, read_only=True)
    saving_pence = serializers.SerializerMethodField(
        help_text="Saved by negotiation, a year: asked for minus agreed over the lines (never negative); "
        "null until every line is agreed"
    )
    uplift_pence = serializers.SerializerMethodField(
        help_text="The uplift, a year: agreed minus the fee in force when the review arrived, over the lines "
        "(negative for a reduction); null until every line is agreed"
    )
    versions = serializers.SerializerMethodField()

    def get_saving_pence(self, review: Any) -> int | None:
        return review.figures().saving_pence  # type: ignore[no-any-return]

    def get_uplift_pence(self, review: Any) -> int | None:
        return review.figures().uplift_pence  # type: ignore[no-any-return]

    @extend_schema_field(ContractVersionSerializer(many=True))
    def get_versions(self, review: Any) -> list[dict[str, Any]]:
        """The contract's fee versions, oldest first."""
        versions = list(review.contract.versions.order_by("version_no"))
        return list(ContractVersionSerializer(version_rows(versions), many=True).data)


class FeeReviewStartSerializer(serializers.Serializer[Any]):
    contract_id = IdField()
    received_on = _date()
    effective_from = _date()
    requested_annual_cost_pence = _pence()
    reasons = serializers.CharField(max_length=5000)


class FeeReviewLineInputSerializer(serializers.Serializer[Any]):
    requested_amount_pence = _pence()
    agreed_amount_pence = _pence(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class FeeReviewAgreeSerializer(serializers.Serializer[Any]):
    outcome_on = _date(required=False, allow_null=True, default=None)
    effective_from = _date(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FeeReviewCloseSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)
    outcome_on = _date(required=False, allow_null=True, default=None)
