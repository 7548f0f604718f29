"""Panel and placement figures on the dashboard: the snapshot keys (hand-computed from the small
worlds below), the case list behind each number, the page sections, the API's extra fields and
idempotent recomputing.

Panel world (meetings held 10 and 24 March and 7 April 2025):

====  ===========  =========================  =========  =========  ==========
ref   referred     decision                   requested  ceiling    days
====  ===========  =========================  =========  =========  ==========
a     1 Feb        approve, 10 Mar            £60,000    £55,000    37
b     3 Mar        approve w/ conditions, 24  £40,000    £38,000    21
c     5 Mar        decline, 24 Mar            £70,000    none       19
d     10 Mar       defer, 24 Mar (not final)  £50,000    none       –
e     20 Mar       approve, 7 Apr             £30,000    £30,000    18
f     31 Mar       none yet                   –          –          –
====  ===========  =========================  =========  =========  ==========

March: 5 referrals (b–f); 3 decided (a, b, c); 2 approved; 66.7%; requested £170,000 (all),
£100,000 (approvals); agreed £93,000; days 37 + 21 + 19 = 77 over 3, mean 25.7; outcomes 1/1/1/1/0.
April: no referrals; 1 decided (e), approved, 18 days.

Placement world (contracts from September 2025):

====  =======  ==========  ==============  ========  ========  ========
ctr   status   start       ended           quoted    agreed    saving
====  =======  ==========  ==============  ========  ========  ========
c1    active   1 Sep       –               £52,000   £50,000   £2,000
c2    active   15 Oct      –               £60,000   £54,000   £6,000
c3    ended    1 Sep       31 Oct          £40,000   £41,000   −£1,000
c4    draft    1 Sep       –               –         –         –
====  =======  ==========  ==============  ========  ========  ========

Returns: c1 October (deduction £500 confirmed), c2 October (£300 pending), c1 November (£200
waived), c3 September (no deduction).
30 Sep: 2 placed (c1, c3), £91,000, saving £1,000. 31 Oct: 3 (c3 ended that day), £145,000,
£7,000; deductions £500, 2 returns below. 30 Nov: 2 (c1, c2), £104,000, £8,000; deductions
£0, 1 return below. As at 1 Nov: 2 placed, £104,000, deductions to date £500.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AccessAction, AccessLog
from panels import workflow as panel_workflow
from panels.models import AgendaItemStatus
from placements import workflow as placement_workflow
from reporting import services, sources
from reporting.models import BacklogSnapshot, MonthlyMetric
from reporting.tables import Cell, pounds
from reporting.views import cases_url
from tests.dashboard.conftest import table_part
from tests.panels.factories import (
    AgendaItemFactory,
    HeldMeetingFactory,
    MeetingFactory,
    PanelDecisionFactory,
    ReferralFactory,
)
from tests.placements.factories import (
    ActiveContractFactory,
    AttendanceReturnFactory,
    DeductionFactory,
    DraftContractFactory,
    EndedContractFactory,
    finance_user,
)
from tests.requests_app.factories import ChildFactory, DistrictFactory

pytestmark = pytest.mark.django_db

OUTCOME = panel_workflow.DecisionOutcome
DS = placement_workflow.DeductionStatus
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)
SEPTEMBER, OCTOBER, NOVEMBER = date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1)
AS_AT = date(2025, 11, 1)


@pytest.fixture
def panel_world(db):
    meetings = {
        "10 Mar": HeldMeetingFactory(held_on=date(2025, 3, 10)),
        "24 Mar": HeldMeetingFactory(held_on=date(2025, 3, 24)),
        "7 Apr": HeldMeetingFactory(held_on=date(2025, 4, 7)),
    }
    deferred_to = MeetingFactory(held_on=date(2025, 4, 21))

    def referral(referred_on: date, status: str = panel_workflow.ReferralStatus.DECIDED.value):
        return ReferralFactory(referred_on=referred_on, status=status)

    def decide(ref, meeting: str, outcome: OUTCOME, requested: int, ceiling: int | None = None):
        approval = outcome in panel_workflow.APPROVALS
        return PanelDecisionFactory(
            item=AgendaItemFactory(meeting=meetings[meeting], referral=ref, status=AgendaItemStatus.DECIDED),
            outcome=outcome.value,
            requested_annual_cost_pence=requested,
            agreed_annual_ceiling_pence=ceiling,
            resources_answer="yes" if approval else "no",
            conditions="Termly review" if outcome == OUTCOME.APPROVE_WITH_CONDITIONS else "",
            deferred_to=deferred_to if outcome == OUTCOME.DEFER else None,
        )

    refs = {
        "a": referral(date(2025, 2, 1)),
        "b": referral(date(2025, 3, 3)),
        "c": referral(date(2025, 3, 5)),
        "d": referral(date(2025, 3, 10), panel_workflow.ReferralStatus.AWAITING_PANEL.value),
        "e": referral(date(2025, 3, 20)),
        "f": referral(date(2025, 3, 31), panel_workflow.ReferralStatus.AWAITING_PANEL.value),
    }
    decide(refs["a"], "10 Mar", OUTCOME.APPROVE, 6_000_000, 5_500_000)
    decide(refs["b"], "24 Mar", OUTCOME.APPROVE_WITH_CONDITIONS, 4_000_000, 3_800_000)
    decide(refs["c"], "24 Mar", OUTCOME.DECLINE, 7_000_000)
    decide(refs["d"], "24 Mar", OUTCOME.DEFER, 5_000_000)
    decide(refs["e"], "7 Apr", OUTCOME.APPROVE, 3_000_000, 3_000_000)
    return refs


@pytest.fixture
def placement_world(db):
    actor = finance_user()
    contracts = {
        "c1": ActiveContractFactory(start_on=date(2025, 9, 1)),
        "c2": ActiveContractFactory(
            start_on=date(2025, 10, 15), quoted_annual_cost_pence=6_000_000, agreed_annual_cost_pence=5_400_000
        ),
        "c3": EndedContractFactory(
            start_on=date(2025, 9, 1),
            ended_on=date(2025, 10, 31),
            quoted_annual_cost_pence=4_000_000,
            agreed_annual_cost_pence=4_100_000,  # agreed above the ask (older data): no saving, not -£1,000
        ),
        "c4": DraftContractFactory(start_on=date(2025, 9, 1)),
    }

    def monthly_return(contract, start: date, end: date, **kwargs):
        return AttendanceReturnFactory(
            contract=contract,
            period_kind=placement_workflow.PeriodKind.MONTH.value,
            period_start=start,
            period_end=end,
            submitted_by=actor,
            **kwargs,
        )

    decided = {"decided_by": actor, "decided_at": timezone.now()}
    DeductionFactory(
        attendance_return=monthly_return(contracts["c1"], date(2025, 10, 1), date(2025, 10, 31)),
        amount_pence=50_000,
        status=DS.CONFIRMED.value,
        **decided,
    )
    DeductionFactory(
        attendance_return=monthly_return(contracts["c2"], date(2025, 10, 15), date(2025, 10, 31)),
        amount_pence=30_000,
    )
    DeductionFactory(
        attendance_return=monthly_return(contracts["c1"], date(2025, 11, 1), date(2025, 11, 30)),
        amount_pence=20_000,
        status=DS.WAIVED.value,
        waived_reason="Hospital stay",
        **decided,
    )
    monthly_return(contracts["c3"], date(2025, 9, 1), date(2025, 9, 30))
    return contracts


# --- The figures, by hand --------------------------------------------------------------------------


def test_panel_month_figures(panel_world):
    assert sources.panel_monthly(month_start=MARCH) == {
        "panel_referrals_received": 5,
        "panel_decided": 3,
        "panel_approved": 2,
        "panel_decisions.outcome.approve": 1,
        "panel_decisions.outcome.approve_with_conditions": 1,
        "panel_decisions.outcome.decline": 1,
        "panel_decisions.outcome.defer": 1,
        "panel_decisions.outcome.more_information": 0,
        "panel_cost_requested_pence": 17_000_000,
        "panel_cost_requested_approved_pence": 10_000_000,
        "panel_cost_agreed_pence": 9_300_000,
        "panel_days_to_decision_sum": 77,
        "panel_days_to_decision_count": 3,
    }
    april = sources.panel_monthly(month_start=APRIL)
    assert april["panel_referrals_received"] == 0
    assert (april["panel_decided"], april["panel_approved"], april["panel_days_to_decision_sum"]) == (1, 1, 18)


def test_derived_panel_fields_from_a_stored_month(panel_world):
    services.metrics_compute_month(month_start=MARCH)
    extras = sources.monthly_extras(MonthlyMetric.objects.get(month=MARCH, district=None).data)
    assert extras["panel_approval_rate"] == 66.7
    assert extras["panel_mean_days_to_decision"] == 25.7  # 77 ÷ 3 = 25.67
    assert extras["panel_decisions_by_outcome"] == {
        "approve": 1,
        "approve_with_conditions": 1,
        "decline": 1,
        "defer": 1,
        "more_information": 0,
    }
    # A month with nothing decided has no rate and no mean, not zero.
    empty = sources.monthly_extras(sources.panel_monthly(month_start=date(2025, 1, 1)))
    assert empty["panel_approval_rate"] is None and empty["panel_mean_days_to_decision"] is None


def test_placement_month_end_figures(placement_world):
    assert sources.placements_monthly(month_start=SEPTEMBER) == {
        "placements_active": 2,
        "placements_committed_annual_pence": 9_100_000,
        "placements_savings_pence": 200_000,
        "placements_deductions_applied_pence": 0,
        "placements_returns_below_threshold": 0,
    }
    assert sources.placements_monthly(month_start=OCTOBER) == {
        "placements_active": 3,
        "placements_committed_annual_pence": 14_500_000,
        "placements_savings_pence": 800_000,
        "placements_deductions_applied_pence": 50_000,
        "placements_returns_below_threshold": 2,
    }
    assert sources.placements_monthly(month_start=NOVEMBER) == {
        "placements_active": 2,
        "placements_committed_annual_pence": 10_400_000,
        "placements_savings_pence": 800_000,
        "placements_deductions_applied_pence": 0,
        "placements_returns_below_threshold": 1,
    }


def test_placement_figures_as_at_a_day_in_the_nightly_snapshot(placement_world):
    snapshot = services.backlog_snapshot_take(on=AS_AT)
    assert {k: v for k, v in snapshot.data.items() if k.startswith("placements_")} == {
        "placements_active": 2,
        "placements_committed_annual_pence": 10_400_000,
        "placements_savings_pence": 800_000,
        "placements_deductions_applied_pence": 50_000,
    }


def test_figures_are_council_wide_only(panel_world, placement_world):
    district = DistrictFactory(name="Dover")
    assert sources.panel_monthly(month_start=MARCH, district_id=district.pk) == {}
    assert sources.placements_monthly(month_start=OCTOBER, district_id=district.pk) == {}
    services.metrics_compute_month(month_start=MARCH)
    row = MonthlyMetric.objects.get(month=MARCH, district=district)
    assert not any(k.startswith(("panel_", "placements_")) for k in row.data)
    with pytest.raises(sources.CouncilWideOnly):
        sources.panel_cases_for("panel_decided", month_start=MARCH, district_id=district.pk)


def test_names_do_not_clash_with_the_request_figures(db):
    stored = sources.panel_monthly(month_start=MARCH) | sources.placements_monthly(month_start=MARCH)
    assert all(k.startswith(("panel_", "placements_")) for k in stored)
    assert all(services.figure_source_for(k).name in ("panels", "placements") for k in stored)
    assert services.figure_source_for("requests_received").name == "requests"


# --- Each number and its case list ---------------------------------------------------------------

PANEL_COUNTS = [
    "panel_referrals_received",
    "panel_decided",
    "panel_approved",
    "panel_days_to_decision_count",
    *(f"panel_decisions.outcome.{o.value}" for o in OUTCOME),
]
PLACEMENT_COUNTS = ["placements_active", "placements_returns_below_threshold"]


@pytest.mark.parametrize("month", [MARCH, APRIL])
@pytest.mark.parametrize("metric", PANEL_COUNTS)
def test_every_panel_count_equals_its_case_list(panel_world, metric, month):
    stored = sources.panel_monthly(month_start=month)
    assert sources.panel_cases_for(metric, month_start=month).count() == stored[metric]


@pytest.mark.parametrize("month", [SEPTEMBER, OCTOBER, NOVEMBER])
@pytest.mark.parametrize("metric", PLACEMENT_COUNTS)
def test_every_placement_count_equals_its_case_list(placement_world, metric, month):
    # One return per contract a month here, so the contracts behind the returns number the same.
    stored = sources.placements_monthly(month_start=month)
    assert sources.placement_cases_for(metric, month_start=month).count() == stored[metric]


def test_money_figures_list_the_rows_they_add_up(panel_world, placement_world):
    decided = sources.panel_cases_for("panel_cost_requested_pence", month_start=MARCH)
    assert sum(d.requested_annual_cost_pence for d in decided) == 17_000_000
    approved = sources.panel_cases_for("panel_cost_agreed_pence", month_start=MARCH)
    assert sum(d.agreed_annual_ceiling_pence for d in approved) == 9_300_000
    placed = sources.placement_cases_for("placements_committed_annual_pence", month_start=OCTOBER)
    assert sum(c.agreed_annual_cost_pence for c in placed) == 14_500_000
    assert sum(c.saving_pence for c in placed) == 800_000
    deducted = sources.placement_cases_for("placements_deductions_applied_pence", month_start=OCTOBER)
    assert list(deducted) == [placement_world["c1"]]
    to_date = sources.placement_cases_for("placements_deductions_applied_pence", on=AS_AT)
    assert list(to_date) == [placement_world["c1"]]
    assert sources.placement_cases_for("placements_active", on=AS_AT).count() == 2


def test_wrong_periods_are_refused(db):
    with pytest.raises(ValueError):
        sources.panel_cases_for("panel_decided", on=AS_AT)
    with pytest.raises(ValueError):
        sources.placement_cases_for("placements_returns_below_threshold", on=AS_AT)
    with pytest.raises(ValueError):
        sources.placement_cases_for("placements_active", year=2025)
    with pytest.raises(LookupError):
        sources.panel_cases_for("requests_received", month_start=MARCH)


# --- Idempotent ----------------------------------------------------------------------------------


def test_recomputing_replaces_the_rows_with_the_same_figures(panel_world, placement_world):
    services.metrics_compute_range(from_month=MARCH, to_month=NOVEMBER)
    services.backlog_snapshot_take(on=AS_AT)
    first = {(r.month, r.district_id): r.data for r in MonthlyMetric.objects.all()}
    services.metrics_compute_range(from_month=MARCH, to_month=NOVEMBER)
    services.backlog_snapshot_take(on=AS_AT)
    again = {(r.month, r.district_id): r.data for r in MonthlyMetric.objects.all()}
    assert first == again
    assert MonthlyMetric.objects.filter(month=OCTOBER, district=None).count() == 1
    assert BacklogSnapshot.objects.count() == 1
    assert first[(MARCH, None)]["panel_decided"] == 3
    assert first[(OCTOBER, None)]["placements_committed_annual_pence"] == 14_500_000


# --- The page -------------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, personas):
    client.force_login(personas.manager)
    return client


@pytest.fixture
def stored(panel_world, placement_world):
    services.metrics_compute_range(from_month=MARCH, to_month=NOVEMBER)
    services.backlog_snapshot_take(on=AS_AT)
    return panel_world, placement_world


def _home(client, **params):
    return client.get(reverse("dashboard:home"), {"from_month": "2025-03", "to_month": "2025-11", **params})


def test_dashboard_shows_the_panel_and_placement_sections_with_links(stored, manager_client):
    response = _home(manager_client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Placement panel" in html and "Independent placements" in html
    assert "once those services are in use" not in html
    assert 'id="table-panel"' in html and 'id="table-placements"' in html
    for chart in (
        "panel_counts",
        "panel_rate",
        "panel_cost",
        "panel_days",
        "placements_active",
        "placements_deductions",
    ):
        assert f'data-chart="{chart}"' in html
    link = cases_url("panel_referrals_received", month=MARCH).replace("&", "&amp;")
    assert f'href="{link}">5<' in html
    link = cases_url("placements_committed_annual_pence", month=OCTOBER).replace("&", "&amp;")
    assert f'href="{link}">£145,000.00<' in html
    assert "66.7%" in html and "25.7" in html
    assert "£93,000.00" in html  # agreed ceilings of the March approvals
    # As at the nightly snapshot (1 November 2025).
    assert "Deductions applied to date" in html and "£500.00" in html


def test_no_activity_keeps_the_placeholder_and_a_district_says_council_wide(db, manager_client):
    district = DistrictFactory(name="Thanet")
    services.metrics_compute_month(month_start=MARCH)
    html = _home(manager_client).content.decode()
    assert "Panel and placement figures appear here once those services are in use." in html
    html = _home(manager_client, district=district.pk).content.decode()
    assert "kept for the whole council only" in html
    assert 'id="table-panel"' not in html


def test_new_tables_export_money_as_pounds(stored, manager_client):
    response = _home(manager_client, table="placements", format="csv", purpose="service_planning")
    assert response.status_code == 200
    rows = table_part(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))))
    assert rows[0][:3] == ["Month", "Placements in place", "Committed annual spend (£)"]
    october = next(r for r in rows if r[0] == "October 2025")
    assert october[1:] == ["3", "145000", "8000"]
    response = _home(manager_client, table="placements_deductions", format="xlsx", purpose="service_planning")
    sheet = load_workbook(io.BytesIO(response.content)).active
    october = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "October 2025")
    assert october == ("October 2025", 500, 2)
    for key in ("panel", "panel_outcomes", "panel_cost"):
        for fmt in ("csv", "xlsx"):
            assert _home(manager_client, table=key, format=fmt, purpose="service_planning").status_code == 200
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == 8


def test_panel_case_list_links_referrals_and_logs_each_child(stored, manager_client):
    refs, _ = stored
    response = manager_client.get(cases_url("panel_decided", month=MARCH))
    assert response.status_code == 200
    assert response.context["total"] == 3
    html = response.content.decode()
    assert reverse("panels:referral-detail", args=[refs["a"].pk]) in html
    assert "£55,000.00" in html and "Declined" in html
    logged = AccessLog.objects.filter(action=AccessAction.LIST, object_type="panel_decision")
    assert sorted(logged.values_list("child_id", flat=True)) == sorted(
        refs[k].request.child_id for k in ("a", "b", "c")
    )
    received = manager_client.get(cases_url("panel_referrals_received", month=MARCH))
    assert received.context["total"] == 5
    assert reverse("panels:referral-detail", args=[refs["f"].pk]) in received.content.decode()


def test_placement_case_list_links_contracts(stored, manager_client):
    _, contracts = stored
    response = manager_client.get(cases_url("placements_active", month=OCTOBER))
    assert response.status_code == 200
    assert response.context["total"] == 3
    html = response.content.decode()
    assert "The contracts in place on 31 October 2025." in html
    for key in ("c1", "c2", "c3"):
        assert contracts[key].reference in html
    url = reverse("placements:contract-detail", args=[contracts["c1"].pk])
    assert f'href="{url}"' in html
    assert AccessLog.objects.filter(action=AccessAction.LIST, object_type="placement_contract").count() == 3
    export = manager_client.get(cases_url("placements_active", month=OCTOBER) + "&format=csv&purpose=casework")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Contract" and len(rows) == 4


def test_case_lists_refuse_a_district_and_a_wrong_period(stored, manager_client):
    district = ChildFactory().district
    url = cases_url("panel_decided", month=MARCH, district_id=district.pk)
    response = manager_client.get(url)
    assert response.status_code == 400
    assert "whole council only" in response.content.decode()
    assert manager_client.get(cases_url("panel_decided", on=AS_AT)).status_code == 400


def test_panel_chair_may_not_list_contracts(stored, client, personas):
    client.force_login(personas.chair)
    assert client.get(cases_url("panel_decided", month=MARCH)).status_code == 200
    assert client.get(cases_url("placements_active", month=OCTOBER)).status_code == 403
    # ... so the dashboard shows the chair placement numbers without links.
    html = _home(client).content.decode()
    assert cases_url("placements_active", month=OCTOBER).replace("&", "&amp;") not in html


def test_page_query_count_does_not_grow_with_panel_and_placement_data(stored, manager_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _home(manager_client).status_code == 200
        return len(queries)

    small = count()
    for _ in range(5):
        ActiveContractFactory(start_on=date(2025, 9, 1))
        ReferralFactory(referred_on=date(2025, 3, 15))
    services.metrics_compute_range(from_month=MARCH, to_month=NOVEMBER)
    services.backlog_snapshot_take(on=AS_AT)
    assert count() == small


# --- The API ---------------------------------------------------------------------------------------


def test_monthly_api_has_the_extra_fields(stored, api_client_for, personas):
    api = api_client_for(personas.manager)
    body = api.get("/api/metrics/monthly/", {"from": "2025-03", "to": "2025-10"}).json()
    march = next(r for r in body if r["month"] == "2025-03")
    assert march["requests_received"] == 0  # the contract's fields are still there
    assert {k: march[k] for k in march if k.startswith("panel_")} == {
        "panel_referrals_received": 5,
        "panel_decided": 3,
        "panel_approved": 2,
        "panel_approval_rate": 66.7,
        "panel_decisions_by_outcome": {
            "approve": 1,
            "approve_with_conditions": 1,
            "decline": 1,
            "defer": 1,
            "more_information": 0,
        },
        "panel_cost_requested_pence": 17_000_000,
        "panel_cost_requested_approved_pence": 10_000_000,
        "panel_cost_agreed_pence": 9_300_000,
        "panel_days_to_decision_sum": 77,
        "panel_days_to_decision_count": 3,
        "panel_mean_days_to_decision": 25.7,
    }
    october = next(r for r in body if r["month"] == "2025-10")
    assert {k: october[k] for k in october if k.startswith("placements_")} == {
        "placements_active": 3,
        "placements_committed_annual_pence": 14_500_000,
        "placements_savings_pence": 800_000,
        "placements_deductions_applied_pence": 50_000,
        "placements_returns_below_threshold": 2,
    }


def test_monthly_api_gives_null_for_a_district(stored, api_client_for, personas):
    district = ChildFactory().district
    services.metrics_compute_month(month_start=MARCH)
    api = api_client_for(personas.manager)
    row = api.get("/api/metrics/monthly/", {"from": "2025-03", "to": "2025-03", "district": district.name}).json()[0]
    assert row["panel_decided"] is None and row["placements_active"] is None
    assert row["panel_decisions_by_outcome"] is None


# --- Money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pence", "shown"),
    [(0, "£0.00"), (5, "£0.05"), (123_456_789, "£1,234,567.89"), (-100_000, "−£1,000.00")],
)
def test_pounds(pence, shown):
    assert pounds(pence) == shown
    assert Cell(pence, kind="money").display == shown
