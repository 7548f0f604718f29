"""The placements API: every action through its endpoint, the 400/403/409 errors, the access log
and query counts that do not grow with the page."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from core.models import AccessAction, AccessLog
from placements import reports
from placements.models import AttendanceReturn, Deduction, PlacementContract, Provider
from tests.panels.factories import IndependentSchoolFactory, SpecialSchoolFactory
from tests.placements.factories import (
    ActiveContractFactory,
    AttendanceReturnFactory,
    CostLineFactory,
    DeductionFactory,
    DraftContractFactory,
    NegotiatingContractFactory,
    PenaltyClauseFactory,
    ProviderFactory,
    approved_decision,
    make_active_contract,
)

pytestmark = pytest.mark.django_db

BASE = "/api/placements"


@pytest.fixture
def finance_api(api_client_for, personas):
    return api_client_for(personas.finance)


@pytest.fixture
def manager_api(api_client_for, personas):
    return api_client_for(personas.manager)


def test_urls_are_named():
    assert reverse("placement-contract-list") == f"{BASE}/contracts/"
    assert reverse("placement-cost-line-update", args=[1]) == f"{BASE}/cost-lines/1/update/"
    assert reverse("placement-attendance-return-import") == f"{BASE}/attendance-returns/import/"
    assert reverse("placement-deduction-waive", args=[1]) == f"{BASE}/deductions/1/waive/"
    assert reverse("placement-purchasing-power") == f"{BASE}/purchasing-power/"


# --- Providers -------------------------------------------------------------------------------------


def test_provider_upsert_creates_then_updates(finance_api):
    school = IndependentSchoolFactory()
    body = {"establishment_id": school.pk, "procurement_route": "framework", "fee_min_annual_pence": 4_500_000}
    response = finance_api.post(f"{BASE}/providers/upsert/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["establishment"]["name"] == school.name
    response = finance_api.post(
        f"{BASE}/providers/upsert/", {**body, "procurement_route": "spot_purchase"}, format="json"
    )
    assert Provider.objects.get().procurement_route == "spot_purchase"
    listed = finance_api.get(f"{BASE}/providers/").json()
    assert listed["count"] == 1
    assert finance_api.get(f"{BASE}/providers/{Provider.objects.get().pk}/").status_code == 200


def test_provider_upsert_refuses_a_maintained_school(finance_api):
    response = finance_api.post(
        f"{BASE}/providers/upsert/",
        {"establishment_id": SpecialSchoolFactory().pk, "procurement_route": "framework"},
        format="json",
    )
    assert response.status_code == 400
    assert "establishment" in response.json()["errors"]


# --- Contracts ---------------------------------------------------------------------------------------


def test_contract_created_from_a_decision_defaults_to_its_provider(finance_api):
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment)
    response = finance_api.post(
        f"{BASE}/contracts/",
        {"panel_decision_id": decision.pk, "start_on": "2025-09-01", "annual_review_on": "2026-07-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["provider"]["id"] == provider.pk
    assert body["ceiling_pence"] == 5_500_000
    assert body["allowed_actions"][:1] == ["start_negotiation"]
    # The same approval again: the child already has an open contract with the provider.
    again = finance_api.post(
        f"{BASE}/contracts/",
        {"panel_decision_id": decision.pk, "start_on": "2025-09-01", "annual_review_on": "2026-07-01"},
        format="json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_contract_from_a_declined_decision_is_refused(finance_api):
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment, outcome="decline")
    response = finance_api.post(
        f"{BASE}/contracts/",
        {
            "panel_decision_id": decision.pk,
            "provider_id": provider.pk,
            "start_on": "2025-09-01",
            "annual_review_on": "2026-07-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["panel_decision"] == [
        "The panel decision must be an approval (approved, or approved with conditions)"
    ]
    assert not PlacementContract.objects.exists()


def test_full_negotiation_through_the_api(finance_api):
    contract = DraftContractFactory()
    url = f"{BASE}/contracts/{contract.pk}"
    assert finance_api.post(f"{url}/start-negotiation/", {}, format="json").json()["status"] == "negotiating"
    response = finance_api.post(
        f"{url}/cost-lines/",
        {"category": "tuition", "quoted_amount_pence": 1_733_334, "period": "term"},
        format="json",
    )
    assert response.status_code == 200
    line = response.json()["cost_lines"][0]
    assert (line["periods_per_year"], line["quoted_annual_pence"]) == (3, 5_200_002)
    today = timezone.localdate().isoformat()
    for offer, counter in ((5_200_002, 4_800_000), (5_000_000, None)):
        response = finance_api.post(
            f"{url}/negotiation-rounds/",
            {"on": today, "provider_offer_pence": offer, "council_counter_offer_pence": counter},
            format="json",
        )
        assert response.status_code == 200
    assert [r["round_no"] for r in response.json()["negotiation_rounds"]] == [1, 2]
    response = finance_api.post(
        f"{BASE}/cost-lines/{line['id']}/update/", {"agreed_amount_pence": 1_666_667}, format="json"
    )
    assert response.json()["agreed_annual_cost_pence"] == 5_000_001
    response = finance_api.post(f"{url}/agree/", {"note": "Agreed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["saving_pence"] == 200_001
    response = finance_api.post(
        f"{url}/penalty-clause/",
        {"threshold_percent": "90", "rule": "percent_of_period_fee", "deduction_percent": "10"},
        format="json",
    )
    assert response.json()["penalty_clause"]["threshold_percent"] == "90.00"
    response = finance_api.post(
        f"{url}/attendance-returns/",
        {
            "period_kind": "term",
            "period_start": "2025-09-01",
            "period_end": "2025-12-19",
            "sessions_possible": 140,
            "sessions_attended": 110,
            "authorised_absence": 10,
            "unauthorised_absence": 20,
        },
        format="json",
    )
    deduction = response.json()["attendance_returns"][0]["deduction"]
    assert (deduction["amount_pence"], deduction["status"]) == (166_667, "pending")
    response = finance_api.post(f"{BASE}/deductions/{deduction['id']}/confirm/", {}, format="json")
    assert response.json()["attendance_returns"][0]["deduction"]["status"] == "confirmed"
    # Confirmed once: a second decision is a 409.
    again = finance_api.post(f"{BASE}/deductions/{deduction['id']}/waive/", {"reason": "x"}, format="json")
    assert again.status_code == 409


def test_agree_over_the_ceiling_is_a_400_naming_the_ceiling(finance_api):
    contract = NegotiatingContractFactory()
    CostLineFactory(contract=contract, quoted_amount_pence=6_100_000, agreed_amount_pence=6_000_000)
    response = finance_api.post(f"{BASE}/contracts/{contract.pk}/agree/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The agreed annual cost £60,000.00 exceeds the panel's ceiling of £55,000.00. A new panel decision is needed."
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("agree", {}),
        ("end", {"ended_on": "2026-07-01", "reason": "Moved", "leaving_reason": "moved_school"}),
        ("negotiation-rounds", {"on": "2025-07-01", "provider_offer_pence": 100}),
        (
            "attendance-returns",
            {
                "period_kind": "term",
                "period_start": "2025-09-01",
                "period_end": "2025-12-19",
                "sessions_possible": 1,
                "sessions_attended": 1,
                "authorised_absence": 0,
                "unauthorised_absence": 0,
            },
        ),
    ],
)
def test_actions_not_allowed_on_a_draft_are_409(finance_api, path, body):
    contract = DraftContractFactory()
    response = finance_api.post(f"{BASE}/contracts/{contract.pk}/{path}/", body, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "invalid_transition"


def test_input_shape_errors_are_400_by_field(finance_api):
    contract = NegotiatingContractFactory()
    response = finance_api.post(
        f"{BASE}/contracts/{contract.pk}/cost-lines/",
        {"category": "caviar", "quoted_amount_pence": -1, "period": "year"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"category", "quoted_amount_pence"}
    response = finance_api.post(f"{BASE}/contracts/{contract.pk}/end/", {}, format="json")
    assert response.status_code == 400


def test_manager_reads_but_cannot_write(manager_api):
    contract = NegotiatingContractFactory()
    assert manager_api.get(f"{BASE}/contracts/").status_code == 200
    assert manager_api.get(f"{BASE}/contracts/{contract.pk}/").status_code == 200
    assert manager_api.get(f"{BASE}/purchasing-power/").status_code == 200
    for path, body in (
        (f"{BASE}/contracts/{contract.pk}/agree/", {}),
        (f"{BASE}/contracts/", {"panel_decision_id": 1, "start_on": "2025-09-01", "annual_review_on": "2026-01-01"}),
        (f"{BASE}/providers/upsert/", {"establishment_id": 1, "procurement_route": "framework"}),
        (f"{BASE}/attendance-returns/import/", {"csv": "x"}),
    ):
        response = manager_api.post(path, body, format="json")
        assert response.status_code == 403, path
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("persona", ["officer", "panel_member", "chair", "ep"])
def test_other_roles_get_403(api_client_for, personas, persona):
    contract = ActiveContractFactory()
    client = api_client_for(getattr(personas, persona))
    for path in (f"{BASE}/contracts/", f"{BASE}/contracts/{contract.pk}/", f"{BASE}/providers/", f"{BASE}/figures/"):
        assert client.get(path).status_code == 403, path


def test_anonymous_gets_401(api_client_for):
    assert api_client_for(None).get(f"{BASE}/contracts/").status_code == 401


def test_unknown_ids_are_404(finance_api):
    assert finance_api.get(f"{BASE}/contracts/999999/").status_code == 404
    assert finance_api.post(f"{BASE}/deductions/999999/confirm/", {}, format="json").status_code == 404


# --- Filters, the access log, query counts --------------------------------------------------------


def test_contract_list_filters(finance_api):
    active = ActiveContractFactory()
    draft = DraftContractFactory()
    ids = lambda response: {row["id"] for row in response.json()["results"]}  # noqa: E731
    assert ids(finance_api.get(f"{BASE}/contracts/", {"status": "active"})) == {active.pk}
    assert ids(finance_api.get(f"{BASE}/contracts/", {"provider": draft.provider_id})) == {draft.pk}
    assert ids(finance_api.get(f"{BASE}/contracts/", {"need": "SEMH"})) == set()
    assert ids(finance_api.get(f"{BASE}/contracts/", {"figure": "pupils"})) == set(
        reports.contracts_for("pupils").values_list("pk", flat=True)
    )
    assert finance_api.get(f"{BASE}/contracts/", {"status": "lost"}).status_code == 400


def test_reads_leave_access_log_rows(finance_api, personas):
    contract = ActiveContractFactory()
    finance_api.get(f"{BASE}/contracts/")
    finance_api.get(f"{BASE}/contracts/{contract.pk}/")
    rows = AccessLog.objects.filter(user=personas.finance, child_id=contract.child_id)
    assert sorted(rows.values_list("action", flat=True)) == sorted([AccessAction.LIST, AccessAction.VIEW])


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"page_size": 100})
        assert response.status_code == 200
    return len(captured)


def _contract_with_everything() -> PlacementContract:
    clause = PenaltyClauseFactory()
    contract = clause.contract
    CostLineFactory(
        contract=contract, category="transport", agreed_amount_pence=1_000, period="day", periods_per_year=190
    )
    DeductionFactory(attendance_return=AttendanceReturnFactory(contract=contract))
    return contract


def test_contract_list_query_count_does_not_grow_with_rows(finance_api):
    _contract_with_everything()
    one = _queries(finance_api, f"{BASE}/contracts/")
    for _ in range(49):
        _contract_with_everything()
    assert _queries(finance_api, f"{BASE}/contracts/") == one


def test_contract_detail_query_count_does_not_grow_with_lines_and_returns(finance_api):
    contract = _contract_with_everything()
    first = _queries(finance_api, f"{BASE}/contracts/{contract.pk}/")
    for month in range(1, 7):
        CostLineFactory(contract=contract, category="therapy_other", agreed_amount_pence=100)
        DeductionFactory(
            attendance_return=AttendanceReturnFactory(
                contract=contract,
                period_kind="month",
                period_start=date(2026, month, 1),
                period_end=date(2026, month, 20),
            )
        )
    assert _queries(finance_api, f"{BASE}/contracts/{contract.pk}/") == first


def test_provider_list_query_count_does_not_grow_with_rows(finance_api):
    ProviderFactory()
    one = _queries(finance_api, f"{BASE}/providers/")
    for _ in range(49):
        ProviderFactory()
    assert _queries(finance_api, f"{BASE}/providers/") == one


# --- Import and reports ---------------------------------------------------------------------------


def _csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "contract_ref",
            "period_kind",
            "period_start",
            "period_end",
            "sessions_possible",
            "sessions_attended",
            "authorised_absence",
            "unauthorised_absence",
        ]
    )
    writer.writerows(rows)
    return buffer.getvalue()


def test_import_good_file_is_200_with_results(finance_api):
    contract = PenaltyClauseFactory().contract
    text = _csv_text([[contract.reference, "term", "2025-09-01", "2025-12-19", 140, 100, 0, 40]])
    response = finance_api.post(f"{BASE}/attendance-returns/import/", {"csv": text}, format="json")
    assert response.status_code == 200
    assert response.json()["created"] == 1
    assert response.json()["deductions_pending"] == 1
    assert Deduction.objects.count() == 1


def test_import_bad_file_is_400_with_row_and_column_and_imports_nothing(finance_api):
    contract = PenaltyClauseFactory().contract
    text = _csv_text(
        [
            [contract.reference, "term", "2025-09-01", "2025-12-19", 140, 100, 0, 40],
            [contract.reference, "fortnight", "2026-01-05", "2026-01-16", 20, 20, 0, 0],
        ]
    )
    response = finance_api.post(f"{BASE}/attendance-returns/import/", {"csv": text}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["row_errors"] == [{"row": 3, "column": "period_kind", "reason": "Select term or month"}]
    assert body["errors"] == {"row 3: period_kind": ["Select term or month"]}
    assert not AttendanceReturn.objects.exists()


def test_purchasing_power_and_figures(finance_api, personas):
    make_active_contract(actor=personas.finance)
    response = finance_api.get(f"{BASE}/purchasing-power/", {"order_by": "-committed_pence"})
    assert response.status_code == 200
    expected = reports.purchasing_power(order_by="-committed_pence")
    assert response.json()["rows"] == [{k: v for k, v in row.items() if k != "establishment_id"} for row in expected]
    by_need = finance_api.get(f"{BASE}/purchasing-power/", {"by": "need", "order_by": "primary_need"}).json()
    assert by_need["rows"][0]["primary_need"] == "ASD"
    assert finance_api.get(f"{BASE}/purchasing-power/", {"order_by": "salary"}).status_code == 400
    figures = finance_api.get(f"{BASE}/figures/").json()
    assert figures["active_placements"] == reports.placement_figures().active_placements == 1
    assert figures["committed_annual_pence"] == 5_000_000


def test_start_before_review_date_rules_come_from_the_service(finance_api):
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment)
    start = timezone.localdate()
    response = finance_api.post(
        f"{BASE}/contracts/",
        {
            "panel_decision_id": decision.pk,
            "start_on": start.isoformat(),
            "annual_review_on": (start - timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "annual_review_on": ["The annual review of fees must be on or after the start date"]
    }


# --- Issue 12: returns that clash or do not add up, savings only when agreed, rounds ----------------


def test_api_refuses_an_overlapping_return_naming_the_clash(finance_api, personas):
    contract = make_active_contract(actor=personas.finance)
    url = f"{BASE}/contracts/{contract.pk}/attendance-returns/"
    body = {
        "period_kind": "term",
        "period_start": "2025-09-01",
        "period_end": "2025-12-19",
        "sessions_possible": 140,
        "sessions_attended": 140,
        "authorised_absence": 0,
        "unauthorised_absence": 0,
    }
    assert finance_api.post(url, body, format="json").status_code == 200
    clash = {**body, "period_kind": "month", "period_start": "2025-12-01", "period_end": "2025-12-31"}
    response = finance_api.post(url, clash, format="json")
    assert response.status_code == 400
    assert "1 September 2025 to 19 December 2025" in str(response.json())
    short = {**body, "period_start": "2026-01-06", "period_end": "2026-03-27", "sessions_possible": 8}
    short.update(sessions_attended=2)
    response = finance_api.post(url, short, format="json")
    assert response.status_code == 400
    assert "8 possible ≠ 2 attended + 0 authorised + 0 unauthorised = 2" in str(response.json())
    assert AttendanceReturn.objects.count() == 1


def test_saving_is_null_until_the_fees_are_agreed(finance_api, personas):
    negotiating = NegotiatingContractFactory()
    CostLineFactory(contract=negotiating, quoted_amount_pence=7_408_282, agreed_amount_pence=None)
    listed = {row["id"]: row for row in finance_api.get(f"{BASE}/contracts/").json()["results"]}
    assert listed[negotiating.pk]["saving_pence"] is None
    detail = finance_api.get(f"{BASE}/contracts/{negotiating.pk}/").json()
    assert detail["saving_pence"] is None
    assert detail["negotiation_position"].startswith("Quoted ")
    active = make_active_contract(actor=personas.finance)
    assert finance_api.get(f"{BASE}/contracts/{active.pk}/").json()["saving_pence"] == 200_000


def test_the_schema_declares_saving_nullable():
    document = SchemaGenerator().get_schema(request=None, public=True)
    field = document["components"]["schemas"]["PlacementContractList"]["properties"]["saving_pence"]
    assert field.get("nullable") is True


def test_api_corrects_a_round_with_a_reason_and_refuses_others(finance_api, manager_api, personas):
    contract = NegotiatingContractFactory()
    on = contract.panel_decision.item.meeting.held_on.isoformat()
    response = finance_api.post(
        f"{BASE}/contracts/{contract.pk}/negotiation-rounds/",
        {"on": on, "provider_offer_pence": 5_800_000},
        format="json",
    )
    assert response.status_code == 200
    round_id = response.json()["negotiation_rounds"][0]["id"]
    url = reverse("placement-negotiation-round-correct", args=[round_id])
    body = {"on": on, "provider_offer_pence": 5_700_000, "reason": "Mistyped"}
    assert manager_api.post(url, body, format="json").status_code == 403
    assert finance_api.post(url, {**body, "reason": ""}, format="json").status_code == 400
    response = finance_api.post(url, body, format="json")
    assert response.status_code == 200
    corrected = response.json()["negotiation_rounds"][0]
    assert (corrected["provider_offer_pence"], corrected["version"]) == (5_700_000, 2)


def test_api_refuses_a_round_before_the_panel_decision(finance_api):
    contract = NegotiatingContractFactory()
    before = contract.panel_decision.item.meeting.held_on - timedelta(days=1)
    response = finance_api.post(
        f"{BASE}/contracts/{contract.pk}/negotiation-rounds/",
        {"on": before.isoformat(), "provider_offer_pence": 5_000_000},
        format="json",
    )
    assert response.status_code == 400
    assert "before the panel approved the placement" in str(response.json())
