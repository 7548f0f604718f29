"""Page forms for the contact log and for corrections (issue 13, notes).

They parse and shape input only: the rules (``contact_log``, ``corrections``) are applied by the
services, whose domain errors go back on these forms naming the field.
"""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import GovukDateField, GovukForm
from core.models import District, Establishment, NeedType
from requests_app import contact_log
from requests_app.corrections import FACT_LABELS, REASON_MAX, Fact
from requests_app.models import NOTE_DIRECTION_CHOICES, NOTE_KIND_CHOICES, NOTE_PARTY_CHOICES


class NoteForm(GovukForm):
    kind = forms.ChoiceField(
        label="What kind of contact was it?",
        choices=NOTE_KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the kind of contact, or “Case note”"},
    )
    happened_on = GovukDateField(
        label="Date it happened",
        help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date it happened"},
    )
    with_whom = forms.CharField(
        label="Who it was with",
        required=False,
        max_length=contact_log.WITH_WHOM_MAX,
        help_text="Their name and role, for example Mrs Ng, SENCO. Leave blank for a case note",
    )
    party = forms.ChoiceField(
        label="Who they are",
        required=False,
        choices=[("", "Select who they are"), *NOTE_PARTY_CHOICES],
        help_text="Leave blank for a case note",
    )
    direction = forms.ChoiceField(
        label="Who made contact?",
        required=False,
        choices=NOTE_DIRECTION_CHOICES,
        widget=forms.RadioSelect,
        help_text="Leave blank for a case note",
    )
    summary = forms.CharField(
        label="Summary",
        max_length=contact_log.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"What was said or agreed, and any action. Up to {contact_log.SUMMARY_MAX:,} characters",
        error_messages={"required": "Enter a summary"},
    )


class _CorrectionForm(GovukForm):
    """The new value (fields of each subclass) and the reason, asked on every correction."""

    reason = forms.CharField(
        label="Reason for the correction",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the birth certificate shows a different date. This goes on the timeline",
        error_messages={"required": "Enter the reason for the correction"},
    )
    field_order = ["value", "forename", "surname", "reason"]

    def __init__(self, *args: Any, fact: Fact | str = Fact.DATE_OF_BIRTH, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fact = Fact(fact)

    def new_value(self) -> Any:
        """The new value as the service takes it."""
        return self.cleaned_data.get("value")


class CorrectDateForm(_CorrectionForm):
    value = GovukDateField(label="Correct date", help_text="For example, 27 3 2026")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        label = FACT_LABELS[self.fact]
        self.fields["value"].label = f"Correct {label[:1].lower()}{label[1:]}"
        self.fields["value"].error_messages["required"] = f"Enter the correct {label[:1].lower()}{label[1:]}"


class CorrectNameForm(_CorrectionForm):
    forename = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter the child's first name"}
    )
    surname = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Enter the child's last name"}
    )

    def new_value(self) -> Any:
        return {"forename": self.cleaned_data["forename"], "surname": self.cleaned_data["surname"]}


class CorrectUpnForm(_CorrectionForm):
    value = forms.CharField(
        label="Correct UPN",
        required=False,
        max_length=13,
        help_text="Unique pupil number: 13 letters and numbers. Leave blank if the child has none",
    )


class CorrectPostcodeForm(_CorrectionForm):
    value = forms.CharField(label="Correct postcode", required=False, max_length=10)


class CorrectPrimaryNeedForm(_CorrectionForm):
    value = forms.ChoiceField(
        label="Correct primary need",
        choices=[("", "Select the primary need"), *NeedType.choices],
        error_messages={"required": "Select the child's primary need"},
    )


class CorrectSecondaryNeedForm(_CorrectionForm):
    value = forms.ChoiceField(label="Correct secondary need", required=False, choices=[("", "None"), *NeedType.choices])


class CorrectSchoolForm(_CorrectionForm):
    value = forms.ModelChoiceField(
        queryset=Establishment.objects.open(),
        required=False,
        label="Correct school or setting",
        empty_label="None or not known",
    )

    def new_value(self) -> Any:
        school = self.cleaned_data.get("value")
        return school.pk if school is not None else None


class CorrectDistrictForm(_CorrectionForm):
    value = forms.ModelChoiceField(
        queryset=District.objects.all(),
        label="Correct district",
        empty_label="Select the district",
        error_messages={"required": "Select the district the child lives in"},
    )

    def new_value(self) -> Any:
        district = self.cleaned_data.get("value")
        return district.pk if district is not None else None


FORM_FOR_FACT: dict[Fact, type[_CorrectionForm]] = {
    Fact.NAME: CorrectNameForm,
    Fact.DATE_OF_BIRTH: CorrectDateForm,
    Fact.UPN: CorrectUpnForm,
    Fact.POSTCODE: CorrectPostcodeForm,
    Fact.PRIMARY_NEED: CorrectPrimaryNeedForm,
    Fact.SECONDARY_NEED: CorrectSecondaryNeedForm,
    Fact.SCHOOL: CorrectSchoolForm,
    Fact.DISTRICT: CorrectDistrictForm,
    Fact.RECEIVED_ON: CorrectDateForm,
    Fact.ASSESS_DECISION_ON: CorrectDateForm,
    Fact.ISSUE_DECISION_ON: CorrectDateForm,
    Fact.DRAFT_ISSUED_ON: CorrectDateForm,
    Fact.FINAL_PLAN_ISSUED_ON: CorrectDateForm,
}
