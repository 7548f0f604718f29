"""Page forms for the placement panel.

Forms parse and shape input only (pounds to pence, dates, ticked boxes); the rules about what
may happen live in ``panels.services`` and ``panels.workflow``, whose domain errors are put
back on these forms so the GOV.UK error summary shows them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from core import limits
from core.forms import GovukDateField, GovukForm
from core.models import Establishment, EstablishmentType
from panels import workflow
from panels.models import (
    ANSWER_CHOICES,
    COST_CATEGORY_CHOICES,
    NATURE_CHOICES,
    OUTCOME_CHOICES,
    REFERRAL_KIND_CHOICES,
    PanelMeeting,
    PanelMember,
    Referral,
)
from requests_app.forms import RemappedErrorsMixin

# Free text in a referral goes into every member's agenda pack, head teachers' included.
PACK_TEXT_WARNING = (
    "This appears in the agenda pack that panel members, including head teachers from other schools, "
    "read. Do not include the child's or family's names."
)
# Maintained and academy settings the panel weighs an independent placement against.
MAINTAINED_TYPES = [
    EstablishmentType.MAINSTREAM_MAINTAINED,
    EstablishmentType.MAINSTREAM_ACADEMY,
    EstablishmentType.SPECIAL_MAINTAINED,
    EstablishmentType.SPECIAL_ACADEMY,
    EstablishmentType.FURTHER_EDUCATION,
]
OPTION_ROWS = 3
MAX_POUNDS = Decimal("10000000")  # well inside the pence columns (PositiveIntegerField)


# --- Money ---------------------------------------------------------------------------------------


class PoundsInput(forms.TextInput):
    """A text input with the GOV.UK "£" prefix."""

    template_name = "panels/widgets/pounds.html"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(
            {
                "class": "govuk-input govuk-input--width-10",
                "inputmode": "decimal",
                "spellcheck": "false",
                "autocomplete": "off",
                **(attrs or {}),
            }
        )


class PoundsField(forms.Field):
    """An amount typed in pounds (commas and a "£" allowed), cleaned to whole pence."""

    widget = PoundsInput

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def _name(self) -> str:
        return str(self.label or "The amount")

    def to_python(self, value: Any) -> int | None:
        text = str(value if value is not None else "").strip().replace(",", "").replace(" ", "")
        text = text.removeprefix("£")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise forms.ValidationError(f"{self._name()} must be an amount in pounds, like 45000 or 45000.50")
        if amount < 0:
            raise forms.ValidationError(f"{self._name()} must be £0 or more")
        if amount != amount.quantize(Decimal("0.01")):
            raise forms.ValidationError(f"{self._name()} must not have more than 2 decimal places")
        if amount > MAX_POUNDS:
            raise forms.ValidationError(f"{self._name()} must be £{MAX_POUNDS:,} or less")
        return int(amount * 100)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value / 100:.2f}"
        return value


# --- Choices -------------------------------------------------------------------------------------


class EstablishmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Establishment) -> str:
        return f"{obj.name} ({obj.get_type_group_display()})"


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: PanelMember) -> str:
        name = obj.user.get_full_name() or obj.user.get_username()
        label = f"{name} – {obj.get_member_type_display()}"
        if obj.establishment_id:
            label += f", {obj.establishment.name}"
        return label


def _radio(choices: list[tuple[str, str]]) -> forms.RadioSelect:
    return forms.RadioSelect(choices=choices)


def _text(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# --- Referrals -----------------------------------------------------------------------------------


COST_FIELDS = {category: f"cost_{category}" for category, _ in COST_CATEGORY_CHOICES}


class ReferralForm(RemappedErrorsMixin, GovukForm):
    kind = forms.ChoiceField(
        label="What is the panel asked to agree?",
        choices=REFERRAL_KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of referral"},
    )
    proposed_establishment = EstablishmentChoiceField(
        label="Proposed school or college",
        queryset=Establishment.objects.none(),
        required=False,
        empty_label="Select a school or college",
        help_text="Independent and non-maintained special schools and specialist post-16 institutions. "
        "Needed for a placement.",
    )
    parental_preference = forms.CharField(
        label="What the parents or young person prefer",
        widget=_text(),
        required=False,
        help_text=PACK_TEXT_WARNING,
    )
    parental_preference_establishment = EstablishmentChoiceField(
        label="School or college they prefer",
        queryset=Establishment.objects.none(),
        required=False,
        empty_label="None named",
    )
    needs_summary = forms.CharField(
        label="Summary of the child's needs", widget=_text(6), required=False, help_text=PACK_TEXT_WARNING
    )
    evidence = forms.CharField(
        label="Supporting evidence",
        widget=_text(),
        required=False,
        help_text="One document a line, for example EP report, March 2025. Do not include names.",
    )
    notes = forms.CharField(label="Notes for the panel", widget=_text(3), required=False, help_text=PACK_TEXT_WARNING)
    cost_other_description = forms.CharField(label="What the other cost is for", max_length=200, required=False)

    # The service's error keys, renamed to this form's fields (the rest go in the summary).
    error_field_map = {"cost_lines": COST_FIELDS[workflow.CostCategory.TUITION.value]}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["proposed_establishment"].queryset = Establishment.objects.open().independent_or_non_maintained()
        self.fields["parental_preference_establishment"].queryset = Establishment.objects.open()
        for category, label in COST_CATEGORY_CHOICES:
            self.fields[COST_FIELDS[category]] = PoundsField(label=f"{label} per year")
        # Keep the description after the amounts.
        self.fields["cost_other_description"] = self.fields.pop("cost_other_description")
        self.order_fields([*self.fields])

    @property
    def cost_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in COST_FIELDS.values()]

    def referral_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "proposed_establishment": data["proposed_establishment"],
            "parental_preference": data["parental_preference"],
            "parental_preference_establishment": data["parental_preference_establishment"],
            "needs_summary": data["needs_summary"],
            "evidence": data["evidence"].splitlines(),
            "notes": data["notes"],
        }

    def cost_lines(self) -> list[dict[str, Any]]:
        lines = []
        for category, name in COST_FIELDS.items():
            amount = self.cleaned_data.get(name)
            if amount is None:
                continue
            description = self.cleaned_data["cost_other_description"] if category == workflow.CostCategory.OTHER else ""
            lines.append({"category": category, "annual_amount_pence": amount, "description": description})
        return lines

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("cost_other_description") and data.get(COST_FIELDS[workflow.CostCategory.OTHER.value]) is None:
            self.add_error(
                COST_FIELDS[workflow.CostCategory.OTHER.value],
                "Enter the other cost per year, or remove its description",
            )
        return data

    @classmethod
    def initial_for(cls, referral: Referral) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": referral.kind,
            "proposed_establishment": referral.proposed_establishment_id,
            "parental_preference": referral.parental_preference,
            "parental_preference_establishment": referral.parental_preference_establishment_id,
            "needs_summary": referral.needs_summary,
            "evidence": "\n".join(referral.evidence),
            "notes": referral.notes,
        }
        for line in referral.cost_lines.all():
            name = COST_FIELDS[line.category]
            initial[name] = initial.get(name, 0) + line.annual_amount_pence
            if line.category == workflow.CostCategory.OTHER and line.description:
                initial["cost_other_description"] = line.description
        return initial


class OptionForm(GovukForm):
    """One maintained or academy option considered. A row left blank is ignored."""

    establishment = EstablishmentChoiceField(
        label="School or college", queryset=Establishment.objects.none(), required=False, empty_label="Select a school"
    )
    meets_need = forms.ChoiceField(
        label="Can it meet the child's needs?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        required=False,
    )
    reason = forms.CharField(
        label="Why it can or cannot meet need", widget=_text(3), required=False, help_text=PACK_TEXT_WARNING
    )
    annual_cost = PoundsField(label="Annual cost of a place")

    def __init__(self, *args: Any, number: int, **kwargs: Any):
        super().__init__(*args, prefix=f"option-{number}", **kwargs)
        self.number = number
        self.fields["establishment"].queryset = Establishment.objects.open().filter(type_group__in=MAINTAINED_TYPES)
        self.fields["annual_cost"].label = f"Annual cost of a place at option {number}"
        # Labels stay short on the page; the legend says which option.
        self.show_optional = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        filled = any(
            data.get(name) not in (None, "") for name in ("establishment", "meets_need", "reason", "annual_cost")
        )
        if filled and data.get("establishment") is None:
            self.add_error("establishment", f"Select the school for option {self.number}, or clear the option")
        if data.get("establishment") is not None and not data.get("meets_need"):
            self.add_error("meets_need", f"Say whether option {self.number} can meet the child's needs")
        return data

    def option(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("establishment") is None:
            return None
        return {
            "establishment": data["establishment"],
            "meets_need": data["meets_need"] == "yes",
            "reason": data["reason"],
            "annual_cost_pence": data["annual_cost"],
        }


def option_forms(data: Any = None, referral: Referral | None = None) -> list[OptionForm]:
    """The fixed option rows, filled from the referral's options when editing."""
    existing = list(referral.options.all()) if referral is not None else []
    rows = max(OPTION_ROWS, len(existing))
    forms_: list[OptionForm] = []
    for index in range(rows):
        initial: dict[str, Any] = {}
        if index < len(existing):
            option = existing[index]
            initial = {
                "establishment": option.establishment_id,
                "meets_need": "yes" if option.meets_need else "no",
                "reason": option.reason,
                "annual_cost": option.annual_cost_pence,
            }
        forms_.append(OptionForm(data, number=index + 1, initial=initial))
    return forms_


# --- Meetings ------------------------------------------------------------------------------------


class MeetingForm(RemappedErrorsMixin, GovukForm):
    held_on = GovukDateField(
        label="Date of the meeting",
        help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date of the meeting"},
    )
    starts_at = forms.TimeField(
        label="Start time",
        help_text="Use the 24-hour clock, for example 10:00 or 14:30",
        input_formats=["%H:%M", "%H.%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"class": "govuk-input govuk-input--width-5"}),
        error_messages={
            "required": "Enter the time the meeting starts",
            "invalid": "Enter the start time on the 24-hour clock, like 10:00 or 14:30",
        },
    )
    location = forms.CharField(
        label="Where the meeting is held",
        max_length=200,
        error_messages={"required": "Enter where the meeting is held"},
        help_text="For example, Room 2, Sessions House, Maidstone, or Online (Teams)",
    )


class ReasonForm(GovukForm):
    reason = forms.CharField(
        label="Why is the item being withdrawn?",
        widget=_text(),
        error_messages={"required": "Enter why the item is being withdrawn"},
        help_text="This is recorded in the minutes.",
    )


class DeferForm(GovukForm):
    deferred_to = forms.ModelChoiceField(
        label="Meeting the item is deferred to",
        queryset=PanelMeeting.objects.none(),
        empty_label="Select a later meeting",
        error_messages={"required": "Select the meeting the item is deferred to"},
        help_text="A later meeting whose papers have not gone out. The item goes onto its agenda.",
    )
    reason = forms.CharField(
        label="Why is the item being deferred?",
        widget=_text(),
        error_messages={"required": "Enter why the item is being deferred"},
        help_text="For example, the chair made this referral and no vice-chair is present. Recorded in the minutes.",
    )

    def __init__(self, *args: Any, later: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["deferred_to"].queryset = later
        self.fields["deferred_to"].label_from_instance = _meeting_label


class AttendanceCorrectForm(RemappedErrorsMixin, GovukForm):
    member = forms.ModelChoiceField(
        label="Member",
        queryset=PanelMember.objects.none(),
        empty_label="Select a member",
        error_messages={"required": "Select the member whose attendance is being corrected"},
    )
    present = forms.TypedChoiceField(
        label="Were they present?",
        choices=[("yes", "Present"), ("no", "Absent (apologies)")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the member was present"},
    )
    reason = forms.CharField(
        label="Why is the attendance being corrected?",
        widget=_text(3),
        error_messages={"required": "Enter why the attendance is being corrected"},
        help_text="Recorded in the minutes. Decisions already recorded keep the quorum they were taken with.",
    )
    error_field_map = {"member_id": "member"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = PanelMember.objects.active().select_related("user")
        self.fields["member"].label_from_instance = str


class DeclarationCorrectForm(GovukForm):
    nature = forms.ChoiceField(
        label="What is the member's interest?",
        choices=NATURE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the nature of the interest"},
    )
    interest = forms.CharField(label="Describe the interest", widget=_text(3), required=False)
    recused = forms.BooleanField(label="The member leaves the item (recused)", required=False)
    reason = forms.CharField(
        label="Why is the declaration being corrected?",
        widget=_text(3),
        error_messages={"required": "Enter why the declaration is being corrected"},
        help_text="Recorded in the minutes.",
    )


class AttendanceForm(RemappedErrorsMixin, GovukForm):
    present = MemberChoiceField(
        label="Who attended?",
        queryset=PanelMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select everyone who attended. Members not selected are recorded as sending apologies.",
    )
    error_field_map = {"present_member_ids": "present"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = (
            PanelMember.objects.active().select_related("user", "establishment").order_by("member_type", "pk")
        )
        self.show_optional = False


class DeclarationForm(GovukForm):
    nature = forms.ChoiceField(
        label="Do you have an interest in this item?",
        choices=NATURE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you have an interest"},
        help_text="A prejudicial interest means you leave the discussion and take no part in the decision.",
    )
    interest = forms.CharField(
        label="Describe the interest",
        widget=_text(3),
        required=False,
        help_text="For example, the child attends a school where your partner works. Needed for any interest.",
    )


class MinutesForm(GovukForm):
    body = forms.CharField(
        label="Minutes",
        max_length=limits.DOCUMENT_TEXT,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        error_messages={"required": "Enter the minutes"},
        help_text="Refer to children by their initials only.",
    )


# --- Decisions -----------------------------------------------------------------------------------


def _meeting_label(meeting: PanelMeeting) -> str:
    return f"{meeting.held_on.day} {meeting.held_on:%B %Y}, {meeting.starts_at:%H:%M}, {meeting.location}"


class DecisionForm(RemappedErrorsMixin, GovukForm):
    outcome = forms.ChoiceField(
        label="What did the panel decide?",
        choices=OUTCOME_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the panel's decision"},
    )
    deferred_to = forms.ModelChoiceField(
        label="Meeting the item is deferred to",
        queryset=PanelMeeting.objects.none(),
        required=False,
        empty_label="Select a later meeting",
        help_text="Only when the decision is deferred. The item goes onto that meeting's agenda.",
    )
    suitable_answer = forms.ChoiceField(
        label=workflow.S39_TESTS["suitable"], choices=ANSWER_CHOICES, widget=forms.RadioSelect, required=False
    )
    suitable_text = forms.CharField(label="Reasoning on suitability", widget=_text(3), required=False)
    compatible_answer = forms.ChoiceField(
        label=workflow.S39_TESTS["compatible"], choices=ANSWER_CHOICES, widget=forms.RadioSelect, required=False
    )
    compatible_text = forms.CharField(label="Reasoning on the education of others", widget=_text(3), required=False)
    resources_answer = forms.ChoiceField(
        label=workflow.S39_TESTS["resources"], choices=ANSWER_CHOICES, widget=forms.RadioSelect, required=False
    )
    resources_text = forms.CharField(label="Reasoning on the use of resources", widget=_text(3), required=False)
    maintained_alternative_cost = PoundsField(
        label="Annual cost of the maintained alternative",
        help_text="The cheapest suitable maintained or academy place, for the efficient use of resources test.",
    )
    agreed_annual_ceiling = PoundsField(
        label="Agreed annual cost ceiling", help_text="Only for an approval: the most the council will pay a year."
    )
    ceiling_reason = forms.CharField(
        label="Reason for the ceiling",
        widget=_text(2),
        required=False,
        help_text="Needed when the ceiling is below the lowest costed option or more than "
        f"{workflow.CEILING_MARGIN_ABOVE_REQUEST_PERCENT}% above the requested cost.",
    )
    review_on = GovukDateField(label="Review date", required=False, help_text="For an approval with conditions")
    attendance_expectation = forms.CharField(
        label="Attendance expectation",
        required=False,
        max_length=200,
        help_text="For example, at least 90% attendance each term, reported to the council",
    )
    conditions = forms.CharField(label="Other conditions", widget=_text(3), required=False)
    reasons_text = forms.CharField(label="The panel's reasons", widget=_text(5), required=False)
    participants = MemberChoiceField(
        label="Members taking part in the decision",
        queryset=PanelMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Members recorded as present and not recused, other than the member who made the referral.",
    )

    error_field_map = {
        "agreed_annual_ceiling_pence": "agreed_annual_ceiling",
        "maintained_alternative_cost_pence": "maintained_alternative_cost",
    }

    def __init__(self, *args: Any, meeting: PanelMeeting, later: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["deferred_to"].queryset = later
        self.fields["deferred_to"].label_from_instance = lambda m: (
            f"{m.held_on.day} {m.held_on:%B %Y}, {m.starts_at:%H:%M}"
        )
        # Every active member is a valid value, so the service can say why a recused or absent
        # member cannot take part; the page offers only those present and not recused.
        self.fields["participants"].queryset = PanelMember.objects.active().select_related("user", "establishment")
        self.show_optional = False

    def decision_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        conditions = []
        if data.get("review_on"):
            review = data["review_on"]
            conditions.append(f"Review by {review.day} {review:%B %Y}.")
        if data.get("attendance_expectation"):
            conditions.append(f"Attendance: {data['attendance_expectation'].strip()}")
        if data.get("conditions"):
            conditions.append(data["conditions"].strip())
        return {
            "outcome": data["outcome"],
            "suitable_answer": data["suitable_answer"],
            "suitable_text": data["suitable_text"],
            "compatible_answer": data["compatible_answer"],
            "compatible_text": data["compatible_text"],
            "resources_answer": data["resources_answer"],
            "resources_text": data["resources_text"],
            "maintained_alternative_cost_pence": data["maintained_alternative_cost"],
            "agreed_annual_ceiling_pence": data["agreed_annual_ceiling"],
            "ceiling_reason": data["ceiling_reason"],
            "conditions": "\n".join(conditions),
            "deferred_to": data["deferred_to"],
            "reasons_text": data["reasons_text"],
            "participant_ids": [m.pk for m in data["participants"]],
        }
