"""Forms for mediation and appeals (the rules they feed are in requests_app/disputes.py)."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import GovukDateField, GovukForm
from requests_app import disputes
from requests_app.models import (
    APPEAL_OUTCOME_CHOICES,
    DISPUTED_CHOICES,
    MEDIATION_OUTCOME_CHOICES,
    ORDER_CHOICES,
    AssessmentRequest,
    Mediation,
)


class MediationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.against_label} – letter of {obj.decision_letter_on:%-d %B %Y}"


class MediationForm(GovukForm):
    against = forms.ChoiceField(
        label="Which decision does the family disagree with?",
        choices=DISPUTED_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the decision the family disagrees with"},
    )
    decision_letter_on = GovukDateField(
        label="Date of the decision letter",
        error_messages={"required": "Enter the date of the decision letter the family disagrees with"},
    )
    adviser_contacted_on = GovukDateField(
        label="Date the family contacted the mediation adviser",
        required=False,
        help_text="They have 2 months from the decision letter (reg 33)",
    )
    certificate_issued_on = GovukDateField(label="Date the mediation certificate was issued", required=False)
    held_on = GovukDateField(label="Date mediation took place", required=False)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=MEDIATION_OUTCOME_CHOICES,
        initial=disputes.MediationOutcome.PENDING,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome of mediation"},
    )


class MediationUpdateForm(GovukForm):
    certificate_issued_on = GovukDateField(label="Date the mediation certificate was issued", required=False)
    held_on = GovukDateField(label="Date mediation took place", required=False)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=MEDIATION_OUTCOME_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome of mediation"},
    )


class AppealForm(GovukForm):
    against = forms.ChoiceField(
        label="Which decision is appealed?",
        choices=DISPUTED_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the decision the appeal is against"},
    )
    decision_letter_on = GovukDateField(
        label="Date of the decision letter",
        error_messages={"required": "Enter the date of the decision letter being appealed"},
    )
    registered_on = GovukDateField(
        label="Date the Tribunal registered the appeal",
        error_messages={"required": "Enter the date the Tribunal registered the appeal"},
    )
    hearing_on = GovukDateField(label="Hearing date", required=False)
    mediation = MediationChoiceField(
        queryset=Mediation.objects.none(),
        required=False,
        label="Which mediation came before it?",
        empty_label="None (no mediation, or an appeal only about the school named)",
    )

    def __init__(self, *args: Any, request_obj: AssessmentRequest | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if request_obj is not None:
            self.fields["mediation"].queryset = Mediation.objects.filter(request=request_obj)


class AppealOutcomeForm(GovukForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=APPEAL_OUTCOME_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome of the appeal"},
    )
    decided_on = GovukDateField(
        label="Date of the decision or order", error_messages={"required": "Enter the date of the decision or order"}
    )
    order_type = forms.ChoiceField(
        label="What does the order require the council to do?",
        choices=[("", "No order (dismissed or withdrawn)"), *ORDER_CHOICES],
        required=False,
        widget=forms.RadioSelect,
        help_text="The deadline to comply is set from the order's date (reg 44; reg 45 for a concession)",
    )


class ComplianceForm(GovukForm):
    complied_on = GovukDateField(
        label="Date the order was complied with in full",
        error_messages={"required": "Enter the date the order was complied with"},
    )
