"""Serializers for the panel API: explicit fields, output shapes and small input shapes.

Input serializers check the shape of a request body only; ``panels.services`` applies the rules.
No serializer here shows a child's name, date of birth or UPN: the panel API identifies a
child by initials, age, district and need (the minimised identity head teachers may see), and
the request id for officers who need the full file (the requests API, with its own access rules).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import limits
from core.models import Establishment, NeedType
from core.viewsets import IdField
from panels import selectors, workflow
from panels.models import (
    ANSWER_CHOICES,
    COST_CATEGORY_CHOICES,
    MEETING_STATUS_CHOICES,
    NATURE_CHOICES,
    OUTCOME_CHOICES,
    REFERRAL_KIND_CHOICES,
    REFERRAL_STATUS_CHOICES,
    AgendaItem,
    AgendaItemStatus,
    Attendance,
    MinutesStatus,
    PanelDecision,
    PanelMeeting,
    PanelMinutes,
    Referral,
    ReferralCostLine,
    ReferralOption,
)

MAX_PENCE = 2**31 - 1


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return IdField(**kwargs)


def _pence_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_PENCE, **kwargs)


class CodeField(serializers.ChoiceField):
    """A code from a fixed list, documented as a string listing the codes. (Not an OpenAPI enum:
    several of these share field names with other apps' choice sets, and naming shared enums is
    settled in ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``, which this app does not own.)"""

    def __init__(self, choices: Any, **kwargs: Any):
        kwargs.setdefault("help_text", "One of: " + ", ".join(f"`{value}`" for value, _ in choices))
        super().__init__(choices=choices, **kwargs)


class CodeFieldExtension(OpenApiSerializerFieldExtension):
    """A ``CodeField`` in a request body declares its codes as a pattern, so a client (and
    schemathesis) knows what is accepted without a named enum; in a response it is a string."""

    target_class = "panels.api.serializers.CodeField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if direction == "request":
            codes = [re.escape(str(value)) for value in self.target.choices]
            if getattr(self.target, "allow_blank", False):
                codes.append("")
            schema["pattern"] = "^(" + "|".join(codes) + ")$"
        return schema


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "10:00"})
class ClockTimeField(serializers.TimeField):
    """A local clock time as ``HH:MM``. (OpenAPI's ``time`` format is RFC 3339's, which needs
    a UTC offset that a meeting's start time does not have.)"""

    def __init__(self, **kwargs: Any):
        super().__init__(format="%H:%M", **kwargs)


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


# --- Shared shapes -------------------------------------------------------------------------------


class PanelEstablishmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Establishment
        fields = ["id", "urn", "name"]
        read_only_fields = fields


class MinimisedChildSerializer(serializers.Serializer):
    """What a head teacher on the panel may know of a child (docs/architecture.md §1)."""

    initials = serializers.CharField()
    age = serializers.IntegerField()
    district = serializers.CharField()
    primary_need = serializers.ChoiceField(choices=NeedType.choices)


class MissingSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


# --- Cost intelligence ---------------------------------------------------------------------------


class BenchmarkSerializer(serializers.Serializer):
    """Agreed annual amounts (pence) of the same kind of cost at other providers, for children with
    the same primary need; figures only. All null when ``n`` is 0."""

    n = serializers.IntegerField(help_text="How many agreed lines were compared")
    min_pence = serializers.IntegerField(allow_null=True)
    lower_quartile_pence = serializers.IntegerField(allow_null=True)
    median_pence = serializers.IntegerField(allow_null=True)
    upper_quartile_pence = serializers.IntegerField(allow_null=True)
    max_pence = serializers.IntegerField(allow_null=True)


COST_FLAG_HELP = (
    "Why the amount stands out: `above_upper_quartile`, `above_range`, `below_range` "
    "(none with fewer than 3 comparisons)"
)


class ProviderInspectionSerializer(serializers.Serializer):
    ofsted_grade = serializers.CharField(allow_blank=True, help_text="Blank when not known")
    ofsted_grade_label = serializers.CharField()
    ofsted_inspected_on = serializers.DateField(allow_null=True)
    s41_approved = serializers.BooleanField()
    below_good = serializers.BooleanField(help_text="The latest Ofsted grade is below Good: flagged")


# --- Referrals -----------------------------------------------------------------------------------


class ReferralOptionSerializer(serializers.ModelSerializer):
    establishment = PanelEstablishmentSerializer(read_only=True)
    above_maintained_average = serializers.SerializerMethodField(
        help_text='"2.1 times the maintained special school average" when the option costs more than the '
        "council's maintained special-school average per place; null otherwise"
    )

    class Meta:
        model = ReferralOption
        fields = ["id", "establishment", "meets_need", "reason", "annual_cost_pence", "above_maintained_average"]
        read_only_fields = fields

    def get_above_maintained_average(self, option: ReferralOption) -> str | None:
        return workflow.maintained_average_flag(option.annual_cost_pence, selectors.maintained_average_pence())


class ReferralCostLineSerializer(serializers.ModelSerializer):
    category = CodeField(choices=COST_CATEGORY_CHOICES, read_only=True)
    benchmark = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField(help_text=COST_FLAG_HELP)

    class Meta:
        model = ReferralCostLine
        fields = ["id", "category", "annual_amount_pence", "description", "benchmark", "flags"]
        read_only_fields = fields

    def _intelligence(self, obj: ReferralCostLine) -> dict[str, Any]:
        benchmarks = self.context.get("benchmarks")
        if benchmarks is None:
            benchmarks = selectors.line_benchmarks_for([obj.referral_id])
        return selectors.line_intelligence(obj.annual_amount_pence, benchmarks.get(obj.pk))

    @extend_schema_field(BenchmarkSerializer)
    def get_benchmark(self, obj: ReferralCostLine) -> dict[str, Any]:
        return dict(self._intelligence(obj)["benchmark"])

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_flags(self, obj: ReferralCostLine) -> list[str]:
        return list(self._intelligence(obj)["flags"])


class ReferralListSerializer(serializers.ModelSerializer):
    kind = CodeField(choices=REFERRAL_KIND_CHOICES, read_only=True)
    status = CodeField(choices=REFERRAL_STATUS_CHOICES, read_only=True)
    request_id = serializers.IntegerField(read_only=True)
    request_reference = serializers.CharField(source="request.reference", read_only=True)
    child = serializers.SerializerMethodField()
    proposed_establishment = PanelEstablishmentSerializer(read_only=True, allow_null=True)
    requested_annual_cost_pence = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()
    papers_access = serializers.SerializerMethodField(
        help_text="`full`; or, for a panel member, `minimised` (a head teacher: the child by initials, age, "
        "district and need, free text redacted) or `withheld` (recused: id and kind only). A member who is "
        "not given the full papers gets the same fields as the agenda pack, not these."
    )
    cost_flags = serializers.SerializerMethodField(
        help_text="Every flag any cost line raises against its benchmark (see the lines in the detail)"
    )
    maintained_average_pence = serializers.SerializerMethodField(
        help_text="The council's average annual cost of a maintained special-school place"
    )
    provider_inspection = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "papers_access",
            "request_id",
            "request_reference",
            "child",
            "kind",
            "status",
            "proposed_establishment",
            "referred_on",
            "requested_annual_cost_pence",
            "missing",
            "cost_flags",
            "maintained_average_pence",
            "provider_inspection",
            "fee_review_contract",
            "fee_review_current_pence",
            "fee_review_proposed_pence",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "fee_review_contract": {"help_text": "A fee review's referral: the contract's reference; else blank"},
            "fee_review_current_pence": {"help_text": "A fee review: the annual cost in force now"},
            "fee_review_proposed_pence": {"help_text": "A fee review: the agreed new annual figure awaiting approval"},
        }

    def to_representation(self, instance: Referral) -> dict[str, Any]:
        """The full fields, or what the pack gives a minimised or recused member: the one
        builder, ``selectors.referral_papers`` (the API shows no child's name in any case)."""
        access = self.context.get("papers_access", {}).get(instance.pk, workflow.PapersAccess.FULL)
        if access is workflow.PapersAccess.FULL:
            return dict(super().to_representation(instance))
        papers = selectors.referral_papers(
            instance,
            access=access,
            today=self.context.get("today") or timezone.localdate(),
            benchmarks=self.context.get("benchmarks"),
        )
        papers.pop("referral_id")
        return {"id": instance.pk, "status": instance.status, **papers}

    def get_papers_access(self, obj: Referral) -> str:
        return workflow.PapersAccess.FULL.value

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_cost_flags(self, obj: Referral) -> list[str]:
        benchmarks = self.context.get("benchmarks")
        if benchmarks is None:
            benchmarks = selectors.line_benchmarks_for([obj.pk])
        flags: dict[str, None] = {}
        for line in obj.cost_lines.all():
            flags.update(
                dict.fromkeys(selectors.line_intelligence(line.annual_amount_pence, benchmarks.get(line.pk))["flags"])
            )
        return list(flags)

    def get_maintained_average_pence(self, obj: Referral) -> int:
        return selectors.maintained_average_pence()

    @extend_schema_field(ProviderInspectionSerializer(allow_null=True))
    def get_provider_inspection(self, obj: Referral) -> dict[str, Any] | None:
        return selectors.provider_inspection(obj.proposed_establishment)

    @extend_schema_field(MinimisedChildSerializer)
    def get_child(self, obj: Referral) -> dict[str, Any]:
        child = obj.request.child
        facts = workflow.ChildFacts(
            forename=child.forename,
            surname=child.surname,
            date_of_birth=child.date_of_birth,
            district=child.district.name,
            primary_need=child.primary_need,
        )
        return workflow.minimised_child(facts, self.context.get("today") or timezone.localdate())

    def get_requested_annual_cost_pence(self, obj: Referral) -> int:
        return selectors.requested_total(obj)

    @extend_schema_field(MissingSerializer(many=True))
    def get_missing(self, obj: Referral) -> list[dict[str, str]]:
        if obj.status != workflow.ReferralStatus.AWAITING_PANEL:
            return []
        return [{"field": field, "message": message} for field, message in selectors.missing_for(obj)]


class ReferralDetailSerializer(ReferralListSerializer):
    parental_preference_establishment = PanelEstablishmentSerializer(read_only=True, allow_null=True)
    options = ReferralOptionSerializer(many=True, read_only=True)
    cost_lines = ReferralCostLineSerializer(many=True, read_only=True)
    evidence = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(ReferralListSerializer.Meta):
        fields = [
            *ReferralListSerializer.Meta.fields,
            "parental_preference",
            "parental_preference_establishment",
            "needs_summary",
            "options",
            "cost_lines",
            "evidence",
            "notes",
        ]
        read_only_fields = fields


class OptionInputSerializer(serializers.Serializer):
    establishment_id = _id_field()
    meets_need = serializers.BooleanField()
    reason = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True, required=False, default="")
    annual_cost_pence = _pence_field(allow_null=True, required=False, default=None)


class CostLineInputSerializer(serializers.Serializer):
    category = CodeField(choices=COST_CATEGORY_CHOICES)
    annual_amount_pence = _pence_field()
    description = serializers.CharField(allow_blank=True, required=False, default="", max_length=200)


class _ReferralFieldsSerializer(serializers.Serializer):
    proposed_establishment_id = _id_field(allow_null=True, required=False)
    parental_preference = serializers.CharField(max_length=limits.LONG_TEXT, allow_blank=True, required=False)
    parental_preference_establishment_id = _id_field(allow_null=True, required=False)
    needs_summary = serializers.CharField(max_length=limits.LONG_TEXT, allow_blank=True, required=False)
    options = OptionInputSerializer(many=True, required=False, max_length=limits.LIST_ITEMS)
    cost_lines = CostLineInputSerializer(many=True, required=False, max_length=limits.LIST_ITEMS)
    evidence = serializers.ListField(
        child=serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True),
        required=False,
        max_length=limits.LIST_ITEMS,
    )
    notes = serializers.CharField(max_length=limits.LONG_TEXT, allow_blank=True, required=False)


class ReferralCreateSerializer(_ReferralFieldsSerializer):
    """A referral may be saved incomplete; ``missing`` in the answer says what it lacks."""

    request_id = _id_field()
    kind = CodeField(choices=REFERRAL_KIND_CHOICES)


class ReferralUpdateSerializer(_ReferralFieldsSerializer):
    """Only the fields sent change; ``options`` and ``cost_lines``, when sent, replace the lists."""

    kind = CodeField(choices=REFERRAL_KIND_CHOICES, required=False)


# --- Meetings ------------------------------------------------------------------------------------


class MeetingListSerializer(serializers.ModelSerializer):
    status = CodeField(choices=MEETING_STATUS_CHOICES, read_only=True)
    starts_at = ClockTimeField(read_only=True)
    chair = serializers.SerializerMethodField()
    item_count = serializers.IntegerField(read_only=True, help_text="Items on the agenda, not counting withdrawn ones")

    class Meta:
        model = PanelMeeting
        fields = ["id", "held_on", "starts_at", "location", "status", "chair", "item_count"]
        read_only_fields = fields

    def get_chair(self, obj: PanelMeeting) -> str:
        return _person(obj.chair)


class PanelDecisionSerializer(serializers.ModelSerializer):
    outcome = CodeField(choices=OUTCOME_CHOICES, read_only=True)
    suitable_answer = CodeField(choices=ANSWER_CHOICES, read_only=True)
    compatible_answer = CodeField(choices=ANSWER_CHOICES, read_only=True)
    resources_answer = CodeField(choices=ANSWER_CHOICES, read_only=True)
    item_id = serializers.IntegerField(read_only=True)
    deferred_to_id = serializers.IntegerField(read_only=True, allow_null=True)
    chaired_by_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Who took the item: the chair, or a vice-chair in their place"
    )
    participant_ids = serializers.SerializerMethodField()

    class Meta:
        model = PanelDecision
        fields = [
            "id",
            "item_id",
            "outcome",
            "suitable_answer",
            "suitable_text",
            "compatible_answer",
            "compatible_text",
            "resources_answer",
            "resources_text",
            "requested_annual_cost_pence",
            "maintained_alternative_cost_pence",
            "agreed_annual_ceiling_pence",
            "ceiling_reason",
            "conditions",
            "reasons_text",
            "deferred_to_id",
            "participant_ids",
            "chaired_by_id",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_participant_ids(self, obj: PanelDecision) -> list[int]:
        return sorted(m.pk for m in obj.participants.all())


class AgendaItemSerializer(serializers.ModelSerializer):
    status = CodeField(choices=AgendaItemStatus.choices, read_only=True)
    meeting_id = serializers.IntegerField(read_only=True)
    referral_id = serializers.IntegerField(read_only=True)
    kind = CodeField(source="referral.kind", choices=REFERRAL_KIND_CHOICES, read_only=True)
    deferred_to_id = serializers.IntegerField(read_only=True, allow_null=True)
    recused_member_ids = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField(
        help_text="Null until decided, and for a member recused from the item (its papers are withheld)"
    )

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "meeting_id",
            "position",
            "status",
            "referral_id",
            "kind",
            "withdrawn_reason",
            "deferred_to_id",
            "recused_member_ids",
            "decision",
        ]
        read_only_fields = fields

    def get_recused_member_ids(self, obj: AgendaItem) -> list[int]:
        return sorted(d.member_id for d in obj.declarations.all() if d.recused)

    @extend_schema_field(PanelDecisionSerializer(allow_null=True))
    def get_decision(self, obj: AgendaItem) -> dict[str, Any] | None:
        access = self.context.get("papers_access", {}).get(obj.referral_id, workflow.PapersAccess.FULL)
        if access is workflow.PapersAccess.WITHHELD:
            return None
        decision = next(iter(obj.decisions.all()), None)
        return None if decision is None else PanelDecisionSerializer(decision, context=self.context).data


class AttendanceSerializer(serializers.ModelSerializer):
    member_id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()
    member_type = serializers.CharField(source="member.member_type", read_only=True)

    class Meta:
        model = Attendance
        fields = ["member_id", "name", "member_type", "present"]
        read_only_fields = fields

    def get_name(self, obj: Attendance) -> str:
        return _person(obj.member.user)


class MinutesSerializer(serializers.ModelSerializer):
    status = CodeField(choices=MinutesStatus.choices, read_only=True)
    meeting_id = serializers.IntegerField(read_only=True)
    approved_by = serializers.SerializerMethodField()

    class Meta:
        model = PanelMinutes
        fields = ["id", "meeting_id", "status", "body", "generated_at", "approved_by", "approved_at"]
        read_only_fields = fields

    def get_approved_by(self, obj: PanelMinutes) -> str | None:
        return _person(obj.approved_by) if obj.approved_by else None


class MeetingDetailSerializer(MeetingListSerializer):
    items = AgendaItemSerializer(many=True, read_only=True)
    attendance = AttendanceSerializer(many=True, read_only=True)
    minutes = serializers.SerializerMethodField()

    class Meta(MeetingListSerializer.Meta):
        fields = [*MeetingListSerializer.Meta.fields, "items", "attendance", "minutes"]
        read_only_fields = fields

    @extend_schema_field(MinutesSerializer(allow_null=True))
    def get_minutes(self, obj: PanelMeeting) -> dict[str, Any] | None:
        minutes = getattr(obj, "minutes", None)
        return None if minutes is None else MinutesSerializer(minutes, context=self.context).data


class MeetingCreateSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    starts_at = serializers.TimeField()
    location = serializers.CharField(max_length=200)


class AgendaAddSerializer(serializers.Serializer):
    referral_id = _id_field()


class AgendaWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=limits.REASON_TEXT)


class DeclarationInputSerializer(serializers.Serializer):
    nature = CodeField(choices=NATURE_CHOICES)
    interest = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True, required=False, default="")
    recused = serializers.BooleanField(required=False, default=False)


class DeclarationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    member_id = serializers.IntegerField()
    nature = CodeField(choices=NATURE_CHOICES)
    interest = serializers.CharField()
    recused = serializers.BooleanField()
    automatic = serializers.BooleanField()
    declared_at = serializers.DateTimeField()


class AttendanceInputSerializer(serializers.Serializer):
    present_member_ids = serializers.ListField(child=_id_field(), allow_empty=True)


class AttendanceCorrectSerializer(serializers.Serializer):
    member_id = _id_field()
    present = serializers.BooleanField()
    reason = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True)


class DeclarationCorrectSerializer(serializers.Serializer):
    member_id = _id_field(help_text="The member whose declaration on this item the chair corrects")
    nature = CodeField(choices=NATURE_CHOICES)
    interest = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True, required=False, default="")
    recused = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True)


class AgendaDeferSerializer(serializers.Serializer):
    deferred_to_id = _id_field(allow_null=True)
    reason = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True)


class DecisionInputSerializer(serializers.Serializer):
    outcome = CodeField(choices=OUTCOME_CHOICES)
    suitable_answer = CodeField(choices=ANSWER_CHOICES)
    suitable_text = serializers.CharField(max_length=limits.LONG_TEXT, allow_blank=True, required=False, default="")
    compatible_answer = CodeField(choices=ANSWER_CHOICES)
    compatible_text = serializers.CharField(max_length=limits.LONG_TEXT, allow_blank=True, required=False, default="")
    resources_answer = CodeField(choices=ANSWER_CHOICES)
    resources_text = serializers.CharField(max_length=limits.LONG_TEXT, allow_blank=True, required=False, default="")
    reasons_text = serializers.CharField(max_length=limits.LONG_TEXT, allow_blank=True)
    maintained_alternative_cost_pence = _pence_field(allow_null=True, required=False, default=None)
    agreed_annual_ceiling_pence = _pence_field(allow_null=True, required=False, default=None)
    ceiling_reason = serializers.CharField(
        max_length=limits.REASON_TEXT,
        allow_blank=True,
        required=False,
        default="",
        help_text="Required when the ceiling is below the lowest costed option or more than "
        f"{workflow.CEILING_MARGIN_ABOVE_REQUEST_PERCENT}% above the requested cost",
    )
    conditions = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True, required=False, default="")
    deferred_to_id = _id_field(allow_null=True, required=False, default=None)
    participant_ids = serializers.ListField(
        child=_id_field(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Members taking part; leave out for everyone present and not recused",
    )
    note = serializers.CharField(max_length=limits.REASON_TEXT, allow_blank=True, required=False, default="")


# --- The pack ------------------------------------------------------------------------------------


class PackMeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    held_on = serializers.DateField()
    starts_at = serializers.CharField()
    location = serializers.CharField()
    status = CodeField(choices=MEETING_STATUS_CHOICES)


class PackViewerSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(allow_null=True)
    member_type = serializers.CharField(allow_null=True)
    minimised = serializers.BooleanField(help_text="True for head teachers: the child is shown by initials only")


class PackChildSerializer(MinimisedChildSerializer):
    name = serializers.CharField(required=False, help_text="Not shown to head teachers")


class PackDeclarationSerializer(serializers.Serializer):
    member_id = serializers.IntegerField()
    member = serializers.CharField()
    member_type = serializers.CharField()
    nature = CodeField(choices=NATURE_CHOICES)
    interest = serializers.CharField(allow_blank=True)
    recused = serializers.BooleanField()
    automatic = serializers.BooleanField()


class PackOptionSerializer(serializers.Serializer):
    establishment = PanelEstablishmentSerializer()
    meets_need = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    annual_cost_pence = serializers.IntegerField(allow_null=True)
    above_maintained_average = serializers.CharField(
        allow_null=True,
        help_text='"2.1 times the maintained special school average" when the option costs more than the '
        "council's maintained special-school average per place; null otherwise",
    )


class PackCostLineSerializer(serializers.Serializer):
    category = CodeField(choices=COST_CATEGORY_CHOICES)
    annual_amount_pence = serializers.IntegerField()
    description = serializers.CharField(allow_blank=True)
    benchmark = BenchmarkSerializer()
    flags = serializers.ListField(child=serializers.CharField(), help_text=COST_FLAG_HELP)
    flag_labels = serializers.ListField(child=serializers.CharField())


class PackItemSerializer(serializers.Serializer):
    """One agenda item. A member recused from it gets only the first block (papers withheld)."""

    item_id = serializers.IntegerField()
    position = serializers.IntegerField()
    status = CodeField(choices=AgendaItemStatus.choices)
    referral_id = serializers.IntegerField()
    kind = CodeField(choices=REFERRAL_KIND_CHOICES)
    kind_label = serializers.CharField()
    declarations = PackDeclarationSerializer(many=True)
    recused_member_ids = serializers.ListField(child=serializers.IntegerField())
    you_are_recused = serializers.BooleanField()
    papers_access = serializers.CharField(help_text="`full`, `minimised` or `withheld`")
    papers_withheld = serializers.BooleanField()
    child = PackChildSerializer(required=False)
    needs_summary = serializers.CharField(required=False, allow_blank=True)
    proposed_establishment = PanelEstablishmentSerializer(required=False, allow_null=True)
    parental_preference = serializers.CharField(required=False, allow_blank=True)
    parental_preference_establishment = PanelEstablishmentSerializer(required=False, allow_null=True)
    options = PackOptionSerializer(many=True, required=False)
    cost_lines = PackCostLineSerializer(many=True, required=False)
    requested_annual_cost_pence = serializers.IntegerField(required=False)
    maintained_average_pence = serializers.IntegerField(required=False)
    provider_inspection = ProviderInspectionSerializer(required=False, allow_null=True)
    evidence = serializers.ListField(child=serializers.CharField(), required=False)


class PackSerializer(serializers.Serializer):
    meeting = PackMeetingSerializer()
    viewer = PackViewerSerializer()
    items = PackItemSerializer(many=True)


# --- Figures -------------------------------------------------------------------------------------


class FiguresQuerySerializer(serializers.Serializer):
    from_ = serializers.DateField(required=False, help_text="First day (default: a year before `to`)")
    to = serializers.DateField(required=False, help_text="Last day, inclusive (default: today)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        date_to = attrs.get("to") or timezone.localdate()
        date_from = attrs.get("from_") or date_to - timedelta(days=365)
        # A start after the end is a range with no days in it (every figure 0), not a refusal:
        # OpenAPI cannot state a rule across two parameters (docs/security.md).
        return {"date_from": date_from, "date_to": date_to}


class FiguresSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    referrals_received = serializers.IntegerField()
    decided = serializers.IntegerField(help_text="Final outcomes (approve, approve with conditions, decline)")
    approved = serializers.IntegerField()
    approval_rate = serializers.FloatField(allow_null=True)
    cost_requested_pence = serializers.IntegerField()
    cost_requested_approved_pence = serializers.IntegerField()
    cost_agreed_pence = serializers.IntegerField()
    mean_days_to_decision = serializers.FloatField(allow_null=True)
    median_days_to_decision = serializers.FloatField(allow_null=True, help_text="PostgreSQL only")
    by_outcome = serializers.DictField(child=serializers.IntegerField())
