"""Serializers for the requests API: output shapes, and one small input serializer per action.

Input serializers check shape only (types, lengths, choices, dates the clock arithmetic can
use); every business rule lives in ``requests_app.services``. Output serializers read only what
the views' querysets already loaded (``select_related``/``prefetch_related``), so a page of 50
costs the same number of queries as a page of 1. Every serializer lists its ``fields``.

The context carries ``request`` (for the user's allowed actions) and ``today`` (one date for
the whole response, so days left and urgency agree across rows).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import limits
from core.models import District, Establishment, NeedType
from core.roles import user_can
from core.viewsets import IdField, RelatedIdField
from requests_app import clocks, workflow
from requests_app.filters import officers
from requests_app.models import (
    AdviceRequest,
    AdviserType,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    DecisionOutcome,
    ExceptionKind,
    PlacementType,
    PlanPlacement,
    ProvisionEvaluation,
    Recommendation,
    RequestEvent,
    RequestSource,
    RequestStatus,
    Sen2Outcome,
    Sex,
)

Action = workflow.Action

# Dates outside this range are refused as input: they can only be typing errors, and the
# clock arithmetic (received + 20 weeks + exception days) must never overflow date.max.
EARLIEST_DATE, LATEST_DATE = limits.EARLIEST_DATE, limits.LATEST_DATE  # the schema states them


def _date(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)], **kwargs
    )


def _required(action: workflow.Action, field: str) -> dict[str, str]:
    """The workflow's own wording (``REQUIRED_FOR``) when a field the action needs is missing."""
    message = workflow.REQUIRED_FOR[action][field]
    return {"required": message, "null": message, "blank": message}


def _inline_choice(choices: list[tuple[str, str]], **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose enum stays inline in the schema.

    drf-spectacular's enum hook names a shared choice set after its property and warns when one
    set is reachable under two names (``status`` and ``from_status``; ``primary_need`` and
    ``secondary_need``; ``request_outcome`` and ``assessment_outcome``). The first name keeps
    the named component; the second use goes through here. (An ``ENUM_NAME_OVERRIDES`` entry in
    settings would name both; see the API hand-over notes.)
    """
    values: list[str] = [value for value, _ in choices]
    if kwargs.get("allow_blank"):
        values.append("")

    @extend_schema_field({"allOf": [{"type": "string", "enum": values}]})
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


def _today(context: dict[str, Any]) -> date:
    today: date = context["today"]
    return today


def user_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


# --- Output: shared shapes -----------------------------------------------------------------------


class UserRefSerializer(serializers.ModelSerializer[User]):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields

    def get_name(self, obj: User) -> str:
        return user_name(obj) or ""


class EstablishmentRefSerializer(serializers.ModelSerializer[Establishment]):
    class Meta:
        model = Establishment
        fields = ["id", "name"]
        read_only_fields = fields


class ChildSerializer(serializers.ModelSerializer[Child]):
    district = serializers.CharField(source="district.name", read_only=True)
    current_establishment = EstablishmentRefSerializer(read_only=True, allow_null=True)
    secondary_need = _inline_choice(NeedType.choices, allow_blank=True, read_only=True)
    age = serializers.SerializerMethodField()

    class Meta:
        model = Child
        fields = [
            "id",
            "forename",
            "surname",
            "date_of_birth",
            "sex",
            "upn",
            "postcode",
            "district",
            "current_establishment",
            "primary_need",
            "secondary_need",
            "age",
            # SEN2 return items (docs/sen2.md)
            "ethnicity",
            "uln",
            "upn_unknown",
        ]
        read_only_fields = fields

    def get_age(self, obj: Child) -> int | None:
        today = _today(self.context)
        return obj.age(today) if obj.date_of_birth <= today else None


# --- Output: requests ------------------------------------------------------------------------------


class RequestListSerializer(serializers.ModelSerializer[AssessmentRequest]):
    """One row of the queue: the child, the clocks and what the user may do next."""

    status_label = serializers.SerializerMethodField()
    stage = serializers.CharField(source="stage_label", read_only=True)
    child = ChildSerializer(read_only=True)
    assigned_officer = UserRefSerializer(read_only=True, allow_null=True)
    named_establishment = EstablishmentRefSerializer(read_only=True, allow_null=True)
    assessment_outcome = _inline_choice(Sen2Outcome.choices, allow_blank=True, read_only=True)
    days_left = serializers.SerializerMethodField()
    urgency = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentRequest
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "stage",
            "child",
            "received_on",
            "source",
            "requester_name",
            "requester_email",
            "requester_phone",
            "requester_relationship",
            "assigned_officer",
            "decision_due_on",
            "not_issue_due_on",
            "final_plan_due_on",
            "decision_target_on",
            "not_issue_target_on",
            "final_plan_target_on",
            "week20",
            "next_deadline_on",
            "days_left",
            "urgency",
            "request_outcome",
            "request_outcome_on",
            "assessment_outcome",
            "assessment_outcome_on",
            "draft_issued_on",
            "family_comments_received_on",
            "final_plan_issued_on",
            "named_establishment",
            "placement_type",
            "imported",
            "is_reassessment",
            "allowed_actions",
        ]
        read_only_fields = fields

    def get_status_label(self, obj: AssessmentRequest) -> str:
        return workflow.Status(obj.status).label

    def get_days_left(self, obj: AssessmentRequest) -> int | None:
        if obj.next_deadline_on is None:
            return None
        return clocks.days_left(obj.next_deadline_on, today=_today(self.context))

    @extend_schema_field(serializers.ChoiceField(choices=["overdue", "due_soon", "ok", "none"]))
    def get_urgency(self, obj: AssessmentRequest) -> str:
        return clocks.urgency(obj.next_deadline_on, today=_today(self.context))

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[a.value for a in Action])))
    def get_allowed_actions(self, obj: AssessmentRequest) -> list[str]:
        """The workflow's next steps from this status that this user's roles allow."""
        user = self.context["request"].user
        # Annotated by the API's queryset (one subquery each, not a query per row).
        has_exception = getattr(obj, "has_active_exception", None)
        has_advice = getattr(obj, "has_awaited_advice", None)
        if has_exception is None:
            has_exception = obj.clock_exceptions.active().exists()
        if has_advice is None:
            has_advice = obj.advice_requests.awaited().exists()
        return [
            action.value
            for action in workflow.allowed_actions(
                obj.status, has_active_exception=has_exception, has_awaited_advice=has_advice
            )
            if user_can(user, workflow.ACTION_CAPABILITY[action])
        ]


class EvaluationSerializer(serializers.ModelSerializer[ProvisionEvaluation]):
    completed_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ProvisionEvaluation
        fields = [
            "id",
            "schools_views_received",
            "sen_support_plan",
            "apdr_cycles",
            "provision_map",
            "costed_provision",
            "progress_data",
            "attainment_summary",
            "other_agencies",
            "notes",
            "recommendation",
            "completed_by",
            "completed_on",
            "updated_at",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer[AssessmentDecision]):
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    decided_by = UserRefSerializer(read_only=True)

    class Meta:
        model = AssessmentDecision
        fields = [
            "id",
            "stage",
            "stage_label",
            "outcome",
            "outcome_label",
            "notified_on",
            "reasons",
            "reasons_text",
            "rights_text_sent",
            "sen_support_advice",
            "decided_by",
            "decided_at",
            "superseded",
            "advice_not_sought_reason",
        ]
        read_only_fields = fields


def _advice_overdue(advice: AdviceRequest, today: date) -> bool:
    """Still awaited on a request in progress, and past its (exception-adjusted) target."""
    awaited = advice.received_on is None and advice.cancelled_at is None
    return awaited and advice.request.is_open and clocks.is_overdue(advice.target_on, today=today)


class AdviceRequestSerializer(serializers.ModelSerializer[AdviceRequest]):
    adviser_type_label = serializers.CharField(source="get_adviser_type_display", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = AdviceRequest
        fields = [
            "id",
            "adviser_type",
            "adviser_type_label",
            "addressee",
            "requested_on",
            "due_on",
            "target_on",
            "received_on",
            "overdue",
            "notes",
            "cancelled_at",
            "cancelled_reason",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: AdviceRequest) -> bool:
        return _advice_overdue(obj, _today(self.context))


class ClockExceptionSerializer(serializers.ModelSerializer[ClockException]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    recorded_by = UserRefSerializer(read_only=True)
    removed_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ClockException
        fields = [
            "id",
            "kind",
            "kind_label",
            "start",
            "end",
            "evidence",
            "advice_request",
            "active",
            "recorded_by",
            "recorded_at",
            "removed_at",
            "removed_by",
            "removed_reason",
        ]
        read_only_fields = fields


class ClockSnapshotSerializer(serializers.Serializer[dict[str, Any]]):
    """The clocks as they stood just after an event (written by the services)."""

    next_deadline_on = serializers.DateField(allow_null=True, read_only=True)
    decision_target_on = serializers.DateField(allow_null=True, read_only=True)
    not_issue_target_on = serializers.DateField(allow_null=True, read_only=True)
    final_plan_target_on = serializers.DateField(allow_null=True, read_only=True)
    week20 = serializers.BooleanField(allow_null=True, read_only=True)


_SNAPSHOT_KEYS = ("next_deadline_on", "decision_target_on", "not_issue_target_on", "final_plan_target_on", "week20")


class EventSerializer(serializers.ModelSerializer[RequestEvent]):
    actor = UserRefSerializer(read_only=True, allow_null=True)
    label = serializers.CharField(source="action_label", read_only=True)
    from_status = _inline_choice(RequestStatus.choices, allow_blank=True, read_only=True)
    to_status = _inline_choice(RequestStatus.choices, allow_blank=True, read_only=True)
    clocks = serializers.SerializerMethodField()
    payload = serializers.DictField(read_only=True)

    class Meta:
        model = RequestEvent
        fields = [
            "id",
            "actor",
            "action",
            "label",
            "from_status",
            "to_status",
            "occurred_at",
            "note",
            "clocks",
            "payload",
        ]
        read_only_fields = fields

    @extend_schema_field(ClockSnapshotSerializer(allow_null=True))
    def get_clocks(self, obj: RequestEvent) -> dict[str, Any] | None:
        snapshot = (obj.payload or {}).get("clocks")
        if not isinstance(snapshot, dict):
            return None  # events written outside the services (older imports) carry none
        return ClockSnapshotSerializer({key: snapshot.get(key) for key in _SNAPSHOT_KEYS}).data


class PlanPlacementSerializer(serializers.ModelSerializer[PlanPlacement]):
    establishment = EstablishmentRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PlanPlacement
        fields = [
            "id",
            "establishment",
            "sen_setting",
            "sen_setting_other",
            "rank",
            "named_in_plan",
            "entry_on",
            "leaving_on",
            "sen_unit",
            "resourced_provision",
        ]
        read_only_fields = fields


class RequestDetailSerializer(RequestListSerializer):
    """The queue row plus the case file: evaluation, decisions, advice, exceptions, timeline."""

    evaluation = EvaluationSerializer(read_only=True, allow_null=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    advice_requests = AdviceRequestSerializer(many=True, read_only=True)
    exceptions = ClockExceptionSerializer(source="clock_exceptions", many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    placements = PlanPlacementSerializer(source="plan_placements", many=True, read_only=True)

    class Meta(RequestListSerializer.Meta):
        fields = [
            *RequestListSerializer.Meta.fields,
            "evaluation",
            "decisions",
            "advice_requests",
            "exceptions",
            "events",
            # SEN2 return items (docs/sen2.md)
            "sen2_request_source",
            "rya",
            "plan_start_on",
            "plan_ceased_on",
            "plan_cease_reason",
            "placements",
        ]
        read_only_fields = fields


# --- Output: the advice queue ----------------------------------------------------------------------


class AdviceChildSerializer(serializers.ModelSerializer[Child]):
    """Enough for an educational psychologist to know which child: no contact details."""

    current_establishment = EstablishmentRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Child
        fields = ["id", "forename", "surname", "date_of_birth", "current_establishment"]
        read_only_fields = fields


class AdviceRequestRefSerializer(serializers.ModelSerializer[AssessmentRequest]):
    class Meta:
        model = AssessmentRequest
        fields = ["id", "reference"]
        read_only_fields = fields


class AdviceQueueSerializer(serializers.ModelSerializer[AdviceRequest]):
    """One advice request in the advice service's queue."""

    request = AdviceRequestRefSerializer(read_only=True)
    child = AdviceChildSerializer(source="request.child", read_only=True)
    adviser_type_label = serializers.CharField(source="get_adviser_type_display", read_only=True)
    overdue = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()

    class Meta:
        model = AdviceRequest
        fields = [
            "id",
            "request",
            "child",
            "adviser_type",
            "adviser_type_label",
            "addressee",
            "requested_on",
            "due_on",
            "target_on",
            "received_on",
            "overdue",
            "days_left",
            "notes",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: AdviceRequest) -> bool:
        return _advice_overdue(obj, _today(self.context))

    def get_days_left(self, obj: AdviceRequest) -> int | None:
        """Days to the target while the advice is awaited; null once it has arrived or was cancelled."""
        if obj.received_on is not None or obj.cancelled_at is not None:
            return None
        return clocks.days_left(obj.target_on, today=_today(self.context))


# --- Duplicates ------------------------------------------------------------------------------------


class DuplicateCandidateSerializer(serializers.ModelSerializer[Child]):
    """A child who may be the one being entered: initials only, enough to tell them apart."""

    initials = serializers.CharField(read_only=True)
    open_requests = serializers.SerializerMethodField()

    class Meta:
        model = Child
        fields = ["id", "initials", "date_of_birth", "upn", "open_requests"]
        read_only_fields = fields

    def get_open_requests(self, obj: Child) -> list[str]:
        """References of the child's requests in progress (prefetched by find_duplicates)."""
        return [request.reference for request in getattr(obj, "open_requests", [])]


class DuplicateCandidatesSerializer(serializers.Serializer[dict[str, Any]]):
    candidates = DuplicateCandidateSerializer(many=True, read_only=True)


class PossibleDuplicateSerializer(serializers.Serializer[dict[str, Any]]):
    """The 409 body when a new child may already be recorded."""

    detail = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)
    candidates = DuplicateCandidateSerializer(many=True, read_only=True)


# --- Input -----------------------------------------------------------------------------------------


class ChildInputSerializer(serializers.Serializer[dict[str, Any]]):
    forename = serializers.CharField(max_length=100, error_messages={"blank": "Enter the child's first name"})
    surname = serializers.CharField(max_length=100, error_messages={"blank": "Enter the child's last name"})
    date_of_birth = _date()
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN.value)
    upn = serializers.CharField(
        max_length=13,
        required=False,
        allow_blank=True,
        default="",
        validators=[RegexValidator(r"^[A-Za-z0-9]{13}$", "Enter a UPN of 13 letters and numbers, or leave it blank")],
    )
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    # Ids are named ``<thing>_id`` in every request body; the service takes the objects.
    district_id = RelatedIdField(source="district", queryset=District.objects.all())
    current_establishment_id = RelatedIdField(
        source="current_establishment",
        queryset=Establishment.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    primary_need = serializers.ChoiceField(choices=NeedType.choices)
    secondary_need = _inline_choice(NeedType.choices, required=False, allow_blank=True, default="")

    def validate_date_of_birth(self, value: date) -> date:
        if value > self.context["today"]:
            raise serializers.ValidationError("The date of birth must be in the past")
        return value

    def validate_upn(self, value: str) -> str:
        return value.strip().upper()


class RequestCreateSerializer(serializers.Serializer[dict[str, Any]]):
    """A new request for a new child (``child``) or for a child already recorded (``child_id``)."""

    child = ChildInputSerializer(required=False)
    child_id = RelatedIdField(queryset=Child.objects.all(), required=False)
    received_on = _date(error_messages={"required": "Enter the date the request was received"})
    source = serializers.ChoiceField(choices=RequestSource.choices)
    requester_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    requester_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    requester_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    requester_relationship = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    confirm_not_duplicate = serializers.BooleanField(
        default=False, help_text="Set after checking the possible duplicates a 409 listed"
    )
    not_duplicate_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="With `confirm_not_duplicate`: how you know this is a different child (recorded on the timeline)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("child" in attrs) == ("child_id" in attrs):
            raise serializers.ValidationError(
                {"child": ["Enter the child's details or give the id of a child already recorded, not both"]}
            )
        if attrs.get("confirm_not_duplicate") and not attrs.get("not_duplicate_reason", "").strip():
            raise serializers.ValidationError(
                {"not_duplicate_reason": ["Enter how you know this is a different child"]}
            )
        return attrs


class RequestCreateSerializerExtension(OpenApiSerializerExtension):
    """The two rules across fields, in the schema: exactly one of ``child`` and ``child_id``;
    and ``confirm_not_duplicate`` only with a ``not_duplicate_reason`` that is more than
    spaces."""

    target_class = RequestCreateSerializer

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        schema["oneOf"] = [{"required": ["child"]}, {"required": ["child_id"]}]
        schema["anyOf"] = [
            {"properties": {"confirm_not_duplicate": {"enum": [False]}}},
            {"required": ["not_duplicate_reason"], "properties": {"not_duplicate_reason": {"pattern": r"\S"}}},
        ]
        return schema


class DuplicateCheckSerializer(serializers.Serializer[dict[str, Any]]):
    forename = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    surname = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    date_of_birth = _date(required=False, allow_null=True, default=None)
    upn = serializers.CharField(max_length=13, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer[dict[str, Any]]):
    officer_id = RelatedIdField(queryset=officers(), error_messages={"does_not_exist": "Select an SEN officer"})


class BulkAssignSerializer(AssignSerializer):
    request_ids = serializers.ListField(
        child=IdField(),
        min_length=1,
        max_length=100,
        error_messages={"empty": "Select at least one request"},
    )


class EvaluationInputSerializer(serializers.Serializer[dict[str, Any]]):
    """The checklist: only the fields sent are changed. ``complete`` finishes the evaluation."""

    schools_views_received = serializers.BooleanField(required=False)
    sen_support_plan = serializers.BooleanField(required=False)
    apdr_cycles = serializers.IntegerField(required=False, min_value=0, max_value=100)
    provision_map = serializers.BooleanField(required=False)
    costed_provision = serializers.BooleanField(required=False)
    progress_data = serializers.BooleanField(required=False)
    attainment_summary = serializers.CharField(max_length=limits.LONG_TEXT, required=False, allow_blank=True)
    other_agencies = serializers.CharField(max_length=limits.REASON_TEXT, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=limits.REASON_TEXT, required=False, allow_blank=True)
    recommendation = serializers.ChoiceField(choices=Recommendation.choices, required=False, allow_blank=True)
    complete = serializers.BooleanField(default=False)


_REASON_CODES = sorted({*workflow.S36_ASSESS_REASONS, *workflow.S36_REFUSAL_REASONS})


class DecideAssessmentSerializer(serializers.Serializer[dict[str, Any]]):
    outcome = serializers.ChoiceField(choices=[DecisionOutcome.ASSESS.value, DecisionOutcome.REFUSE.value])
    notified_on = _date(error_messages=_required(Action.DECIDE_TO_ASSESS, "notified_on"))
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=_REASON_CODES), required=False, default=list, max_length=10
    )
    reasons_text = serializers.CharField(max_length=limits.LONG_TEXT, required=False, allow_blank=True, default="")
    rights_text_sent = serializers.BooleanField(default=False)
    sen_support_advice = serializers.CharField(
        max_length=limits.LONG_TEXT, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # One list holds the reasons of either kind: those of the other kind are an error, named.
        reasons = attrs.get("reasons", [])
        errors = workflow.decision_reason_errors(attrs["outcome"], assess_reasons=reasons, refusal_reasons=reasons)
        wrong = errors.get("refusal_reasons" if attrs["outcome"] == DecisionOutcome.ASSESS else "assess_reasons")
        if wrong:
            raise serializers.ValidationError({"reasons": [wrong.replace("Untick", "Remove")]})
        return attrs


class AdviceRequestInputSerializer(serializers.Serializer[dict[str, Any]]):
    adviser_type = serializers.ChoiceField(
        choices=AdviserType.choices, error_messages=_required(Action.REQUEST_ADVICE, "adviser_type")
    )
    addressee = serializers.CharField(max_length=200, error_messages=_required(Action.REQUEST_ADVICE, "addressee"))
    requested_on = _date(error_messages=_required(Action.REQUEST_ADVICE, "requested_on"))


class DecideIssueSerializer(serializers.Serializer[dict[str, Any]]):
    outcome = serializers.ChoiceField(choices=[DecisionOutcome.ISSUE.value, DecisionOutcome.NOT_ISSUE.value])
    notified_on = _date(error_messages=_required(Action.DECIDE_TO_ISSUE, "notified_on"))
    reasons_text = serializers.CharField(max_length=limits.LONG_TEXT, required=False, allow_blank=True, default="")
    rights_text_sent = serializers.BooleanField(default=False)
    advice_not_sought_reason = serializers.ChoiceField(
        choices=list(workflow.ADVICE_NOT_SOUGHT_REASONS.items()),
        required=False,
        allow_blank=True,
        default="",
        help_text="For a decision not to issue with no advice requested: why none was needed (reg 6(4))",
    )


class IssueDraftSerializer(serializers.Serializer[dict[str, Any]]):
    issued_on = _date(error_messages=_required(Action.ISSUE_DRAFT, "issued_on"))


class FamilyCommentsSerializer(serializers.Serializer[dict[str, Any]]):
    received_on = _date(error_messages=_required(Action.RECORD_FAMILY_COMMENTS, "received_on"))


class IssueFinalSerializer(serializers.Serializer[dict[str, Any]]):
    issued_on = _date(error_messages=_required(Action.ISSUE_FINAL, "issued_on"))
    named_establishment_id = RelatedIdField(
        source="named_establishment",
        queryset=Establishment.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    placement_type = serializers.ChoiceField(
        choices=PlacementType.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Leave out to name the placement as the establishment's type (a special academy as a special "
        "academy); a type that does not match the establishment is refused",
    )


class ExceptionInputSerializer(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(
        choices=ExceptionKind.choices, error_messages=_required(Action.ADD_EXCEPTION, "kind")
    )
    start = _date(error_messages=_required(Action.ADD_EXCEPTION, "start"))
    end = _date(error_messages=_required(Action.ADD_EXCEPTION, "end"))
    evidence = serializers.CharField(
        max_length=limits.REASON_TEXT, error_messages=_required(Action.ADD_EXCEPTION, "evidence")
    )
    advice_request_id = RelatedIdField(
        source="advice_request",
        queryset=AdviceRequest.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Set when the exception is against one advice deadline rather than the request's",
    )


class ExceptionRemoveSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(
        max_length=limits.REASON_TEXT, error_messages=_required(Action.REMOVE_EXCEPTION, "reason")
    )


class WithdrawSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=limits.REASON_TEXT, error_messages=_required(Action.WITHDRAW, "reason"))
    withdrawn_on = _date(error_messages=_required(Action.WITHDRAW, "withdrawn_on"))


class ReopenSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=limits.REASON_TEXT, error_messages=_required(Action.REOPEN, "reason"))


class ReferToPanelSerializer(serializers.Serializer[dict[str, Any]]):
    note = serializers.CharField(max_length=limits.REASON_TEXT, required=False, allow_blank=True, default="")


class AdviceReceivedSerializer(serializers.Serializer[dict[str, Any]]):
    received_on = _date(error_messages=_required(Action.RECORD_ADVICE, "received_on"))
    notes = serializers.CharField(max_length=limits.REASON_TEXT, required=False, allow_blank=True, default="")


class AdviceCancelSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(
        max_length=limits.REASON_TEXT, error_messages=_required(Action.CANCEL_ADVICE, "reason")
    )


class NoBodySerializer(serializers.Serializer[dict[str, Any]]):
    """An action that takes no input: any field sent is reported as unknown (core.viewsets)."""
