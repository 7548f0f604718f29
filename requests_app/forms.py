"""Page forms for EHC needs-assessment requests.

Forms parse and shape input only; every rule about what may happen lives in
``requests_app.services`` (and ``workflow``/``clocks``), whose domain errors are put back on
these forms with ``form_add_domain_error``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from core.errors import DomainError
from core.forms import GovukDateField, GovukForm
from core.models import District, Establishment, NeedType
from core.pages import form_add_domain_error
from requests_app import workflow
from requests_app.filters import RequestFilter, officers
from requests_app.models import (
    AdviceRequest,
    AdviserType,
    AssessmentRequest,
    DecisionOutcome,
    ExceptionKind,
    PlacementType,
    Recommendation,
    RequestSource,
    Sex,
)


class OfficerChoiceField(forms.ModelChoiceField):
    """An SEN officer, shown by full name (never the username alone when a name exists)."""

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def _select_choices(choices: list[tuple[str, str]], empty: str = "Select") -> list[tuple[str, str]]:
    return [("", empty), *choices]


class RemappedErrorsMixin:
    """Put a service's errors on this form, renaming the service's keys to the form's fields."""

    error_field_map: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        if self.error_field_map and error.errors:
            renamed: dict[str, list[str]] = {}
            for field, messages in error.errors.items():
                renamed.setdefault(self.error_field_map.get(field, field), []).extend(messages)
            error = type(error)(error.message, errors=renamed)
        assert isinstance(self, forms.BaseForm), "RemappedErrorsMixin goes on a form"
        form_add_domain_error(self, error)


# --- The queue ---------------------------------------------------------------------------------


class QueueFilterForm(GovukForm):
    """The queue's GET form: the FilterSet's fields with GOV.UK widgets."""

    show_optional = False  # every filter is optional; "(optional)" on each label is noise

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["q"].widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})
        fields["q"].help_text = "For example Sam Holden, a 13-character UPN or REQ-000123"
        fields["status"].widget = forms.CheckboxSelectMultiple(choices=fields["status"].choices)
        fields["open"].widget = forms.Select(
            choices=[("true", "Open requests"), ("false", "Closed requests"), ("", "All requests")],
            attrs={"class": "govuk-select"},
        )
        fields["open"].label = "Show"
        for name in ("unassigned", "overdue"):
            fields[name].widget = forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input", "value": "true"})
        fields["assigned_officer"].label_from_instance = lambda u: u.get_full_name() or u.username
        fields["assigned_officer"].empty_label = "Any officer"
        fields["district"].empty_label = "Any district"
        fields["district"].label = "District"
        # django-filter's choice fields add their own blank option ("---------") whenever their
        # choices are read: turn that off, then give the one blank option its name.
        for name, empty in (("source", "Anyone"), ("need", "Any need"), ("age", "Any age")):
            choices = [choice for choice in fields[name].choices if choice[0] != ""]
            fields[name].empty_label = None
            fields[name].choices = [("", empty), *choices]
        fields["due_within"].widget.attrs["class"] = "govuk-input govuk-input--width-3"
        fields["due_within"].widget.attrs["inputmode"] = "numeric"
        fields["due_within"].error_messages["invalid"] = "Enter a whole number of days, for example 7"
        fields["due_within"].help_text = "Open requests whose next deadline is today or within this many days"
        fields["ordering"].widget.attrs["class"] = "govuk-select"
        fields["ordering"].choices = [
            ("next_deadline_on", "Next deadline"),
            ("-received_on", "Newest received"),
            ("received_on", "Oldest received"),
            ("child__surname", "Last name, A to Z"),
        ]


class QueueFilter(RequestFilter):
    """RequestFilter rendered with GOV.UK markup (same filters as the API: one code path)."""

    # django-filter calls a callable queryset with the request; ``officers`` takes none.
    assigned_officer = django_filters.ModelChoiceFilter(queryset=lambda request: officers(), label="Officer")

    class Meta(RequestFilter.Meta):
        form = QueueFilterForm


class BulkAssignForm(GovukForm):
    requests = forms.ModelMultipleChoiceField(
        queryset=AssessmentRequest.objects.open(),
        error_messages={"required": "Select at least one request to assign"},
        widget=forms.MultipleHiddenInput,
    )
    officer = OfficerChoiceField(
        queryset=officers(),
        label="Assign selected requests to",
        empty_label="Select an officer",
        error_messages={"required": "Select the officer to assign the requests to"},
    )
    return_query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers()


# --- New request -------------------------------------------------------------------------------


def _not_in_future(value: Any) -> None:
    if value and value > timezone.localdate():
        raise forms.ValidationError("The date must be today or in the past")


class NewRequestForm(RemappedErrorsMixin, GovukForm):
    forename = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter the child's first name"}
    )
    surname = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Enter the child's last name"}
    )
    date_of_birth = GovukDateField(
        label="Date of birth",
        help_text="For example, 27 3 2014",
        error_messages={"required": "Enter the child's date of birth"},
    )
    sex = forms.ChoiceField(
        choices=Sex.choices,
        widget=forms.RadioSelect,
        initial=Sex.UNKNOWN,
        error_messages={"required": "Select the child's sex, or “Not known”"},
    )
    upn = forms.CharField(
        label="UPN",
        max_length=13,
        required=False,
        help_text="Unique pupil number: 13 letters and numbers. Leave blank if the child has none",
    )
    postcode = forms.CharField(max_length=10, required=False)
    district = forms.ModelChoiceField(
        queryset=District.objects.all(),
        empty_label="Select a district",
        error_messages={"required": "Select the district the child lives in"},
    )
    current_establishment = forms.ModelChoiceField(
        queryset=Establishment.objects.open(),
        required=False,
        label="Current school or setting",
        empty_label="None or not known",
    )
    primary_need = forms.ChoiceField(
        choices=_select_choices(NeedType.choices, "Select the primary need"),
        error_messages={"required": "Select the child's primary need"},
    )
    secondary_need = forms.ChoiceField(choices=_select_choices(NeedType.choices, "None"), required=False)
    received_on = GovukDateField(
        label="Date the request was received",
        error_messages={"required": "Enter the date the request was received"},
        help_text="Day 1 of the statutory clocks. It may be in the past, but not in the future",
    )
    source = forms.ChoiceField(label="Who asked", choices=RequestSource.choices, widget=forms.RadioSelect)
    requester_name = forms.CharField(label="Requester's name", max_length=200, required=False)
    requester_relationship = forms.CharField(
        label="Relationship to the child", max_length=100, required=False, help_text="For example, mother or SENCO"
    )
    requester_email = forms.EmailField(label="Requester's email address", required=False)
    requester_phone = forms.CharField(label="Requester's phone number", max_length=30, required=False)
    confirm_not_duplicate = forms.BooleanField(
        label="This is a different child", required=False, help_text="None of the children listed is this child"
    )
    not_duplicate_reason = forms.CharField(
        label="How do you know this is a different child?",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example, a different school and parents. This is recorded on the request's timeline",
    )

    CHILD_FIELDS = (
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
    )
    REQUEST_FIELDS = (
        "received_on",
        "source",
        "requester_name",
        "requester_relationship",
        "requester_email",
        "requester_phone",
    )
    # A child with an open request: the service names "child"; point at the duplicates list.
    error_anchor = "duplicates"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["forename"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["surname"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["upn"].widget.attrs.update({"class": "govuk-input govuk-input--width-20", "spellcheck": "false"})
        self.fields["postcode"].widget.attrs.update({"class": "govuk-input govuk-input--width-10"})
        self.fields["requester_email"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["requester_phone"].widget.attrs.update({"class": "govuk-input govuk-input--width-20"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Telling two children apart is a judgement someone may have to explain: ask for the why.
        if data.get("confirm_not_duplicate") and not (data.get("not_duplicate_reason") or "").strip():
            self.add_error("not_duplicate_reason", "Enter how you know this is a different child")
        return data

    def clean_received_on(self) -> Any:
        value = self.cleaned_data.get("received_on")
        _not_in_future(value)
        return value

    def child_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.CHILD_FIELDS}

    def request_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.REQUEST_FIELDS}


# --- Action forms ------------------------------------------------------------------------------


class ConfirmForm(GovukForm):
    """An action that needs no input beyond the button."""


class AssignForm(GovukForm):
    officer = OfficerChoiceField(
        queryset=officers(),
        label="Officer",
        empty_label="Select an officer",
        error_messages={"required": "Select the officer to assign the request to"},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers()


EVIDENCE_CHOICES = [
    ("schools_views_received", "The school's or setting's views"),
    ("sen_support_plan", "An SEN support plan"),
    ("provision_map", "A provision map"),
    ("costed_provision", "Costed provision"),
    ("progress_data", "Progress data"),
]


class EvaluationForm(GovukForm):
    # The recommendation is needed to complete the evaluation though a draft can be saved
    # without it: marking it "(optional)" would mislead, so the optional fields say so in
    # their own labels instead.
    show_optional = False

    evidence = forms.MultipleChoiceField(
        label="Which evidence has been received? (optional)",
        help_text="Select all that apply",
        choices=EVIDENCE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    apdr_cycles = forms.IntegerField(
        label="Assess-plan-do-review cycles evidenced",
        min_value=0,
        max_value=50,
        initial=0,
        error_messages={
            "invalid": "Enter the number of assess-plan-do-review cycles as a whole number",
            "required": "Enter the number of assess-plan-do-review cycles, or 0",
            "min_value": "Enter the number of assess-plan-do-review cycles as 0 or more",
        },
    )
    attainment_summary = forms.CharField(
        label="Attainment summary (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    other_agencies = forms.CharField(
        label="Other agencies involved (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    notes = forms.CharField(label="Notes (optional)", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    recommendation = forms.ChoiceField(
        choices=Recommendation.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="Needed to complete the evaluation. You can save the checklist without it",
    )
    complete = forms.ChoiceField(
        label="Is the evaluation finished?",
        choices=[("no", "No, save it and come back later"), ("yes", "Yes, complete the evaluation")],
        widget=forms.RadioSelect,
        initial="no",
        help_text="A completed evaluation needs a recommendation and goes to the officer for the decision",
        error_messages={"required": "Select whether the evaluation is finished"},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["apdr_cycles"].widget.attrs["class"] = "govuk-input govuk-input--width-3"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("complete") == "yes" and not data.get("recommendation"):
            required = workflow.REQUIRED_FOR[workflow.Action.COMPLETE_EVALUATION]
            self.add_error("recommendation", required["recommendation"])
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        evidence = set(data["evidence"])
        fields: dict[str, Any] = {code: code in evidence for code, _ in EVIDENCE_CHOICES}
        for name in ("apdr_cycles", "attainment_summary", "other_agencies", "notes", "recommendation"):
            fields[name] = data[name]
        return fields


_S36_REFUSAL_CHOICES = list(workflow.S36_REFUSAL_REASONS.items())
_S36_ASSESS_CHOICES = list(workflow.S36_ASSESS_REASONS.items())


class DecideAssessmentForm(RemappedErrorsMixin, GovukForm):
    outcome = forms.ChoiceField(
        label="Decision",
        choices=[(DecisionOutcome.ASSESS, "Assess"), (DecisionOutcome.REFUSE, "Refuse to assess")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to assess"},
    )
    notified_on = GovukDateField(
        label="Date the family was told",
        error_messages={"required": "Enter the date the family was told of the decision"},
    )
    assess_reasons = forms.MultipleChoiceField(
        label="If assessing: why the s.36(8) test is met",
        choices=_S36_ASSESS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    refusal_reasons = forms.MultipleChoiceField(
        label="If refusing: why the s.36(8) test is not met",
        help_text="Select all that apply",
        choices=_S36_REFUSAL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reasons_text = forms.CharField(
        label="Reasons in your own words",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Needed if you selected Other. This text goes in the decision letter",
    )
    rights_text_sent = forms.BooleanField(
        label="Appeal, mediation and SENDIAS information sent",
        required=False,
        help_text="A refusal letter must set out the right of appeal, mediation and where to get advice (reg 5(3))",
    )
    sen_support_advice = forms.CharField(
        label="If refusing: advice on meeting needs through SEN support",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Reasons of the other kind are an error, never silently dropped (issue 12 item 18).
        for field, message in workflow.decision_reason_errors(
            data.get("outcome", ""),
            assess_reasons=data.get("assess_reasons") or [],
            refusal_reasons=data.get("refusal_reasons") or [],
        ).items():
            self.add_error(field, message)
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        refusing = data["outcome"] == DecisionOutcome.REFUSE
        self.error_field_map = {"reasons": "refusal_reasons" if refusing else "assess_reasons"}
        return {
            "outcome": data["outcome"],
            "notified_on": data["notified_on"],
            "reasons": data["refusal_reasons"] if refusing else data["assess_reasons"],
            "reasons_text": data["reasons_text"].strip(),
            "rights_text_sent": data["rights_text_sent"],
            "sen_support_advice": data["sen_support_advice"].strip() if refusing else "",
        }


class DecideIssueForm(GovukForm):
    outcome = forms.ChoiceField(
        label="Decision",
        choices=[(DecisionOutcome.ISSUE, "Issue a plan"), (DecisionOutcome.NOT_ISSUE, "Do not issue a plan")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to issue a plan"},
    )
    notified_on = GovukDateField(
        label="Date the family was told",
        error_messages={"required": "Enter the date the family was told of the decision"},
    )
    reasons_text = forms.CharField(
        label="Reasons",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Needed if a plan is not necessary. This text goes in the decision letter",
    )
    rights_text_sent = forms.BooleanField(
        label="Appeal, mediation and SENDIAS information sent",
        required=False,
        help_text="Needed for a decision not to issue (reg 10(3))",
    )
    advice_not_sought_reason = forms.ChoiceField(
        label="If no advice was requested: why it was not needed",
        choices=_select_choices(list(workflow.ADVICE_NOT_SOUGHT_REASONS.items()), "Advice was requested"),
        required=False,
        help_text=(
            "A decision not to issue follows the advice sought under regs 6 to 8. Without any, record that "
            "advice already provided was agreed to be sufficient (reg 6(4))"
        ),
    )


class AdviceRequestForm(GovukForm):
    adviser_type = forms.ChoiceField(
        label="Who is the advice requested from?",
        choices=AdviserType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who the advice is requested from"},
    )
    addressee = forms.CharField(
        label="Service or person asked",
        max_length=200,
        help_text="For example, Educational Psychology Service (West Kent)",
        error_messages={"required": "Enter the service or person asked for advice"},
    )
    requested_on = GovukDateField(
        label="Date the advice was requested", error_messages={"required": "Enter the date the advice was requested"}
    )


class AdviceReceivedForm(GovukForm):
    received_on = GovukDateField(
        label="Date the advice was received", error_messages={"required": "Enter the date the advice was received"}
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)


class DraftForm(GovukForm):
    issued_on = GovukDateField(
        label="Date the draft plan was issued",
        help_text="The family's 15 days to comment start on this day",
        error_messages={"required": "Enter the date the draft plan was issued"},
    )


class FamilyCommentsForm(GovukForm):
    received_on = GovukDateField(
        label="Date the family's comments were received",
        error_messages={"required": "Enter the date the family's comments were received"},
    )


class FinalPlanForm(GovukForm):
    issued_on = GovukDateField(
        label="Date the final plan was issued", error_messages={"required": "Enter the date the final plan was issued"}
    )
    named_establishment = forms.ModelChoiceField(
        queryset=Establishment.objects.open(),
        required=False,
        label="School or setting named in the plan",
        empty_label="Select a school or setting",
    )
    placement_type = forms.ChoiceField(
        label="Type of placement",
        choices=_select_choices(PlacementType.choices, "The school's or setting's own type"),
        required=False,
        help_text=(
            "Leave as it is to use the type of the school or setting named. Choose resourced provision for a "
            "mainstream school's unit, or Other arrangement when no school is named"
        ),
    )


EXCEPTION_HINTS: dict[str, str] = {
    ExceptionKind.SCHOOL_CLOSURE: (
        "The school or setting was closed for at least 4 continuous weeks, for example the summer holiday. "
        "Does not apply to advice (reg 8)."
    ),
    ExceptionKind.PERSONAL_CIRCUMSTANCES: (
        "Exceptional personal circumstances affecting the child, the parent or the young person, "
        "for example a stay in hospital."
    ),
    ExceptionKind.ABSENCE_FROM_AREA: (
        "The child, parent or young person was away from the council's area for at least 4 continuous weeks."
    ),
    ExceptionKind.MISSED_APPOINTMENT: (
        "The child missed an appointment for an examination or test. Applies only to one advice request (reg 8(2))."
    ),
}


class AdviceRequestChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AdviceRequest) -> str:
        return f"{obj.get_adviser_type_display()} – {obj.addressee}, requested {obj.requested_on:%-d %B %Y}"


class ExceptionForm(GovukForm):
    kind = forms.ChoiceField(
        label="Type of exception",
        choices=ExceptionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of exception"},
    )
    start = GovukDateField(label="Start date", error_messages={"required": "Enter the date the exception started"})
    end = GovukDateField(label="End date", error_messages={"required": "Enter the date the exception ended"})
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What shows the exception applied, for example a letter from the family's GP",
        error_messages={"required": "Enter the evidence for the exception"},
    )
    advice_request = AdviceRequestChoiceField(
        queryset=AdviceRequest.objects.none(),
        required=False,
        label="Does this exception apply to one advice request?",
        empty_label="No, to the request's 6, 16 and 20-week limits",
    )

    def __init__(self, *args: Any, request_obj: AssessmentRequest | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if request_obj is not None:
            self.fields["advice_request"].queryset = AdviceRequest.objects.filter(request=request_obj).awaited()

    @property
    def kind_options(self) -> list[dict[str, Any]]:
        """The radios with a hint each (the generic field template has no per-item hints)."""
        value = self["kind"].value()
        return [
            {
                "value": code,
                "label": label,
                "hint": EXCEPTION_HINTS.get(code, ""),
                "id": f"id_kind_{index}",
                "checked": value == code,
            }
            for index, (code, label) in enumerate(ExceptionKind.choices)
        ]


class ReasonForm(GovukForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, reason_label: str = "Reason", reason_required: str = "Enter the reason", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = reason_label
        self.fields["reason"].error_messages["required"] = reason_required


class WithdrawForm(GovukForm):
    reason = forms.CharField(
        label="Why was the request withdrawn?",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why the request was withdrawn"},
    )
    withdrawn_on = GovukDateField(
        label="Date the request was withdrawn", error_messages={"required": "Enter the date the request was withdrawn"}
    )


class AdviceFilterForm(GovukForm):
    show_optional = False  # a filter: every field is optional

    adviser_type = forms.ChoiceField(
        label="Adviser type", choices=_select_choices(AdviserType.choices, "All adviser types"), required=False
    )
    overdue = forms.BooleanField(label="Past the 6-week deadline only", required=False)
