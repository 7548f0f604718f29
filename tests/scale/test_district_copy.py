"""The national COPY generator writes each request with its child's district (decision 0007)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import F

from demo import national
from requests_app.models import AssessmentRequest

pytestmark = pytest.mark.django_db


@pytest.mark.postgres_only  # COPY needs PostgreSQL
def test_a_national_load_copies_the_childs_district_onto_every_request() -> None:
    national.load(national.Options(requests=300, seed=3, until=date(2026, 6, 30), placements=4), vacuum=False)

    assert AssessmentRequest.objects.count() == 300
    assert not AssessmentRequest.objects.filter(district__isnull=True).exists()
    assert not AssessmentRequest.objects.exclude(district_id=F("child__district_id")).exists()
    # More than one district is used, so a constant would not pass.
    assert AssessmentRequest.objects.values("district").distinct().count() > 1
