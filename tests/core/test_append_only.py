"""The three event trails are append-only through one base in core (issue 11, "each rule in one
place"): a row is never changed or deleted, one at a time or in bulk."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import models
from django.utils import timezone

from core.models import AppendOnlyError, AppendOnlyModel
from panels.models import PanelEvent
from placements.models import PlacementEvent
from requests_app.models import AssessmentRequest, RequestEvent
from tests.placements.factories import DraftContractFactory
from tests.requests_app.factories import ReceivedRequestFactory

pytestmark = pytest.mark.django_db

APPEND_ONLY = [RequestEvent, PanelEvent, PlacementEvent]


def _request_event() -> models.Model:
    return RequestEvent.objects.create(request=ReceivedRequestFactory(), action="created", to_status="received")


def _panel_event() -> models.Model:
    return PanelEvent.objects.create(action="meeting_scheduled", occurred_at=timezone.now())


def _placement_event() -> models.Model:
    return PlacementEvent.objects.create(contract=DraftContractFactory(), action="contract_created")


MAKERS: list[Callable[[], models.Model]] = [_request_event, _panel_event, _placement_event]


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_every_trail_uses_the_one_append_only_base(model: type[models.Model]) -> None:
    assert issubclass(model, AppendOnlyModel)


@pytest.mark.parametrize("make", MAKERS, ids=lambda m: m.__name__.strip("_"))
def test_a_row_cannot_be_changed_or_deleted(make: Callable[[], models.Model]) -> None:
    row = make()
    with pytest.raises(AppendOnlyError, match="append-only"):
        row.save()
    with pytest.raises(AppendOnlyError, match="append-only"):
        row.delete()
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("make", MAKERS, ids=lambda m: m.__name__.strip("_"))
def test_rows_cannot_be_changed_or_deleted_in_bulk(make: Callable[[], models.Model]) -> None:
    row = make()
    rows = type(row).objects.filter(pk=row.pk)
    with pytest.raises(AppendOnlyError, match="append-only"):
        rows.update(pk=row.pk)
    with pytest.raises(AppendOnlyError, match="append-only"):
        rows.delete()
    assert rows.exists()


def test_deleting_what_a_trail_belongs_to_still_takes_its_rows() -> None:
    """The cascade is Django's SQL, not the refused ``delete()`` (tests and the demo reset rely on it)."""
    event = _request_event()
    AssessmentRequest.objects.filter(pk=event.request_id).delete()
    assert not RequestEvent.objects.filter(pk=event.pk).exists()
