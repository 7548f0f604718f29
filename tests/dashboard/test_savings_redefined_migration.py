"""Months whose stored figures hold a negative negotiation saving (the old definition, before an
uplift became its own figure) are marked stale by the data migration, so the nightly job
recomputes them; other months are left alone."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.utils import timezone

from core.models import StaleMonth
from reporting.models import MonthlyMetric

migration = importlib.import_module("reporting.migrations.0005_savings_redefined_months_stale")

pytestmark = pytest.mark.django_db


def test_only_months_with_a_negative_saving_are_marked_stale() -> None:
    now = timezone.now()
    MonthlyMetric.objects.create(month=date(2024, 3, 1), data={"placements_savings_pence": -4_015_000}, computed_at=now)
    MonthlyMetric.objects.create(month=date(2024, 4, 1), data={"placements_savings_pence": 120_000}, computed_at=now)
    MonthlyMetric.objects.create(month=date(2024, 5, 1), data={"placements_savings_pence": None}, computed_at=now)
    MonthlyMetric.objects.create(month=date(2024, 6, 1), data={}, computed_at=now)

    migration.mark_negative_savings_stale(apps, None)

    assert list(StaleMonth.objects.values_list("month", "reason")) == [(date(2024, 3, 1), migration.REASON)]
