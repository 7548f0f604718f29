"""Forms for the SEN2 return's items on a request (docs/sen2.md)."""

from __future__ import annotations

from django import forms

from core.forms import GovukDateField, GovukForm
from core.models import Establishment
from core.sen2codes import CEASE_REASONS, ETHNICITIES, REQUEST_SOURCE_LABELS, SEN_SETTINGS, UPN_UNKNOWN


def _choices(codes: dict[str, str], blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((code, f"{label} ({code})") for code, label in codes.items())]


class Sen2DetailsForm(GovukForm):
    ethnicity = forms.ChoiceField(label="Ethnicity", choices=_choices(ETHNICITIES, "Not recorded"), required=False)
    uln = forms.CharField(
        label="Unique learner number (ULN)",
        required=False,
        max_length=10,
        help_text="10 digits, for young people in further education or training",
    )
    upn_unknown = forms.ChoiceField(
        label="Why neither the UPN nor the ULN is known",
        choices=_choices(UPN_UNKNOWN, "Not applicable"),
        required=False,
    )
    sen2_request_source = forms.ChoiceField(
        label="Who made the request, in SEN2's terms",
        choices=_choices(REQUEST_SOURCE_LABELS, "As recorded on the request"),
        required=False,
        help_text="Leave as recorded unless the request came from a health or social care professional",
    )
    rya = forms.BooleanField(
        label="The request was made while the young person was in relevant youth accommodation", required=False
    )
    plan_start_on = GovukDateField(
        label="Date of the current plan",
        required=False,
        help_text="Leave blank if it is the date the final plan was issued",
    )
    plan_ceased_on = GovukDateField(label="Date the plan ended", required=False)
    plan_cease_reason = forms.ChoiceField(
        label="Why the plan ended", choices=_choices(CEASE_REASONS, "The plan has not ended"), required=False
    )


class EstablishmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Establishment) -> str:
        return f"{obj.name} (URN {obj.urn})"


class PlacementForm(GovukForm):
    establishment = EstablishmentChoiceField(
        label="School or setting",
        queryset=Establishment.objects.filter(is_open=True).order_by("name"),
        required=False,
        help_text="Or choose a setting type below when there is no establishment",
    )
    sen_setting = forms.ChoiceField(
        label="Setting type", choices=_choices(SEN_SETTINGS, "Not applicable"), required=False
    )
    sen_setting_other = forms.CharField(label="Describe the setting", required=False, max_length=200)
    rank = forms.TypedChoiceField(
        label="Main or second setting",
        choices=[(1, "Main setting"), (2, "Second setting (dual placement)")],
        coerce=int,
        initial=1,
        widget=forms.RadioSelect,
    )
    named_in_plan = forms.BooleanField(label="Named in section I of the plan", required=False, initial=True)
    entry_on = GovukDateField(label="Date the placement started", required=False)
    leaving_on = GovukDateField(label="Date the placement ended", required=False)
    sen_unit = forms.BooleanField(label="The place is in an SEN unit", required=False)
    resourced_provision = forms.BooleanField(label="The place is in resourced provision", required=False)
