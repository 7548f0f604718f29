"""Forms for the placement pages. They check shape only (a date is a date, an amount is pounds
and pence); every business rule is in ``placements.services``, whose errors come back on the
form by field name. Form fields are named as the services name their arguments, so a service's
error lands on the right field.

Money is typed in pounds and pence ("16666.67", "£16,666.67") and converted to integer pence
with ``Decimal``: no float ever touches an amount.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from core.forms import GovukDateField, GovukForm
from core.models import Establishment, NeedType, OfstedGrade
from placements import workflow
from placements.models import Provider

# The largest amount a form accepts: a typing mistake above this (and the column holds less
# than £21.4m).
MAX_PENCE = 1_000_000_000  # £10,000,000.00
_MONEY_RE = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class MoneyError(ValueError):
    pass


def parse_pounds(text: str, *, what: str = "the amount") -> int:
    """``"16666.67"`` (or ``"£16,666.67"``) -> ``1666667`` pence. Raises :class:`MoneyError`
    with a GOV.UK-style message naming ``what``."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if cleaned.startswith("£"):
        cleaned = cleaned[1:]
    if cleaned.startswith("-"):
        raise MoneyError(f"{what.capitalize()} must be £0 or more")
    if not _MONEY_RE.match(cleaned):
        raise MoneyError(f"Enter {what} in pounds and pence, like 16666.67")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise MoneyError(f"Enter {what} in pounds and pence, like 16666.67") from exc
    if amount != amount.quantize(Decimal("0.01")):
        raise MoneyError(f"{what.capitalize()} must have no more than 2 decimal places")
    pence = int(amount * 100)
    if pence > MAX_PENCE:
        raise MoneyError(f"{what.capitalize()} must be £10,000,000 or less")
    return pence


class MoneyInput(forms.TextInput):
    """A text input with the GOV.UK "£" prefix."""

    template_name = "placements/widgets/money.html"

    def __init__(self, attrs: dict[str, Any] | None = None):
        base = {"class": "govuk-input govuk-input--width-10", "inputmode": "decimal", "spellcheck": "false"}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        # An int is pence from the database (initial data); text is what the user typed.
        if isinstance(value, int) and not isinstance(value, bool):
            whole, pennies = divmod(value, 100)
            return f"{whole}.{pennies:02d}"
        return super().format_value(value)


class MoneyField(forms.CharField):
    """Pounds and pence in, integer pence out (``None`` when left empty)."""

    widget = MoneyInput

    def __init__(self, *, what: str, **kwargs: Any):
        self.what = what
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "In pounds and pence, for example 16666.67")
        super().__init__(**kwargs)
        self.error_messages = {**self.error_messages, "required": f"Enter {what}"}

    # CharField.to_python is typed to return str; this field's cleaned value is pence (int).
    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_pounds(str(text), what=self.what)
        except MoneyError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value: Any) -> None:
        # The max_length validator is for the text; it has already been checked by to_python.
        return None


def _count(label: str, name: str) -> forms.IntegerField:
    field = forms.IntegerField(
        label=label,
        min_value=0,
        max_value=100_000,
        error_messages={
            "required": f"Enter the number of {name}",
            "invalid": f"Enter the number of {name} as a whole number",
            "min_value": f"The number of {name} must be 0 or more",
            "max_value": f"The number of {name} must be 100,000 or less",
        },
    )
    field.widget.attrs.update({"class": "govuk-input govuk-input--width-5", "inputmode": "numeric"})
    return field


# --- Providers ---------------------------------------------------------------------------------


class ProviderForm(GovukForm):
    establishment = forms.ModelChoiceField(
        label="School or college",
        queryset=Establishment.objects.none(),
        empty_label="Select the school or college",
        help_text="Independent special schools, non-maintained special schools and specialist post-16 institutions",
        error_messages={"required": "Select the school or college", "invalid_choice": "Select the school or college"},
    )
    procurement_route = forms.ChoiceField(
        label="Procurement route",
        choices=[(r.value, r.label) for r in workflow.ProcurementRoute],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the procurement route"},
    )
    framework_lot = forms.CharField(label="Framework lot", required=False, max_length=100)
    fee_bands = forms.CharField(
        label="Published fee bands",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="For example: Band A £45,000; Band B £58,000",
    )
    fee_min_annual_pence = MoneyField(label="Lowest published annual fee", required=False, what="the lowest fee")
    fee_max_annual_pence = MoneyField(label="Highest published annual fee", required=False, what="the highest fee")
    contact_name = forms.CharField(label="Contact name", required=False, max_length=200)
    contact_email = forms.CharField(
        label="Contact email address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    contact_phone = forms.CharField(label="Contact phone number", required=False, max_length=30)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    ofsted_grade = forms.ChoiceField(
        label="Latest Ofsted grade",
        required=False,
        choices=[("", "Not known"), *OfstedGrade.choices],
        help_text="From the latest full inspection report",
    )
    ofsted_inspected_on = GovukDateField(
        label="Date of that inspection", required=False, help_text="For example, 4 3 2025. Needed with a grade"
    )
    s41_approved = forms.TypedChoiceField(
        label="Is it on the s.41 approved list?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Left as it is when neither is selected",
    )

    def __init__(self, *args: Any, provider: Provider | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        schools = Establishment.objects.independent_or_non_maintained().order_by("name")
        if provider is None:
            schools = schools.filter(is_open=True, provider__isnull=True)
            # A new provider keeps what GIAS gave its school; the inspection is changed on its
            # own record afterwards, where the form shows what is held.
            for name in ("ofsted_grade", "ofsted_inspected_on", "s41_approved"):
                del self.fields[name]
        else:
            # The provider's school is fixed once its record exists.
            schools = schools.filter(pk=provider.establishment_id)
            self.fields["establishment"].disabled = True
        self.fields["establishment"].queryset = schools
        self.fields["contact_phone"].widget.attrs.update(
            {"class": "govuk-input govuk-input--width-20", "autocomplete": "off", "type": "tel"}
        )
        self.fields["framework_lot"].widget.attrs.update({"class": "govuk-input govuk-!-width-two-thirds"})

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] if data[name] is not None else None for name in self.fields}


# --- Contracts ---------------------------------------------------------------------------------


class ContractFilterForm(GovukForm):
    show_optional = False

    status = forms.ChoiceField(label="Status", required=False)
    provider = forms.TypedChoiceField(label="Provider", required=False, coerce=int, empty_value=None)
    need = forms.ChoiceField(label="Primary need", required=False)

    def __init__(self, *args: Any, providers: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any status"), *((s.value, s.label) for s in workflow.ContractStatus)]
        self.fields["provider"].choices = [("", "Any provider"), *providers]
        self.fields["need"].choices = [("", "Any need"), *NeedType.choices]


class ContractCreateForm(GovukForm):
    start_on = GovukDateField(label="Start date", help_text="For example, 1 9 2025")
    end_on = GovukDateField(
        label="Planned end date", required=False, help_text="Leave empty if the placement is open-ended"
    )
    annual_review_on = GovukDateField(label="Annual review of fees", help_text="On or after the start date")
    notice_period = forms.IntegerField(
        label="Notice period in weeks",
        required=False,
        min_value=0,
        max_value=52,
        help_text="The notice either side must give to end the placement. Leave empty if the contract sets none",
        error_messages={
            "invalid": "Enter the notice period as a whole number of weeks",
            "min_value": "The notice period cannot be negative",
            "max_value": "A notice period can be at most a year",
        },
    )
    first_review_on = GovukDateField(
        label="First placement review",
        required=False,
        help_text="Leave empty for 12 weeks after the start. The panel's conditions become what it checks",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["notice_period"].widget.attrs.update({"class": "govuk-input govuk-input--width-3"})


class NoteForm(GovukForm):
    """A confirmation, with an optional note for the contract's history."""

    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class EndForm(GovukForm):
    ended_on = GovukDateField(label="Date the child left", help_text="The last day of the placement")
    leaving_reason = forms.ChoiceField(
        label="Why did the placement end?",
        choices=[(r.value, r.label) for r in workflow.LeavingReason],
        widget=forms.RadioSelect,
        error_messages={"required": "Select why the placement ended"},
    )
    reason = forms.CharField(
        label="Say more about why the placement ended",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter the reason the placement ended"},
    )
    early_end_reason = forms.CharField(
        label="Why does it end sooner than the notice period allows? (if it does)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class CostLineForm(GovukForm):
    category = forms.ChoiceField(
        label="Kind of cost",
        choices=[("", "Select the kind of cost"), *((c.value, c.label) for c in workflow.CostCategory)],
        error_messages={"required": "Select the kind of cost"},
    )
    description = forms.CharField(label="Description", required=False, max_length=200)
    quoted_amount_pence = MoneyField(label="Quoted amount", what="the quoted amount")
    agreed_amount_pence = MoneyField(
        label="Agreed amount",
        required=False,
        what="the agreed amount",
        help_text="In pounds and pence, for example 16666.67. Leave empty until it is agreed",
    )
    period = forms.ChoiceField(
        label="Charged",
        choices=[(p.value, p.label) for p in workflow.Period],
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the amount is charged per"},
    )
    periods_per_year = forms.IntegerField(
        label="Number of periods in a year",
        required=False,
        min_value=1,
        max_value=366,
        help_text="Leave empty for the usual: 3 terms, 39 weeks (52 for a 52-week placement) or 190 days",
        error_messages={
            "invalid": "Enter the number of periods in a year as a whole number",
            "min_value": "Enter the number of periods in a year as a whole number greater than 0",
            "max_value": "A year has at most 366 days",
        },
    )
    fifty_two_week = forms.BooleanField(
        label="52-week residential placement", required=False, help_text="Weekly amounts are charged 52 times a year"
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["periods_per_year"].widget.attrs.update(
            {"class": "govuk-input govuk-input--width-4", "inputmode": "numeric"}
        )


class RoundForm(GovukForm):
    on = GovukDateField(label="Date of the round", help_text="For example, 14 7 2025")
    provider_offer_pence = MoneyField(
        label="Provider's offer (a year)", what="the provider's offer", help_text="The annual amount, like 58000.00"
    )
    council_counter_offer_pence = MoneyField(
        label="Council's counter-offer (a year)",
        required=False,
        what="the council's counter-offer",
        help_text="The annual amount, like 54000.00. Leave empty if none was made",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class RoundCorrectForm(RoundForm):
    reason = forms.CharField(
        label="Reason for the correction",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="For example, the offer was typed with the wrong amount",
        error_messages={"required": "Enter the reason for the correction"},
    )


YES_NO = [("yes", "Yes"), ("no", "No")]


class PenaltyClauseForm(GovukForm):
    threshold_percent = forms.CharField(
        label="Attendance threshold (%)",
        max_length=10,
        help_text="Below this attendance a deduction applies, for example 90",
        error_messages={"required": "Enter the attendance threshold"},
    )
    rule = forms.ChoiceField(
        label="How is the deduction worked out?",
        choices=[(r.value, r.label) for r in workflow.PenaltyRule],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the deduction is worked out"},
    )
    deduction_percent = forms.CharField(
        label="Deduction (% of the period's fee)",
        required=False,
        max_length=10,
        help_text="For the percentage rule, for example 10",
    )
    per_session_pence = MoneyField(
        label="Amount per unauthorised session",
        required=False,
        what="the amount per session",
        help_text="For the per-session rule, in pounds and pence, for example 150.00",
    )
    authorised_counts_as_attended = forms.ChoiceField(
        label="Do authorised absences count as attended?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text="The grace rule: usually yes",
        error_messages={"required": "Select yes if authorised absences count as attended"},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("threshold_percent", "deduction_percent"):
            self.fields[name].widget.attrs.update(
                {"class": "govuk-input govuk-input--width-5", "inputmode": "decimal", "spellcheck": "false"}
            )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        percent_rule = data["rule"] == workflow.PenaltyRule.PERCENT_OF_PERIOD_FEE
        return {
            "threshold_percent": data["threshold_percent"].strip(),
            "rule": data["rule"],
            # Only the chosen rule's parameter goes to the service; the other is ignored.
            "deduction_percent": (data["deduction_percent"].strip() or None) if percent_rule else None,
            "per_session_pence": None if percent_rule else data["per_session_pence"],
            "authorised_counts_as_attended": data["authorised_counts_as_attended"] == "yes",
        }


class ReturnForm(GovukForm):
    period_kind = forms.ChoiceField(
        label="Period",
        choices=[(k.value, k.label) for k in workflow.PeriodKind],
        widget=forms.RadioSelect,
        error_messages={"required": "Select term or month"},
    )
    period_start = GovukDateField(label="First day of the period")
    period_end = GovukDateField(label="Last day of the period")
    sessions_possible = _count("Sessions possible", "sessions possible")
    sessions_attended = _count("Sessions attended", "sessions attended")
    authorised_absence = _count("Authorised absences (sessions)", "authorised absences")
    unauthorised_absence = _count("Unauthorised absences (sessions)", "unauthorised absences")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "period_kind": data["period_kind"],
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "possible": data["sessions_possible"],
            "attended": data["sessions_attended"],
            "authorised": data["authorised_absence"],
            "unauthorised": data["unauthorised_absence"],
        }


class WaiveForm(GovukForm):
    reason = forms.CharField(
        label="Why is the deduction waived?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="For example, absence agreed in advance for a hospital stay",
        error_messages={"required": "Enter the reason for waiving the deduction"},
    )


class UploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text=(
            "Columns: contract_ref, period_kind, period_start, period_end, sessions_possible, "
            "sessions_attended, authorised_absence, unauthorised_absence. Dates as 2026-01-05 or 05/01/2026"
        ),
        error_messages={"required": "Select a CSV file", "empty": "The selected file is empty"},
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 2MB")
        name = (upload.name or "").lower()
        if not name.endswith(".csv"):
            raise forms.ValidationError("The selected file must be a CSV")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The selected file must be a CSV saved as UTF-8") from exc


def provider_choices() -> list[tuple[int, str]]:
    return list(Provider.objects.order_by("establishment__name").values_list("pk", "establishment__name"))


# --- Placement reviews, notice, chasing returns ----------------------------------------------------


def _percent_input(form: forms.Form, name: str) -> None:
    form.fields[name].widget.attrs.update(
        {"class": "govuk-input govuk-input--width-5", "inputmode": "decimal", "spellcheck": "false"}
    )


class ReviewForm(GovukForm):
    due_on = GovukDateField(label="Date the review is due")
    expected_attendance_percent = forms.CharField(
        label="Expected attendance (%)",
        required=False,
        max_length=10,
        help_text="The attendance the panel expects, for example 90. Leave empty if the panel set none",
    )
    expected_outcomes = forms.CharField(
        label="Expected outcomes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="What the panel expects the placement to achieve for the child",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _percent_input(self, "expected_attendance_percent")


class ReviewOutcomeForm(GovukForm):
    held_on = GovukDateField(label="Date the review was held")
    outcome = forms.ChoiceField(
        label="What did the review decide?",
        choices=[(o.value, o.label) for o in workflow.ReviewOutcome],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome of the review"},
    )
    evidence = forms.CharField(
        label="Evidence the review considered",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        help_text="Attendance, progress against the outcomes, reports from the school and the family",
        error_messages={"required": "Enter the evidence the review considered"},
    )
    next_review_on = GovukDateField(
        label="Next review due (to continue)",
        required=False,
        help_text="Leave empty for six months after this review; leave empty if the placement is to end",
    )
    planned_end_on = GovukDateField(
        label="Planned last day (to end)",
        required=False,
        help_text="Leave empty for the earliest day the notice period allows",
    )
    early_end_reason = forms.CharField(
        label="Why does it end sooner than the notice period allows? (if it does)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class NoticeForm(GovukForm):
    given_on = GovukDateField(label="Date notice was given")
    planned_end_on = GovukDateField(label="Planned last day of the placement")
    notice_period = forms.IntegerField(
        label="Notice period",
        required=False,
        min_value=0,
        max_value=366,
        help_text="Leave empty to keep the contract's notice period",
        error_messages={"invalid": "Enter the notice period as a whole number, 0 or more"},
    )
    notice_period_unit = forms.ChoiceField(
        label="Notice period in",
        choices=[(u.value, u.value.capitalize()) for u in workflow.NoticeUnit],
        widget=forms.RadioSelect,
        initial=workflow.NoticeUnit.WEEKS.value,
        error_messages={"required": "Select days or weeks"},
    )
    early_end_reason = forms.CharField(
        label="Why does it end sooner than the notice period allows? (if it does)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["notice_period"].widget.attrs.update({"class": "govuk-input govuk-input--width-3"})


class ChaseForm(GovukForm):
    chased_on = GovukDateField(label="Date the provider was chased")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Who you contacted and how",
    )


# --- Annual fee reviews (docs/domain.md §2.6) ---------------------------------------------------------


class FeeReviewStartForm(GovukForm):
    received_on = GovukDateField(label="Date the provider's request was received", help_text="For example, 2 6 2026")
    effective_from = GovukDateField(
        label="Date the new fee is to take effect",
        help_text="Usually the start of the school year, for example 1 9 2026",
    )
    requested_annual_cost_pence = MoneyField(
        label="Annual cost the provider asks for", what="the annual cost asked for", help_text="Like 56000.00"
    )
    reasons = forms.CharField(
        label="The provider's reasons",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Enter the provider's reasons for the uplift"},
    )


class FeeReviewLineForm(GovukForm):
    requested_amount_pence = MoneyField(
        label="Amount the provider asks for", what="the amount asked for", help_text="Per the line's period"
    )
    agreed_amount_pence = MoneyField(
        label="Amount agreed",
        what="the amount agreed",
        required=False,
        help_text="Per the line's period. Leave empty while the line is still being negotiated",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class FeeReviewAgreeForm(GovukForm):
    outcome_on = GovukDateField(label="Date agreed", help_text="For example, 1 7 2026")
    effective_from = GovukDateField(label="Date the new fee takes effect", help_text="For example, 1 9 2026")
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class FeeReviewCloseForm(GovukForm):
    outcome_on = GovukDateField(label="Date", help_text="For example, 1 7 2026")
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Enter the reason"},
    )
