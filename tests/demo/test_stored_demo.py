"""The demo's requests are stored as the services store them: the values built by the one pure
module, and each request's district copied from its child (ADR 0007)."""

from __future__ import annotations

import pytest
from django.db.models import F

from demo.requests_demo import DEMO_PREFIX
from requests_app.models import AssessmentRequest
from tests.demo.conftest import SeededDemo
from tests.requests_app.stored_checks import assert_stored_as_built

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_requests_with_their_childs_district(demo_state: SeededDemo) -> None:
    assert AssessmentRequest.objects.count() > 100
    drifted = AssessmentRequest.objects.exclude(district_id=F("child__district_id")).values_list("pk", flat=True)
    assert list(drifted) == []


def test_the_demos_rows_are_the_builders(demo_state: SeededDemo) -> None:
    demo = AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX).order_by("pk")
    assert assert_stored_as_built(demo) == demo.count() > 100
