"""Every model holding data about a child is in a subject data section (core/subject_data.py),
so a subject access copy cannot silently leave a new table out."""

from __future__ import annotations

import pytest
from django.apps import apps

from core.subject_data import covered_models

# Tables that point at a child's record but are not data about the child, and why.
NOT_SUBJECT_DATA = {
    "requests_app.RetentionItem": "the retention schedule's own list (which child ids were due)",
    "requests_app.OfficerDigest": "an officer's daily digest: case references for the officer, not the child's record",
}
ROOTS = {"requests_app.Child"}


def _label(model: type) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _holding_child_data() -> set[str]:
    """Models with a foreign key (or one-to-one) to the child, or to a model that has one."""
    found = set(ROOTS)
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            label = _label(model)
            if label in found or label in NOT_SUBJECT_DATA:
                continue
            targets = {
                _label(f.related_model) for f in model._meta.concrete_fields if f.is_relation and f.related_model
            }
            if targets & found:
                found.add(label)
                changed = True
    return found


@pytest.mark.django_db
def test_every_model_holding_child_data_is_in_a_section() -> None:
    missing = _holding_child_data() - covered_models()
    assert not missing, f"Add these to a subject data section (SUBJECT_DATA_SECTIONS): {sorted(missing)}"
