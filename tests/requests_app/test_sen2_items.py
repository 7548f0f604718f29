"""Recording the SEN2 return's items on a request: the services, the pages and the API fields."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.errors import ValidationFailed
from core.roles import Role
from demo.core_demo import KENT_DISTRICTS
from requests_app.importer.parse import COLUMNS, SEN2_COLUMNS, parse_rows
from requests_app.importer.run import import_lines
from requests_app.models import AssessmentRequest, Child, PlanPlacement, RequestEvent
from requests_app.services.sen2 import request_add_placement, request_record_sen2
from tests.requests_app.factories import (
    DistrictFactory,
    EstablishmentFactory,
    PlanIssuedRequestFactory,
    RefusedRequestFactory,
)

pytestmark = pytest.mark.django_db


def test_record_sen2_items_writes_one_event_naming_the_items(personas: Any) -> None:
    request = PlanIssuedRequestFactory()
    request_record_sen2(
        actor=personas.officer,
        request=request,
        ethnicity="WBRI",
        uln="1000000000",
        sen2_request_source="3",
        plan_ceased_on=request.final_plan_issued_on,
        plan_cease_reason="4",
    )
    request.refresh_from_db()
    request.child.refresh_from_db()
    assert (request.child.ethnicity, request.child.uln, request.sen2_request_source) == ("WBRI", "1000000000", "3")
    event = RequestEvent.objects.filter(request=request, action="sen2_recorded").get()
    assert event.payload["fields"] == ["ethnicity", "plan_cease_reason", "plan_ceased_on", "sen2_request_source", "uln"]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"ethnicity": "XXXX"}, "ethnicity"),
        ({"uln": "1000000001"}, "uln"),
        ({"upn_unknown": "UN4"}, "upn_unknown"),
        ({"sen2_request_source": "9"}, "sen2_request_source"),
        ({"plan_ceased_on": date(2025, 1, 1)}, "plan_cease_reason"),
    ],
)
def test_record_sen2_refuses_bad_items_naming_the_field(personas: Any, given: dict[str, Any], field: str) -> None:
    request = PlanIssuedRequestFactory()
    with pytest.raises(ValidationFailed) as error:
        request_record_sen2(actor=personas.officer, request=request, **given)
    assert field in (error.value.errors or {})


def test_plan_dates_need_an_issued_plan(personas: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        request_record_sen2(actor=personas.officer, request=RefusedRequestFactory(), plan_start_on=date(2025, 1, 1))
    assert "plan_start_on" in (error.value.errors or {})


def test_add_placement_establishment_or_setting(personas: Any) -> None:
    request = PlanIssuedRequestFactory()
    with pytest.raises(ValidationFailed):
        request_add_placement(actor=personas.officer, request=request, establishment=None)
    with pytest.raises(ValidationFailed) as error:
        request_add_placement(actor=personas.officer, request=request, establishment=None, sen_setting="OTH")
    assert "sen_setting_other" in (error.value.errors or {})
    placement = request_add_placement(
        actor=personas.officer,
        request=request,
        establishment=EstablishmentFactory(),
        rank=1,
        entry_on=request.final_plan_issued_on,
        sen_unit=True,
    )
    assert PlanPlacement.objects.get().pk == placement.pk
    assert RequestEvent.objects.filter(request=request, action="placement_recorded").count() == 1


@pytest.mark.parametrize("role", [Role.SEN_OFFICER, Role.PANEL_MEMBER, Role.FINANCE_OFFICER, Role.MANAGER])
def test_pages_for_officers_only(role: Role, personas: Any, page_client_for: Callable[[Any], Any]) -> None:
    request = PlanIssuedRequestFactory()
    client = page_client_for(personas.for_role(role))
    allowed = role is Role.SEN_OFFICER
    for url in (f"/requests/{request.pk}/sen2/", f"/requests/{request.pk}/placements/new/"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    response = client.post(f"/requests/{request.pk}/sen2/", {"ethnicity": "BAFR", "rya": "on"})
    assert response.status_code == (302 if allowed else 403)
    request.child.refresh_from_db()
    assert (request.child.ethnicity == "BAFR") is allowed


def test_detail_page_and_api_show_the_items(
    personas: Any, page_client_for: Callable[[Any], Any], api_client_for: Callable[[Any], Any]
) -> None:
    request = PlanIssuedRequestFactory()
    request_record_sen2(actor=personas.officer, request=request, ethnicity="CHNE", rya=True)
    page = page_client_for(personas.officer).get(f"/requests/{request.pk}/")
    assert "Chinese" in page.content.decode()
    data = api_client_for(personas.officer).get(f"/api/requests/{request.pk}/").json()
    assert data["rya"] is True and data["child"]["ethnicity"] == "CHNE" and data["placements"] == []


# --- import_requests: the SEN2 columns are optional ------------------------------------------------

GOOD = Path(__file__).resolve().parent / "data" / "good.csv"


def _with_sen2(**values: str) -> str:
    with GOOD.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    plan_row = next(i for i, row in enumerate(rows) if row["assessment_outcome"] == "Y")
    rows[plan_row].update(values)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, *SEN2_COLUMNS], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_import_accepts_the_sen2_columns(db: None) -> None:
    for name in KENT_DISTRICTS:
        DistrictFactory(name=name)
    import_lines(
        io.StringIO(_with_sen2(ethnicity="wbri", uln="1000000000", rya="1", plan_cease_reason="")),
        source_name="sen2.csv",
        today=date(2026, 1, 15),
    )
    child = Child.objects.get(ethnicity="WBRI")
    assert child.uln == "1000000000"
    assert AssessmentRequest.objects.get(rya=True).child == child


def test_import_checks_the_sen2_columns() -> None:
    parsed = parse_rows(
        io.StringIO(_with_sen2(ethnicity="XXXX", uln="1000000001", plan_ceased_on="2025-01-01")),
        districts={name.casefold(): n for n, name in enumerate(KENT_DISTRICTS, start=1)},
        today=date(2026, 1, 15),
    )
    assert {e.column for e in parsed.errors} == {"ethnicity", "uln", "plan_cease_reason"}
