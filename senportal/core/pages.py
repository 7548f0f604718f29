"""Page helpers: turn a service's domain error into a GOV.UK error summary on the form."""

from __future__ import annotations

from django import forms

from senportal.core.errors import DomainError


def form_add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Attach a service's errors to the form so the error summary and the fields show them.

    Errors naming a field the form has go on that field; the rest become non-field errors.
    """
    placed = False
    for field, messages in (error.errors or {}).items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
