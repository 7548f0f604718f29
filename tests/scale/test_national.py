"""The national data generator, at a tiny size: it refuses SQLite and other data, and on
PostgreSQL the rows it copies in satisfy the constraints (re-checked when they are recreated)
and carry the clocks the services would compute."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from demo import national
from requests_app import workflow
from requests_app.models import AdviceRequest, AssessmentRequest, Child, RequestEvent
from requests_app.services.common import refresh_clocks
from tests.requests_app.factories import ReceivedRequestFactory
from tests.requests_app.stored_checks import assert_stored_as_built

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.postgres_only  # COPY needs PostgreSQL
UNTIL = date(2026, 6, 30)


def test_the_scales_and_the_placement_share() -> None:
    assert national.SCALES == {"national": 1_500_000, "county": 40_000}
    assert national.Options(requests=1_500_000, until=UNTIL).placement_target == 30_000
    assert national.Options(requests=40_000, until=UNTIL).placement_target == 800


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite refusal")
def test_it_refuses_sqlite_with_a_clear_message() -> None:
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_national", "--requests", "10")


@postgres_only
def test_it_refuses_a_database_holding_other_data() -> None:
    ReceivedRequestFactory()
    with pytest.raises(CommandError, match="not national"):
        call_command("seed_national", "--requests", "10")


@postgres_only
def test_a_small_load_is_consistent() -> None:
    options = national.Options(requests=400, seed=7, until=UNTIL, placements=8)
    result = national.load(options, vacuum=False)

    assert AssessmentRequest.objects.count() == 400
    assert result.counts["request"] == 400
    assert 0 < result.counts["contract"] <= 8  # about 2% of requests, never more than asked
    assert Child.objects.count() == result.counts["child"]
    # One open request per child at most (the partial unique index, recreated, also says so).
    open_requests = AssessmentRequest.objects.open()
    assert open_requests.count() == result.open_requests
    assert open_requests.values("child").distinct().count() == open_requests.count()
    # Stored clocks are the services' own.
    for request in AssessmentRequest.objects.order_by("pk")[:200]:
        recomputed = copy.copy(request)
        refresh_clocks(recomputed)
        for name in ("decision_target_on", "final_plan_target_on", "week20", "next_deadline_on"):
            assert getattr(recomputed, name) == getattr(request, name), (request.pk, name)
        request.full_clean(validate_unique=False)
    # Every request's derived columns and events are the ones requests_app.stored builds.
    assert assert_stored_as_built(AssessmentRequest.objects.select_related("child").order_by("pk")) == 400
    # Statuses agree with outcomes.
    assert not AssessmentRequest.objects.filter(status="refused").exclude(request_outcome="N").exists()
    assert not AssessmentRequest.objects.filter(status="plan_issued").exclude(assessment_outcome="Y").exists()
    assert not AssessmentRequest.objects.filter(status__in=workflow.OPEN_STATUSES, next_deadline_on__isnull=True)
    assert not AdviceRequest.objects.filter(received_on__lt=F("requested_on")).exists()
    assert RequestEvent.objects.filter(action="created").count() == 400

    # A second load without --reset is refused.
    with pytest.raises(national.NationalDataError, match="--reset"):
        national.load(options, vacuum=False)
    # The sequences continue after the copied ids.
    assert ReceivedRequestFactory().pk > 400
