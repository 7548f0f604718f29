"""Placement pages through the test client: the finance officer's steps, each form's error
summary (and nothing saved), money in pounds and pence, the ceiling refusal, the attendance CSV
upload, the purchasing-power report and its exports, and who may open what."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AccessAction, AccessLog
from placements import reports
from placements.forms import MoneyError, parse_pounds
from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    Provider,
)
from placements.services import attendance as attendance_services
from tests.panels.factories import IndependentSchoolFactory
from tests.placements.factories import (
    ActiveContractFactory,
    CostLineFactory,
    DraftContractFactory,
    NegotiatingContractFactory,
    PenaltyClauseFactory,
    ProviderFactory,
    approved_decision,
    make_active_contract,
)
from tests.requests_app.factories import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client, personas):
    client.force_login(personas.finance)
    return client


def _errors(response) -> list[str]:
    """The error summary's messages."""
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html, "no error summary on the page"
    summary = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", summary, re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def _date(prefix: str, value: date) -> dict[str, str]:
    return {f"{prefix}_day": str(value.day), f"{prefix}_month": str(value.month), f"{prefix}_year": str(value.year)}


# --- Money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [("16666.67", 1_666_667), ("£16,666.67", 1_666_667), ("0", 0), ("0.1", 10), (".5", 50), ("52000", 5_200_000)],
)
def test_money_is_parsed_to_pence_without_floats(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "must be £0 or more"),
        ("12.345", "no more than 2 decimal places"),
        ("abc", "in pounds and pence"),
        ("1e3", "in pounds and pence"),
        ("10000000.01", "£10,000,000 or less"),
    ],
)
def test_bad_money_is_refused_with_a_message(text, message):
    with pytest.raises(MoneyError, match=re.escape(message)):
        parse_pounds(text, what="the amount")


# --- Providers ---------------------------------------------------------------------------------


def test_finance_adds_a_provider_choosing_from_independent_schools(finance):
    school = IndependentSchoolFactory(name="Harbour View College")
    response = finance.get(reverse("placements:provider-create"))
    assert "Harbour View College" in response.content.decode()
    response = finance.post(
        reverse("placements:provider-create"),
        {
            "establishment": school.pk,
            "procurement_route": "framework",
            "framework_lot": "Lot 1",
            "fee_min_annual_pence": "45000",
            "fee_max_annual_pence": "62,500.50",
            "contact_email": "admissions@example.org",
        },
    )
    provider = Provider.objects.get(establishment=school)
    assert response.status_code == 302
    assert response["Location"] == reverse("placements:provider-detail", args=[provider.pk])
    assert (provider.fee_min_annual_pence, provider.fee_max_annual_pence) == (4_500_000, 6_250_050)
    page = finance.get(response["Location"]).content.decode()
    assert "£62,500.50" in page and "Lot 1" in page


def test_provider_form_shows_every_problem_and_saves_nothing(finance):
    school = IndependentSchoolFactory()
    response = finance.post(
        reverse("placements:provider-create"),
        {
            "establishment": school.pk,
            "procurement_route": "",
            "fee_min_annual_pence": "50000",
            "fee_max_annual_pence": "40000",
            "contact_email": "not-an-email",
        },
    )
    assert response.status_code == 200
    assert _errors(response) == ["Select the procurement route"]
    response = finance.post(
        reverse("placements:provider-create"),
        {
            "establishment": school.pk,
            "procurement_route": "spot_purchase",
            "fee_min_annual_pence": "50000",
            "fee_max_annual_pence": "40000",
            "contact_email": "not-an-email",
        },
    )
    assert _errors(response) == [
        "The highest fee cannot be less than the lowest fee",
        "Enter an email address in the correct format, like name@example.com",
    ]
    assert 'href="#id_fee_max_annual_pence"' in response.content.decode()
    assert not Provider.objects.exists()


def test_provider_form_offers_only_independent_non_maintained_and_post16_schools(finance):
    from tests.panels.factories import SpecialSchoolFactory

    maintained = SpecialSchoolFactory(name="Maintained Special Oak")
    response = finance.post(
        reverse("placements:provider-create"), {"establishment": maintained.pk, "procurement_route": "framework"}
    )
    assert _errors(response) == ["Select the school or college"]
    assert "Maintained Special Oak" not in response.content.decode()


def test_finance_changes_a_provider(finance):
    provider = ProviderFactory()
    url = reverse("placements:provider-edit", args=[provider.pk])
    page = finance.get(url).content.decode()
    assert 'value="45000.00"' in page  # pence shown back as pounds
    finance.post(url, {"procurement_route": "dynamic_purchasing_system", "contact_name": "Ms Reed"})
    provider.refresh_from_db()
    assert provider.procurement_route == "dynamic_purchasing_system"
    assert provider.contact_name == "Ms Reed"


# --- Creating a contract -------------------------------------------------------------------------


def test_finance_creates_a_contract_from_an_approved_decision(finance, personas):
    provider = ProviderFactory()
    child = ChildFactory(forename="Ada", surname="Lovelace")
    decision = approved_decision(child=child, establishment=provider.establishment, ceiling_pence=5_800_000)
    listing = finance.get(reverse("placements:contract-create")).content.decode()
    assert "Ada Lovelace" in listing and f"?decision={decision.pk}" in listing
    url = f"{reverse('placements:contract-create')}?decision={decision.pk}"
    page = finance.get(url).content.decode()
    assert "£58,000.00" in page
    response = finance.post(
        url,
        {
            "decision": decision.pk,
            **_date("start_on", date(2025, 9, 1)),
            **_date("annual_review_on", date(2026, 7, 1)),
        },
    )
    contract = PlacementContract.objects.get()
    assert response["Location"] == reverse("placements:contract-detail", args=[contract.pk])
    assert (contract.child, contract.provider, contract.panel_decision) == (child, provider, decision)
    assert contract.status == "draft"
    # The decision no longer waits for a contract.
    assert f"?decision={decision.pk}" not in finance.get(reverse("placements:contract-create")).content.decode()


def test_contract_form_shows_the_date_problems_and_saves_nothing(finance):
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment)
    url = f"{reverse('placements:contract-create')}?decision={decision.pk}"
    response = finance.post(url, {"decision": decision.pk, **_date("annual_review_on", date(2026, 7, 1))})
    assert _errors(response) == ["Enter the start date"]
    response = finance.post(
        url,
        {
            "decision": decision.pk,
            **_date("start_on", date(2025, 9, 1)),
            **_date("end_on", date(2025, 8, 1)),
            **_date("annual_review_on", date(2025, 1, 1)),
        },
    )
    assert _errors(response) == [
        "The end date must be on or after the start date",
        "The annual review of fees must be on or after the start date",
    ]
    assert not PlacementContract.objects.exists()


def test_decision_for_a_school_without_a_provider_asks_for_the_provider_first(finance):
    decision = approved_decision()
    page = finance.get(f"{reverse('placements:contract-create')}?decision={decision.pk}").content.decode()
    assert "has no commissioning record yet" in page
    assert 'name="start_on_day"' not in page


# --- Costs, negotiation, agreeing ----------------------------------------------------------------


def test_cost_line_in_pounds_and_pence_is_stored_in_pence_and_shown_annualised(finance):
    contract = NegotiatingContractFactory()
    response = finance.post(
        reverse("placements:cost-line-add", args=[contract.pk]),
        {"category": "tuition", "quoted_amount_pence": "16666.67", "period": "term", "description": "Day place"},
    )
    assert response.status_code == 302
    line = CostLine.objects.get()
    assert (line.quoted_amount_pence, line.periods_per_year, line.agreed_amount_pence) == (1_666_667, 3, None)
    page = finance.get(reverse("placements:contract-detail", args=[contract.pk])).content.decode()
    assert "£16,666.67" in page and "£50,000.01" in page


@pytest.mark.parametrize(
    ("quoted", "message"),
    [
        ("", "Enter the quoted amount"),
        ("-5", "The quoted amount must be £0 or more"),
        ("12.345", "The quoted amount must have no more than 2 decimal places"),
        ("twelve", "Enter the quoted amount in pounds and pence, like 16666.67"),
    ],
)
def test_cost_line_form_refuses_bad_money_and_saves_nothing(finance, quoted, message):
    contract = NegotiatingContractFactory()
    response = finance.post(
        reverse("placements:cost-line-add", args=[contract.pk]),
        {"category": "tuition", "quoted_amount_pence": quoted, "period": "year"},
    )
    assert response.status_code == 400
    assert _errors(response) == [message]
    assert 'href="#id_quoted_amount_pence"' in response.content.decode()
    assert not CostLine.objects.exists()


def test_cost_line_form_names_each_missing_field(finance):
    contract = NegotiatingContractFactory()
    response = finance.post(reverse("placements:cost-line-add", args=[contract.pk]), {})
    assert _errors(response) == [
        "Select the kind of cost",
        "Enter the quoted amount",
        "Select what the amount is charged per",
    ]


def test_agreeing_an_amount_over_the_ceiling_is_refused_with_the_ceiling_named(finance):
    contract = NegotiatingContractFactory()  # £55,000 ceiling
    line = CostLineFactory(contract=contract, quoted_amount_pence=6_000_000)
    response = finance.post(
        reverse("placements:cost-line-edit", args=[line.pk]),
        {"category": "tuition", "quoted_amount_pence": "60000", "agreed_amount_pence": "56000", "period": "year"},
    )
    assert _errors(response) == [
        "The agreed annual cost £56,000.00 exceeds the panel's ceiling of £55,000.00. A new panel decision is needed."
    ]
    line.refresh_from_db()
    assert line.agreed_amount_pence is None


def test_agree_is_refused_over_the_ceiling_with_the_services_message(finance):
    contract = NegotiatingContractFactory()
    # Written past the services (as an import might): the agree step must still refuse it.
    CostLineFactory(contract=contract, quoted_amount_pence=6_100_000, agreed_amount_pence=6_000_000)
    response = finance.post(reverse("placements:contract-agree", args=[contract.pk]), {})
    assert response.status_code == 400
    assert _errors(response)[0] == (
        "The agreed annual cost £60,000.00 exceeds the panel's ceiling of £55,000.00. A new panel decision is needed."
    )
    contract.refresh_from_db()
    assert contract.status == "negotiating"


def test_agree_needs_every_line_agreed(finance):
    contract = NegotiatingContractFactory()
    CostLineFactory(contract=contract)
    response = finance.post(reverse("placements:contract-agree", args=[contract.pk]), {})
    assert _errors(response) == ["1 cost line has no agreed amount; agree every line first"]


def test_finance_negotiates_and_agrees_a_contract(finance, personas):
    contract = DraftContractFactory()
    detail = reverse("placements:contract-detail", args=[contract.pk])
    finance.post(reverse("placements:contract-start-negotiation", args=[contract.pk]), {"note": ""})
    finance.post(
        reverse("placements:cost-line-add", args=[contract.pk]),
        {"category": "tuition", "quoted_amount_pence": "52000", "period": "year"},
    )
    finance.post(
        reverse("placements:cost-line-add", args=[contract.pk]),
        {"category": "transport", "quoted_amount_pence": "40", "period": "day"},
    )
    today = timezone.localdate()
    for offer, counter in (("59600", "54000"), ("57000", "")):
        response = finance.post(
            reverse("placements:round-add", args=[contract.pk]),
            {**_date("on", today), "provider_offer_pence": offer, "council_counter_offer_pence": counter},
        )
        assert response.status_code == 302
    assert list(NegotiationRound.objects.values_list("round_no", "council_counter_offer_pence")) == [
        (1, 5_400_000),
        (2, None),
    ]
    for line, agreed in zip(CostLine.objects.order_by("pk"), ("47000", "38.50"), strict=True):
        finance.post(
            reverse("placements:cost-line-edit", args=[line.pk]),
            {
                "category": line.category,
                "quoted_amount_pence": f"{line.quoted_amount_pence / 100:.2f}",
                "agreed_amount_pence": agreed,
                "period": line.period,
                "periods_per_year": line.periods_per_year,
            },
        )
    response = finance.post(reverse("placements:contract-agree", args=[contract.pk]), {"note": "Agreed by phone"})
    assert response["Location"] == detail
    contract.refresh_from_db()
    assert contract.status == "active"
    # 52,000 + 40 × 190 quoted; 47,000 + 38.50 × 190 agreed.
    assert (contract.quoted_annual_cost_pence, contract.agreed_annual_cost_pence) == (5_960_000, 5_431_500)
    page = finance.get(detail).content.decode()
    assert "£5,285.00" in page  # the saving
    assert "Fees agreed; placement active" in page


def test_round_form_refuses_a_future_date_and_a_missing_offer(finance):
    contract = NegotiatingContractFactory()
    url = reverse("placements:round-add", args=[contract.pk])
    response = finance.post(url, {**_date("on", timezone.localdate())})
    assert _errors(response) == ["Enter the provider's offer"]
    response = finance.post(
        url, {**_date("on", timezone.localdate() + timedelta(days=3)), "provider_offer_pence": "58000"}
    )
    assert _errors(response) == ["The date of the round must be today or in the past"]
    assert not NegotiationRound.objects.exists()


def test_action_not_allowed_in_the_status_sends_back_with_the_reason(finance):
    contract = DraftContractFactory()
    response = finance.get(reverse("placements:round-add", args=[contract.pk]), follow=True)
    assert "A contract that is draft cannot have a negotiation round recorded." in response.content.decode()


def test_finance_ends_a_placement_with_a_reason(finance):
    contract = ActiveContractFactory()
    url = reverse("placements:contract-end", args=[contract.pk])
    response = finance.post(url, {**_date("ended_on", date(2026, 7, 22)), "leaving_reason": "moved_school"})
    assert _errors(response) == ["Enter the reason the placement ended"]
    finance.post(
        url,
        {
            **_date("ended_on", date(2026, 7, 22)),
            "leaving_reason": "moved_school",
            "reason": "Moved to a maintained school",
        },
    )
    contract.refresh_from_db()
    assert (contract.status, contract.ended_on, contract.leaving_reason) == ("ended", date(2026, 7, 22), "moved_school")


# --- Penalty clause, returns and deductions --------------------------------------------------------


def test_penalty_clause_form_saves_the_chosen_rule_only(finance):
    contract = ActiveContractFactory()
    url = reverse("placements:penalty-clause", args=[contract.pk])
    response = finance.post(
        url,
        {
            "threshold_percent": "150",
            "rule": "percent_of_period_fee",
            "deduction_percent": "10",
            "authorised_counts_as_attended": "yes",
        },
    )
    assert _errors(response) == ["The attendance threshold must be more than 0% and no more than 100%"]
    assert not PenaltyClause.objects.exists()
    finance.post(
        url,
        {
            "threshold_percent": "92.5",
            "rule": "per_session_missed",
            "deduction_percent": "10",
            "per_session_pence": "150",
            "authorised_counts_as_attended": "no",
        },
    )
    clause = PenaltyClause.objects.get()
    assert (str(clause.threshold_percent), clause.rule, clause.deduction_percent, clause.per_session_pence) == (
        "92.50",
        "per_session_missed",
        None,
        15_000,
    )
    assert clause.authorised_counts_as_attended is False


def test_return_below_threshold_makes_a_deduction_that_finance_confirms(finance):
    clause = PenaltyClauseFactory()  # 90%, 10% of the term's fee; £50,000 a year
    contract = clause.contract
    response = finance.post(
        reverse("placements:return-add", args=[contract.pk]),
        {
            "period_kind": "term",
            **_date("period_start", date(2025, 9, 1)),
            **_date("period_end", date(2025, 12, 19)),
            "sessions_possible": "140",
            "sessions_attended": "110",
            "authorised_absence": "10",
            "unauthorised_absence": "20",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "a deduction of £1,666.67 is waiting to be confirmed or waived" in page
    deduction = Deduction.objects.get()
    assert "Attendance 85.71% (120 of 140 possible sessions" in page
    finance.post(reverse("placements:deduction-confirm", args=[deduction.pk]))
    deduction.refresh_from_db()
    assert deduction.status == "confirmed"


def test_return_form_refuses_more_sessions_than_possible(finance):
    contract = PenaltyClauseFactory().contract
    response = finance.post(
        reverse("placements:return-add", args=[contract.pk]),
        {
            "period_kind": "month",
            **_date("period_start", date(2025, 9, 1)),
            **_date("period_end", date(2025, 9, 30)),
            "sessions_possible": "40",
            "sessions_attended": "40",
            "authorised_absence": "2",
            "unauthorised_absence": "x",
        },
    )
    assert _errors(response) == ["Enter the number of unauthorised absences as a whole number"]
    response = finance.post(
        reverse("placements:return-add", args=[contract.pk]),
        {
            "period_kind": "month",
            **_date("period_start", date(2025, 9, 1)),
            **_date("period_end", date(2025, 9, 30)),
            "sessions_possible": "40",
            "sessions_attended": "40",
            "authorised_absence": "2",
            "unauthorised_absence": "0",
        },
    )
    assert _errors(response) == [
        "The sessions do not add up: 40 possible ≠ 40 attended + 2 authorised + 0 unauthorised = 42"
    ]
    assert not AttendanceReturn.objects.exists()


def test_waiving_a_deduction_needs_a_reason(finance, personas):
    clause = PenaltyClauseFactory()
    attendance = attendance_services.attendance_return_submit(
        actor=personas.finance,
        contract=clause.contract,
        period_kind="term",
        period_start=date(2025, 9, 1),
        period_end=date(2025, 12, 19),
        possible=140,
        attended=100,
        authorised=0,
        unauthorised=40,
    )
    deduction = attendance.deduction
    url = reverse("placements:deduction-waive", args=[deduction.pk])
    assert _errors(finance.post(url, {"reason": ""})) == ["Enter the reason for waiving the deduction"]
    finance.post(url, {"reason": "Hospital stay agreed in advance"})
    deduction.refresh_from_db()
    assert (deduction.status, deduction.waived_reason) == ("waived", "Hospital stay agreed in advance")


# --- CSV upload --------------------------------------------------------------------------------------


def _csv(rows: list[list[Any]]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(attendance_services.CSV_COLUMNS)
    writer.writerows(rows)
    return SimpleUploadedFile("returns.csv", buffer.getvalue().encode(), content_type="text/csv")


def test_upload_with_a_bad_row_lists_problems_by_row_and_column_and_imports_nothing(finance):
    contract = PenaltyClauseFactory().contract
    file = _csv(
        [
            [contract.reference, "term", "2025-09-01", "2025-12-19", "140", "130", "6", "4"],
            ["IPA-999999", "term", "2025-09-01", "2025-12-19", "140", "lots", "6", "4"],
            [contract.reference, "month", "01/01/2026", "31/01/2026", "40", "36", "2", "2"],
        ]
    )
    response = finance.post(reverse("placements:attendance-upload"), {"file": file})
    assert response.status_code == 400
    assert _errors(response) == ["2 problems found in 3 rows. Nothing was imported."]
    table = response.content.decode().split('id="upload-errors"', 1)[1].split("</table>", 1)[0]
    cells = [
        html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)
    ]
    assert cells == [
        "3",
        "contract_ref",
        "No placement contract has the reference 'IPA-999999'",
        "3",
        "sessions_attended",
        "Enter a whole number of sessions, 0 or more",
    ]
    assert not AttendanceReturn.objects.exists()


def test_upload_of_a_good_file_imports_every_row(finance):
    first = PenaltyClauseFactory().contract
    second = PenaltyClauseFactory().contract
    file = _csv(
        [
            [first.reference, "term", "2025-09-01", "2025-12-19", "140", "130", "6", "4"],
            [second.reference, "term", "2025-09-01", "2025-12-19", "140", "100", "0", "40"],
        ]
    )
    response = finance.post(reverse("placements:attendance-upload"), {"file": file}, follow=True)
    assert "2 rows imported: 2 new returns, 0 corrections, 1 with a deduction to confirm or waive." in (
        response.content.decode()
    )
    assert AttendanceReturn.objects.count() == 2


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Select a CSV file"),
        (SimpleUploadedFile("returns.xlsx", b"PK\x03\x04"), "The selected file must be a CSV"),
        (SimpleUploadedFile("returns.csv", b"\xff\xfe\x00bad"), "The selected file must be a CSV saved as UTF-8"),
    ],
)
def test_upload_refuses_a_missing_or_unreadable_file(finance, upload, message):
    data = {"file": upload} if upload is not None else {}
    response = finance.post(reverse("placements:attendance-upload"), data)
    assert _errors(response) == [message]


# --- Lists and the report --------------------------------------------------------------------------


def test_contract_list_filters_by_status_provider_and_need(finance, personas):
    active = ActiveContractFactory(child=ChildFactory(primary_need="SEMH"))
    draft = DraftContractFactory()
    url = reverse("placements:contract-list")
    page = finance.get(url).content.decode()
    assert active.reference in page and draft.reference in page
    page = finance.get(url, {"status": "active"}).content.decode()
    assert active.reference in page and draft.reference not in page
    page = finance.get(url, {"provider": draft.provider_id}).content.decode()
    assert active.reference not in page and draft.reference in page
    page = finance.get(url, {"need": "SEMH"}).content.decode()
    assert active.reference in page and draft.reference not in page
    assert "£50,000.00" in page and "£2,000.00" in page  # agreed cost and saving


def test_contract_list_pages_and_logs_each_child_shown(finance):
    provider = ProviderFactory()
    for _ in range(27):
        DraftContractFactory(provider=provider)
    page = finance.get(reverse("placements:contract-list"))
    assert page.context["total"] == 27
    assert len(page.context["rows"]) == 25
    assert 'aria-label="Page 2"' in page.content.decode()
    assert AccessLog.objects.filter(object_type="placement_contract", action=AccessAction.LIST).count() == 25


def test_contract_detail_logs_the_view_and_shows_the_benchmarks(finance, personas):
    actor = personas.finance
    other = make_active_contract(actor=actor, lines=(("therapy_speech_language", 900_000, 800_000, "year", 1),))
    contract = make_active_contract(actor=actor, lines=(("therapy_speech_language", 1_000_000, 950_000, "year", 1),))
    assert other.child.primary_need == contract.child.primary_need
    page = finance.get(reverse("placements:contract-detail", args=[contract.pk])).content.decode()
    assert "£8,000.00 to £8,000.00" in page
    assert AccessLog.objects.filter(object_type="placement_contract", object_id=contract.pk).exists()


def _report_setup(actor) -> tuple[PlacementContract, PlacementContract]:
    big = ProviderFactory(establishment=IndependentSchoolFactory(name="Zeta House"))
    small = ProviderFactory(establishment=IndependentSchoolFactory(name='=HYPERLINK("http://x")'))
    first = make_active_contract(actor=actor, provider=big, lines=(("tuition", 6_000_000, 5_400_000, "year", 1),))
    make_active_contract(actor=actor, provider=big, lines=(("tuition", 5_000_000, 5_000_000, "year", 1),))
    second = make_active_contract(actor=actor, provider=small, lines=(("tuition", 4_000_000, 3_900_000, "year", 1),))
    return first, second


def test_purchasing_power_figures_match_the_report_and_sort_by_any_column(finance, personas):
    _report_setup(personas.finance)
    url = reverse("placements:purchasing-power")
    response = finance.get(url)
    expected = reports.purchasing_power()
    shown = [row["row"] for row in response.context["provider_rows"]]
    assert shown == [row for row in expected if row["pupils"]]
    page = response.content.decode()
    assert "£104,000.00" in page  # Zeta House: 54,000 + 50,000
    assert "£52,000.00" in page  # its average
    # The provider with the most committed spend first when sorted descending.
    response = finance.get(url, {"sort": "-committed_pence"})
    names = [row["row"]["provider_name"] for row in response.context["provider_rows"]]
    assert names[0] == "Zeta House"
    html = response.content.decode()
    assert re.search(
        r'aria-sort="descending"><a class="govuk-link[^"]*" href="\?sort=committed_pence#by-provider">', html
    )
    response = finance.get(url, {"sort": "committed_pence"})
    assert [row["row"]["provider_name"] for row in response.context["provider_rows"]][0] != "Zeta House"
    # An unknown column falls back to the provider's name.
    assert finance.get(url, {"sort": "password"}).status_code == 200


def test_each_figure_links_to_its_contracts(finance, personas):
    first, _ = _report_setup(personas.finance)
    response = finance.get(reverse("placements:purchasing-power"))
    row = next(r for r in response.context["provider_rows"] if r["row"]["provider_name"] == "Zeta House")
    pupils_link = row["cells"][1]["url"]
    assert pupils_link == f"{reverse('placements:contract-list')}?figure=pupils&provider={first.provider_id}"
    listed = finance.get(pupils_link)
    assert listed.context["total"] == 2
    assert {c.pk for c in listed.context["rows"]} == set(
        reports.contracts_for("pupils", first.provider_id).values_list("pk", flat=True)
    )


def test_export_neutralises_formulas_and_logs_the_export(finance, personas):
    _report_setup(personas.finance)
    url = reverse("placements:purchasing-power")
    response = finance.get(url, {"export": "providers", "format": "csv", "purpose": "service_planning"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Provider", "Pupils placed", "Committed annual spend (£)"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Zeta House"][1:3] == ["2", "104000"]
    assert '\'=HYPERLINK("http://x")' in by_name
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="placement_report:providers").count() == 1

    response = finance.get(url, {"export": "needs", "format": "xlsx", "purpose": "service_planning"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["Provider", "Primary need"]
    names = [row[0] for row in values[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert finance.get(url, {"export": "everything", "format": "csv"}).status_code == 400


# --- Who may do what -----------------------------------------------------------------------------


def test_manager_views_but_cannot_change(client, personas):
    contract = NegotiatingContractFactory()
    line = CostLineFactory(contract=contract)
    client.force_login(personas.manager)
    for url in (
        reverse("placements:contract-list"),
        reverse("placements:contract-detail", args=[contract.pk]),
        reverse("placements:provider-list"),
        reverse("placements:provider-detail", args=[contract.provider_id]),
        reverse("placements:purchasing-power"),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("placements:contract-detail", args=[contract.pk])).content.decode()
    assert "You can view this contract but not change it." in page
    assert "Add a cost line" not in page
    for url in (
        reverse("placements:contract-create"),
        reverse("placements:contract-agree", args=[contract.pk]),
        reverse("placements:cost-line-add", args=[contract.pk]),
        reverse("placements:cost-line-edit", args=[line.pk]),
        reverse("placements:round-add", args=[contract.pk]),
        reverse("placements:attendance-upload"),
        reverse("placements:provider-create"),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    contract.refresh_from_db()
    assert contract.status == "negotiating"


@pytest.mark.parametrize("persona", ["officer", "panel_member", "head_teacher", "ep", "evaluator", "chair"])
def test_other_roles_cannot_see_contracts(client, personas, persona):
    contract = ActiveContractFactory()
    client.force_login(getattr(personas, persona))
    for url in (
        reverse("placements:contract-list"),
        reverse("placements:contract-detail", args=[contract.pk]),
        reverse("placements:provider-list"),
        reverse("placements:purchasing-power"),
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_sign_in(client):
    contract = ActiveContractFactory()
    for url in (reverse("placements:contract-list"), reverse("placements:contract-detail", args=[contract.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_navigation_shows_placements_to_finance_only(client, personas):
    client.force_login(personas.finance)
    assert 'href="/placements/"' in client.get(reverse("home")).content.decode()
    client.force_login(personas.officer)
    assert 'href="/placements/"' not in client.get(reverse("home")).content.decode()


def test_panel_meeting_page_links_an_approval_to_creating_its_contract(client, personas):
    from core.roles import Role
    from tests.conftest import make_user

    decision = approved_decision(establishment=ProviderFactory().establishment)
    url = reverse("panels:meeting-detail", args=[decision.item.meeting_id])
    link = f"{reverse('placements:contract-create')}?decision={decision.pk}"
    client.force_login(make_user(Role.PANEL_CHAIR, Role.FINANCE_OFFICER, username="chair_and_finance"))
    assert link in client.get(url).content.decode()
    client.force_login(personas.manager)  # sees the meeting, cannot create contracts
    page = client.get(url)
    assert page.status_code == 200
    assert link not in page.content.decode()


# --- Issue 12: what a contract page shows before and after agreement; rounds; the timeline ----------


def test_a_negotiating_contract_shows_its_position_not_a_saving(finance):
    contract = NegotiatingContractFactory()
    CostLineFactory(contract=contract, quoted_amount_pence=7_408_282, agreed_amount_pence=None)
    contract.quoted_annual_cost_pence = 7_408_282
    contract.save()
    html = finance.get(reverse("placements:contract-detail", args=[contract.pk])).content.decode()
    saving = html.split('id="saving">', 1)[1].split("</dd>", 1)[0]
    assert saving == "Shown once the fees are agreed"
    position = html.split('id="position">', 1)[1].split("</dd>", 1)[0]
    assert position == "Quoted £74,082.82 a year; no negotiation rounds recorded yet"
    listed = finance.get(reverse("placements:contract-list")).content.decode()
    assert "Not agreed (quoted £74,082.82)" in listed and "Not agreed yet" in listed


def test_an_active_contract_shows_its_saving(finance, personas):
    contract = make_active_contract(actor=personas.finance)
    html = finance.get(reverse("placements:contract-detail", args=[contract.pk])).content.decode()
    assert html.split('id="saving">', 1)[1].split("</dd>", 1)[0] == "£2,000.00"


def test_finance_corrects_a_round_with_a_reason_and_the_history_shows_before_and_after(finance, personas):
    contract = NegotiatingContractFactory()
    on = contract.panel_decision.item.meeting.held_on
    found = NegotiationRound.objects.create(
        contract=contract, round_no=1, on=on, provider_offer_pence=5_800_000, recorded_by=personas.finance
    )
    url = reverse("placements:round-correct", args=[found.pk])
    assert finance.get(url).status_code == 200
    body = {**_date("on", on), "provider_offer_pence": "57000"}
    response = finance.post(url, body)
    assert _errors(response) == ["Enter the reason for the correction"]
    response = finance.post(url, {**body, "reason": "Offer mistyped"}, follow=True)
    assert response.status_code == 200
    html = html_lib.unescape(response.content.decode())
    assert "Negotiation round corrected" in html
    assert "Provider's offer a year: £58,000.00 → £57,000.00" in html
    assert "Note: Offer mistyped" in html


@pytest.mark.parametrize("persona", ["manager", "officer"])
def test_only_finance_opens_the_round_correction_page(client, personas, persona):
    contract = NegotiatingContractFactory()
    found = NegotiationRound.objects.create(
        contract=contract,
        round_no=1,
        on=timezone.localdate(),
        provider_offer_pence=5_800_000,
        recorded_by=personas.finance,
    )
    client.force_login(getattr(personas, persona))
    url = reverse("placements:round-correct", args=[found.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {**_date("on", found.on), "provider_offer_pence": "1", "reason": "x"}).status_code == 403
    assert NegotiationRound.objects.get().provider_offer_pence == 5_800_000


def test_a_cost_line_change_shows_before_and_after_amounts_on_the_timeline(finance):
    contract = NegotiatingContractFactory()
    line = CostLineFactory(contract=contract, quoted_amount_pence=5_200_000, agreed_amount_pence=None)
    response = finance.post(
        reverse("placements:cost-line-edit", args=[line.pk]),
        {
            "category": line.category,
            "description": line.description,
            "quoted_amount_pence": "50000",
            "agreed_amount_pence": "49000",
            "period": line.period,
            "periods_per_year": str(line.periods_per_year),
        },
        follow=True,
    )
    html = html_lib.unescape(response.content.decode())
    assert "Quoted amount: £52,000.00 → £50,000.00" in html
    assert "Agreed amount: not agreed → £49,000.00" in html


def test_the_return_form_refuses_a_period_overlapping_one_on_file(finance, personas):
    contract = make_active_contract(actor=personas.finance)
    attendance_services.attendance_return_submit(
        actor=personas.finance,
        contract=contract,
        period_kind="term",
        period_start=date(2025, 9, 1),
        period_end=date(2025, 12, 19),
        possible=140,
        attended=140,
        authorised=0,
        unauthorised=0,
    )
    response = finance.post(
        reverse("placements:return-add", args=[contract.pk]),
        {
            "period_kind": "month",
            **_date("period_start", date(2025, 12, 1)),
            **_date("period_end", date(2025, 12, 31)),
            "sessions_possible": "30",
            "sessions_attended": "30",
            "authorised_absence": "0",
            "unauthorised_absence": "0",
        },
    )
    assert _errors(response) == [
        "The period overlaps the return already entered for 1 September 2025 to 19 December 2025; a day can be in "
        "only one return (to correct that return, enter exactly its period)"
    ]
    assert AttendanceReturn.objects.count() == 1


def test_upload_with_overlapping_or_unbalanced_rows_lists_each_clash_and_imports_nothing(finance):
    contract = PenaltyClauseFactory().contract
    file = _csv(
        [
            [contract.reference, "term", "2025-09-01", "2025-12-19", "140", "130", "6", "4"],
            [contract.reference, "month", "2025-12-01", "2025-12-31", "30", "30", "0", "0"],
            [contract.reference, "month", "2026-01-01", "2026-01-31", "8", "2", "0", "0"],
        ]
    )
    response = finance.post(reverse("placements:attendance-upload"), {"file": file})
    assert response.status_code == 400
    table = html_lib.unescape(response.content.decode().split('id="upload-errors"', 1)[1].split("</table>", 1)[0])
    assert "The period overlaps row 2 (1 September 2025 to 19 December 2025)" in table
    assert "8 possible ≠ 2 attended + 0 authorised + 0 unauthorised = 2" in table
    assert not AttendanceReturn.objects.exists()
