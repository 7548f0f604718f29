"""GOV.UK Design System forms: field markup, a day/month/year date input, error summaries."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core import validators
from django.forms.renderers import TemplatesSetting
from django.forms.utils import pretty_name

from core import limits


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
        label = str(self.label) if self.label else "The date"
        self.error_messages = {
            **self.error_messages,
            "required": kwargs.get("error_messages", {}).get(
                "required", f"Enter {field_phrase(self.label) if self.label else 'the date'}"
            ),
            "invalid": f"{label} must be a real date, for example 27 3 2024",
        }


# --- Error messages -----------------------------------------------------------------------------
# GOV.UK error messages name the field and say what to do ("Enter the postcode", "Select the
# district"), never Django's generic "This field is required." (WCAG 3.3.1
# and 3.3.3). Each form field gets messages derived from its label and widget; a message a form
# sets itself (``error_messages=`` or in ``__init__``) is kept.

# Words after which no "the" is added: "Select who asked", not "Select the who asked".
_NO_ARTICLE = frozenset(
    ["the", "a", "an", "your", "its", "their", "this", "these", "each", "any", "all"]
    + ["who", "what", "when", "where", "why", "how", "whether", "which", "if"]
)
_CHOICE_WIDGETS = (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.SelectMultiple)


def field_phrase(label: Any) -> str:
    """A label as it reads inside a sentence: "First name" -> "the first name", "UPN" -> "the
    UPN", "Who asked" -> "who asked"."""
    text = str(label).strip().rstrip(":")
    first, _, rest = text.partition(" ")
    if not (len(first) > 1 and first[1].isupper()):  # keep acronyms ("UPN", "SENCO") as written
        first = first[:1].lower() + first[1:]
    text = f"{first} {rest}".strip()
    return text if first.lower() in _NO_ARTICLE else f"the {text}"


def _django_defaults(field: forms.Field) -> dict[str, str]:
    messages: dict[str, str] = {}
    for klass in reversed(type(field).__mro__):
        messages.update({code: str(text) for code, text in getattr(klass, "default_error_messages", {}).items()})
    return messages


def field_error_messages(field: forms.Field, name: str) -> dict[str, str]:
    """GOV.UK-style messages for a field, from its label and widget."""
    label = str(field.label or pretty_name(name)).strip()
    # For messages Django fills in with "%" formatting ("Attendance threshold (%)").
    escaped = label.replace("%", "%%")
    question = label.endswith("?")
    phrase = field_phrase(label)
    widget = field.widget
    if question:
        answer = f"an answer to “{label}”"
        required = f"Select {answer}" if isinstance(widget, _CHOICE_WIDGETS) else f"Enter {answer}"
        choose = f"Select {answer} from the list"
    elif isinstance(widget, forms.CheckboxInput):
        required = f"Select “{label}” to continue"
        choose = required
    elif isinstance(widget, forms.FileInput):
        required = f"Select {phrase}" if phrase.startswith(("a ", "an ")) else f"Select a file for {phrase}"
        choose = required
    elif isinstance(widget, _CHOICE_WIDGETS):
        required = f"Select {phrase}"
        choose = f"Select {phrase} from the list"
    else:
        required = f"Enter {phrase}"
        choose = f"Select {phrase} from the list"
    messages = {
        "required": required,
        "invalid_choice": choose,
        "invalid_list": choose,
        "invalid_pk_value": choose,
        "max_length": f"{escaped} must be %(limit_value)d characters or fewer",
        "min_length": f"{escaped} must be %(limit_value)d characters or more",
        "max_value": f"{escaped} must be %(limit_value)s or less",
        "min_value": f"{escaped} must be %(limit_value)s or more",
        "step_size": f"{escaped} must be a multiple of %(limit_value)s",
        "max_digits": f"{escaped} must have no more than %(max)s digits",
        "max_decimal_places": f"{escaped} must have no more than %(max)s decimal places",
        "max_whole_digits": f"{escaped} must have no more than %(max)s digits before the decimal point",
        "unique": f"{label} is already used by another record – enter a different one",
        "empty": f"The file selected for {phrase} is empty – select a file with something in it",
        "missing": f"Select a file for {phrase}",
        "contradiction": f"Either select a new file for {phrase} or tick “Clear”, not both",
    }
    if isinstance(field, forms.EmailField):
        messages["invalid"] = f"Enter {phrase} in the correct format, like name@example.com"
    elif isinstance(field, forms.URLField):
        messages["invalid"] = f"Enter {phrase} in the correct format, like https://www.example.com"
    elif isinstance(field, forms.IntegerField):
        messages["invalid"] = f"{label} must be a whole number, like 12"
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        messages["invalid"] = f"{label} must be a number, like 12.5"
    elif isinstance(field, forms.TimeField):
        messages["invalid"] = f"Enter {phrase} as a time on the 24-hour clock, like 14:30"
    elif isinstance(field, forms.DateField):
        messages["invalid"] = f"{label} must be a real date, like 27 3 2024"
    elif isinstance(field, forms.FileField):
        messages["invalid"] = f"The file selected for {phrase} could not be read – select it again"
    else:
        messages["invalid"] = f"Enter {phrase} in the correct format"
    return messages


def apply_error_messages(field: forms.Field, name: str) -> None:
    """Replace each of Django's generic messages on this field (and add ones for validators'
    codes, which a field's ``error_messages`` overrides) with one that names the field."""
    defaults = _django_defaults(field)
    for code, text in field_error_messages(field, name).items():
        current = field.error_messages.get(code)
        if current is None or str(current) == defaults.get(code):
            field.error_messages[code] = text


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


def cap_text_field(field: forms.Field) -> None:
    """Give a text field with no length cap of its own the default from ``core.limits``: a
    line ``FORM_LINE_DEFAULT``, a text area ``FORM_TEXTAREA_DEFAULT``. No ``maxlength``
    attribute (a browser would cut the text silently): the error names the field instead."""
    if type(field) is not forms.CharField or field.max_length is not None:
        return
    if isinstance(field.widget, forms.Textarea):
        field.max_length = limits.FORM_TEXTAREA_DEFAULT
    elif isinstance(field.widget, forms.HiddenInput):
        field.max_length = limits.REASON_TEXT  # a return address with its filters
    else:
        field.max_length = limits.FORM_LINE_DEFAULT
    field.validators.append(validators.MaxLengthValidator(field.max_length))


class GovukFormMixin(forms.BaseForm):
    """Give every widget its GOV.UK class and tie error messages to inputs for screen readers."""

    default_renderer = GovukRenderer
    # Label optional fields "(optional)", as GOV.UK asks; filter forms (not GovukForms) do not.
    show_optional = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            css = _WIDGET_CLASSES.get(widget.__class__.__name__.lower())
            if css and "class" not in widget.attrs:
                widget.attrs["class"] = css
            cap_text_field(field)
            apply_error_messages(field, name)

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
            # Add the error to what describes the input, keeping the hint (WCAG 1.3.1): a field
            # in a fieldset has both on the fieldset, in govuk/field.html.
            bound = self[name]
            described_by = [f"{bound.auto_id}_helptext"] if bound.help_text and not bound.use_fieldset else []
            widget.attrs["aria-describedby"] = " ".join([*described_by, f"{bound.auto_id}-error"])


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    pass
