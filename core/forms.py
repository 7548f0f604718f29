"""GOV.UK Design System forms: field markup, a day/month/year date input, error summaries."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting


class GovukRenderer(TemplatesSetting):
    """Render every form field with GOV.UK markup (label, hint, error message, input)."""

    form_template_name = "govuk/form.html"
    field_template_name = "govuk/field.html"


class GovukDateInput(forms.MultiWidget):
    """The GOV.UK date input: three boxes for day, month and year."""

    template_name = "govuk/widgets/date.html"

    def __init__(self, attrs: dict[str, Any] | None = None):
        widgets = {
            "day": forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-2",
                    "maxlength": "2",
                }
            ),
            "month": forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-2",
                    "maxlength": "2",
                }
            ),
            "year": forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-4",
                    "maxlength": "4",
                }
            ),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and value.count("-") == 2:
            year, month, day = value.split("-")
            return [day, month, year]
        return [None, None, None]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str | None:
        day, month, year = (data.get(f"{name}_{part}", "").strip() for part in ("day", "month", "year"))
        if not (day or month or year):
            return None
        return f"{year}-{month.zfill(2)}-{day.zfill(2)}"

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(f"{name}_{part}" in data for part in ("day", "month", "year"))


class GovukDateField(forms.DateField):
    widget = GovukDateInput

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)
        label = str(self.label or "Date").capitalize() if self.label else "The date"
        self.error_messages = {
            **self.error_messages,
            "required": kwargs.get("error_messages", {}).get(
                "required", f"Enter {str(self.label or 'the date').lower()}"
            ),
            "invalid": f"{label} must be a real date, for example 27 3 2024",
        }


_WIDGET_CLASSES = {
    "textinput": "govuk-input",
    "numberinput": "govuk-input govuk-input--width-10",
    "emailinput": "govuk-input",
    "passwordinput": "govuk-input govuk-password-input__input govuk-js-password-input-input",
    "urlinput": "govuk-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "clearablefileinput": "govuk-file-upload",
    "fileinput": "govuk-file-upload",
    "checkboxinput": "govuk-checkboxes__input",
}


_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-select": "govuk-select--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-file-upload": "govuk-file-upload--error",
}


class GovukFormMixin(forms.BaseForm):
    """Give every widget its GOV.UK class and tie error messages to inputs for screen readers."""

    default_renderer = GovukRenderer
    # Label optional fields "(optional)", as GOV.UK asks; filter forms (not GovukForms) do not.
    show_optional = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = _WIDGET_CLASSES.get(widget.__class__.__name__.lower())
            if css and "class" not in widget.attrs:
                widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            css = widget.attrs.get("class", "")
            base = css.split(" ")[0] if css else ""
            if base in _ERROR_CLASSES and _ERROR_CLASSES[base] not in css:
                widget.attrs["class"] = f"{css} {_ERROR_CLASSES[base]}"
            widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    pass
