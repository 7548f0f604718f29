"""The saving and the uplift are two figures (docs/domain.md §2.6): the saving is what negotiation
took off the provider's asked price (asked − agreed, per line and in total, never negative); the
uplift is the rise of the agreed fee against the fee in force before it. A fee review that raises
the fee shows an uplift and a saving, never a negative saving. Cases worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import ValidationFailed
from placements import workflow
from placements.models import CostLine
from placements.services import contracts as contract_services
from placements.services import fee_reviews as services
from tests.placements.factories import finance_user, make_active_contract

# --- Rules (no database) ---------------------------------------------------------------------------


def test_saving_is_asked_minus_agreed_and_never_negative() -> None:
    assert workflow.negotiation_saving(5_600_000, 5_400_000) == 200_000
    assert workflow.negotiation_saving(5_400_000, 5_400_000) == 0
    # An amount agreed above the ask (data from before the rule) is no saving, not a negative one.
    assert workflow.negotiation_saving(5_000_000, 5_400_000) == 0
    assert workflow.saving("active", 5_000_000, 5_400_000) == 0


def test_uplift_is_agreed_against_the_fee_in_force_and_can_be_a_reduction() -> None:
    assert workflow.uplift(5_000_000, 5_400_000) == 400_000
    assert workflow.uplift(5_000_000, 4_900_000) == -100_000
    assert workflow.uplift_words(400_000) == "£4,000.00 more a year"
    assert workflow.uplift_words(-100_000) == "£1,000.00 less a year"
    assert workflow.uplift_words(0) == "No change"


def test_a_review_line_by_line_and_in_total() -> None:
    """Tuition, termly (3 a year): in force £10,000, asked £11,000, agreed £10,500 a term, so a
    year £30,000 / £33,000 / £31,500: saved £1,500, uplift £1,500. Transport, weekly (39 a year):
    in force £100, asked £120, agreed £90 a week, so £3,900 / £4,680 / £3,510: saved £1,170,
    uplift −£390 (the fee went down). Total: in force £33,900, asked £37,680, agreed £35,010:
    saved £2,670, uplift £1,110."""
    lines = [
        workflow.ReviewLineFacts("term", 3, 1_000_000, 1_100_000, 1_050_000),
        workflow.ReviewLineFacts("week", 39, 10_000, 12_000, 9_000),
    ]
    per_line, total = workflow.review_figures(lines)
    assert [(f.saving_pence, f.uplift_pence) for f in per_line] == [(150_000, 150_000), (117_000, -39_000)]
    assert (total.before_pence, total.asked_pence, total.agreed_pence) == (3_390_000, 3_768_000, 3_501_000)
    assert (total.saving_pence, total.uplift_pence) == (267_000, 111_000)


def test_a_review_total_has_no_saving_or_uplift_until_every_line_is_agreed() -> None:
    lines = [
        workflow.ReviewLineFacts("term", 3, 1_000_000, 1_100_000, 1_050_000),
        workflow.ReviewLineFacts("week", 39, 10_000, 11_000, None),
    ]
    per_line, total = workflow.review_figures(lines)
    assert per_line[1].saving_pence is None and per_line[1].uplift_pence is None
    assert total.agreed_pence is None and total.saving_pence is None and total.uplift_pence is None


def test_versions_each_have_a_saving_and_an_uplift_against_the_one_before() -> None:
    """V1 asked £52,000 agreed £50,000; V2 asked £56,000 agreed £54,000; V3 asked £53,000 agreed
    £53,000."""
    figures = workflow.version_figures([(5_200_000, 5_000_000), (5_600_000, 5_400_000), (5_300_000, 5_300_000)])
    assert [(f.saving_pence, f.uplift_pence) for f in figures] == [(200_000, 0), (200_000, 400_000), (0, -100_000)]


def test_an_agreed_amount_above_the_ask_is_a_problem() -> None:
    assert workflow.asked_price_problem(5_000_000, 5_000_000) is None
    assert workflow.asked_price_problem(5_000_000, None) is None
    assert workflow.asked_price_problem(5_000_000, 5_000_001) == (
        "The agreed amount £50,000.01 is more than the provider quoted, £50,000.00; record the new quote first"
    )


# --- Services, page and API (PostgreSQL) --------------------------------------------------------------


@pytest.mark.django_db
def test_a_cost_line_cannot_be_agreed_above_its_quote_and_nothing_is_saved() -> None:
    actor = finance_user()
    contract = make_active_contract(actor=actor)
    line = CostLine.objects.get(contract=contract)
    with pytest.raises(ValidationFailed) as caught:
        contract_services.cost_line_update(actor=actor, line=line, agreed_amount_pence=5_300_000)
    assert "agreed_amount_pence" in caught.value.errors
    line.refresh_from_db()
    assert line.agreed_amount_pence == 5_000_000
    with pytest.raises(ValidationFailed) as caught:
        contract_services.cost_line_add(
            actor=actor,
            contract=contract,
            category="transport",
            quoted_amount_pence=100_000,
            agreed_amount_pence=100_001,
            period="year",
            periods_per_year=1,
        )
    assert "agreed_amount_pence" in caught.value.errors
    assert CostLine.objects.filter(contract=contract).count() == 1


@pytest.mark.django_db
def test_a_review_that_raises_the_fee_shows_an_uplift_not_a_negative_saving(
    page_client_for, api_client_for, personas
) -> None:
    """In force £50,000 (quoted £52,000); asked £56,000, agreed £54,000: saved £2,000, uplift £4,000."""
    actor = personas.finance
    contract = make_active_contract(actor=actor, ceiling_pence=5_500_000)
    review = services.fee_review_start(
        actor=actor,
        contract=contract,
        received_on=date(2026, 6, 1),
        effective_from=date(2026, 9, 1),
        requested_annual_cost_pence=5_600_000,
        reasons="Staff pay award",
    )
    services.fee_review_record_line(
        actor=actor, line=review.lines.get(), requested_amount_pence=5_600_000, agreed_amount_pence=5_400_000
    )
    services.fee_review_agree(actor=actor, review=review, outcome_on=date(2026, 7, 1))
    contract.refresh_from_db()
    assert contract.saving_pence == 200_000

    page = page_client_for(actor).get(f"/placements/fee-reviews/{review.pk}/").content.decode()
    assert "Saved by negotiation (asked for minus agreed)" in page
    assert "£2,000.00" in page and "£4,000.00 more a year" in page
    assert "-£" not in page and "£-" not in page
    detail = page_client_for(actor).get(f"/placements/contracts/{contract.pk}/").content.decode()
    assert "£4,000.00 more a year" in detail and "None (the original fee)" in detail

    body = api_client_for(personas.manager).get(f"/api/placements/fee-reviews/{review.pk}/").json()
    assert (body["saving_pence"], body["uplift_pence"]) == (200_000, 400_000)
    assert (body["lines"][0]["saving_annual_pence"], body["lines"][0]["uplift_annual_pence"]) == (200_000, 400_000)
    assert [(v["saving_pence"], v["uplift_pence"]) for v in body["versions"]] == [(200_000, None), (200_000, 400_000)]


# --- One door for the price of an active placement (the old "reopen negotiation" is gone) ---------


def test_an_active_contract_cannot_go_back_to_negotiating() -> None:
    with pytest.raises(workflow.TransitionError):
        workflow.check_transition(workflow.ContractStatus.ACTIVE, workflow.Action.REOPEN_NEGOTIATION)
    for status in workflow.ContractStatus:
        assert workflow.Action.REOPEN_NEGOTIATION not in workflow.allowed_actions(status)
    assert not hasattr(contract_services, "contract_reopen_negotiation")


@pytest.mark.django_db
def test_the_old_reopen_door_is_gone_on_the_page_the_api_and_the_admin(
    page_client_for, api_client_for, personas
) -> None:
    contract = make_active_contract(actor=personas.finance)
    page = page_client_for(personas.finance)
    assert page.post(f"/placements/contracts/{contract.pk}/reopen-negotiation/", {"note": "x"}).status_code == 404
    detail = page.get(f"/placements/contracts/{contract.pk}/").content.decode()
    assert "reopen-negotiation" not in detail and "Reopen negotiation" not in detail
    api = api_client_for(personas.finance)
    assert api.post(f"/api/placements/contracts/{contract.pk}/reopen-negotiation/", {}, format="json").status_code in {
        404,
        405,
    }
    admin = page_client_for(personas.admin)
    changed = admin.post(f"/admin/placements/placementcontract/{contract.pk}/change/", {"status": "negotiating"})
    assert changed.status_code == 403
    contract.refresh_from_db()
    assert contract.status == "active" and contract.agreed_annual_cost_pence == 5_000_000


@pytest.mark.django_db
def test_the_price_of_an_active_placement_never_changes_without_a_version(api_client_for, personas) -> None:
    """A variation within the ceiling is a new version from today; one above the panel's ceiling
    (£55,000) is refused naming the field, and nothing changes: that rise needs a fee review."""
    from django.utils import timezone

    from placements.models import ContractVersion
    from placements.versions import annual_cost_on

    actor = personas.finance
    contract = make_active_contract(actor=actor, ceiling_pence=5_500_000)
    line = CostLine.objects.get(contract=contract)
    api = api_client_for(actor)
    above = api.post(
        f"/api/placements/cost-lines/{line.pk}/update/",
        {"quoted_amount_pence": 5_800_000, "agreed_amount_pence": 5_700_000},
        format="json",
    )
    assert above.status_code == 400, above.content
    assert "ceiling" in above.content.decode()
    contract.refresh_from_db()
    assert contract.agreed_annual_cost_pence == 5_000_000
    assert ContractVersion.objects.filter(contract=contract).count() == 1
    contract_services.cost_line_update(
        actor=actor, line=line, quoted_amount_pence=5_300_000, agreed_amount_pence=5_100_000
    )
    contract.refresh_from_db()
    assert annual_cost_on(contract, timezone.localdate()) == contract.agreed_annual_cost_pence == 5_100_000
