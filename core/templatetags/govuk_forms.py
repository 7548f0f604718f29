"""Template helpers for GOV.UK forms: what a filter form has applied, in words."""

from __future__ import annotations

from typing import Any

from django import forms, template

register = template.Library()

# Filters that change the order, not which rows are shown, are not named.
_NOT_FILTERS = frozenset({"ordering", "page"})


def _choice_label(field: forms.Field, value: Any) -> str:
    if isinstance(field, forms.ModelChoiceField):
        return str(field.label_from_instance(value))
    choices = {str(key): str(label) for key, label in getattr(field, "choices", [])}
    return choices.get(str(value), str(value))


@register.simple_tag
def applied_filters(form: forms.BaseForm | None) -> str:
    """The filters a valid, submitted filter form applies, for a page title: "Stage: Evaluating;
    Overdue only". Each filtered page gets its own title (WCAG 2.4.2)."""
    if form is None or not form.is_bound or not form.is_valid():
        return ""
    parts: list[str] = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        widget_choices = getattr(field.widget, "choices", None)
        if isinstance(value, bool) and widget_choices:  # a yes/no/any select: "Closed requests"
            chosen = {str(key): str(text) for key, text in widget_choices}.get(str(value).lower())
            if chosen:
                parts.append(chosen)
            continue
        if name in _NOT_FILTERS or value in (None, "", [], False) or isinstance(field.widget, forms.HiddenInput):
            continue
        label = str(field.label or name)
        if value is True:
            parts.append(label)
        elif isinstance(value, list | tuple | set) or hasattr(value, "model"):
            parts.append(f"{label}: {' or '.join(_choice_label(field, item) for item in value)}")
        elif isinstance(field, forms.ChoiceField):
            parts.append(f"{label}: {_choice_label(field, value)}")
        else:
            parts.append(f"{label}: {value}")
    return "; ".join(parts)


@register.simple_tag
def applied_filter_count(form: forms.BaseForm | None, *names: str) -> int:
    """How many of these fields the submitted filter form applies."""
    if form is None or not form.is_bound or not form.is_valid():
        return 0
    return sum(1 for name in names if form.cleaned_data.get(name) not in (None, "", [], False))
