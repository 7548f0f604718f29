"""DfE's published LA-level EHC plan statistics: the loader reads the release's CSV layout (a
small synthetic file shaped like it, tests/dashboard/data/), and the comparison with England
and the statistical neighbours is worked out by hand below."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from reporting.models import AnnualMetric, PublishedEhcpFigures
from reporting.published import PublishedFileError, compare_published, parse_published_csv

SAMPLE = Path(__file__).parent / "data" / "published_ehcp_sample.csv"
NEIGHBOURS = ["881", "938"]  # Essex and West Sussex (Bath and NE Somerset, 800, is not one)


def _rows():
    with SAMPLE.open(encoding="utf-8") as handle:
        return parse_published_csv(handle)


def test_the_loader_keeps_the_total_rows_of_england_regions_and_authorities():
    rows = {(r.year, r.area_code): r for r in _rows()}
    assert len(rows) == 9  # the "Under 5" breakdown rows are left out
    kent = rows[(2024, "886")]
    assert (kent.level, kent.area_name) == ("local_authority", "Kent")
    assert kent.counts["requests_received"] == 4000 and kent.counts["requests_refused"] == 2000
    assert rows[(2024, "E92000001")].level == "national"
    assert rows[(2024, "938")].counts["plans_issued_within_20_weeks"] is None  # "c": suppressed


def test_rates_beside_england_and_the_neighbours_by_hand():
    compared = compare_published(
        ours={2024: {"refusal_rate_dfe": 51.2}}, published=_rows(), council_code="886", neighbours=NEIGHBOURS
    )
    refusal = compared[2024]["refusal_rate_dfe"]
    # ours as stored; Kent 2000/4000; England 25000/100000; neighbours (600+200)/(3000+1000)
    assert refusal == {"ours": 51.2, "published": 50.0, "england": 25.0, "neighbours": 20.0}
    # 20 weeks including exceptions: West Sussex's count is suppressed, so Essex alone: 900/1500
    assert compared[2024]["pc_plans_issued_within_20_weeks"]["neighbours"] == 60.0
    # excluding exceptions: (700+100)/(1000+400) = 57.1; England 24000/50000 = 48.0; Kent 540/1800 = 30.0
    assert compared[2024]["pc_plans_issued_within_20_weeks_excluding_exceptions"] == {
        "ours": None,
        "published": 30.0,
        "england": 48.0,
        "neighbours": 57.1,
    }
    # 2023: England 21000/90000 = 23.3; Kent 1800/3800 = 47.4; Essex alone 700/2800 = 25.0
    assert compared[2023]["refusal_rate_dfe"] == {"ours": None, "published": 47.4, "england": 23.3, "neighbours": 25.0}


@pytest.mark.parametrize(
    "text, message",
    [
        ("year,geographic_level\n2024,National\n", "no time_period"),
        ("time_period,geographic_level,age\n2024,National,Total\n", "none of the measures"),
        ("time_period,geographic_level,requests_received_in_year\n20X4,National,5\n", "Row 2, column time_period"),
        (
            "time_period,geographic_level,old_la_code,requests_received_in_year\n2024,Local authority,886,many\n",
            "Row 2, column requests_received_in_year",
        ),
    ],
)
def test_a_file_not_shaped_as_documented_is_refused_naming_row_and_column(text, message):
    with pytest.raises(PublishedFileError) as error:
        parse_published_csv(io.StringIO(text))
    assert message in str(error.value)


@pytest.mark.django_db
def test_the_command_loads_the_file_and_a_rerun_replaces_the_rows():
    out = io.StringIO()
    call_command("load_published_ehcp_stats", str(SAMPLE), stdout=out)
    call_command("load_published_ehcp_stats", str(SAMPLE), stdout=out)
    assert PublishedEhcpFigures.objects.count() == 9
    assert "9 area-years loaded (2023-2024)" in out.getvalue()
    with pytest.raises(CommandError, match="no-such.csv"):
        call_command("load_published_ehcp_stats", "no-such.csv")


@pytest.mark.django_db
def test_the_dashboard_shows_the_published_comparison_for_all_districts(page_client_for, personas, settings):
    settings.PUBLISHED_STATS_NEIGHBOURS = NEIGHBOURS
    call_command("load_published_ehcp_stats", str(SAMPLE), stdout=io.StringIO())
    AnnualMetric.objects.create(
        year=2024, district=None, data={"requests_received": 10, "requests_decided_not_to_assess": 4},
        computed_at=timezone.now(),
    )  # fmt: skip
    page = (
        page_client_for(personas.manager)
        .get(reverse("dashboard:home"), {"from_month": "2024-01", "to_month": "2024-12"})
        .content.decode()
    )
    table = page[page.index('id="table-published"') :]
    table = table[: table.index("</table>")]
    row = table[table.index(">2024<") :]
    row = row[: row.index("</tr>")]
    # refusal: ours 4/10, Kent, England, neighbours; then the 20-week rates
    assert [cell for cell in ("40.0%", "50.0%", "25.0%", "20.0%") if cell in row] == [
        "40.0%",
        "50.0%",
        "25.0%",
        "20.0%",
    ]
    assert "Refusal rate, England (%)" in table
