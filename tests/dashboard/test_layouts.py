"""The dashboard's tables and charts are data (reporting.layouts) naming figures whose label,
unit and linked wording are written once (reporting.figures.FIGURES). No database needed."""

from __future__ import annotations

import pytest

from reporting import layouts
from reporting.figures import DEFINITION_TITLES, DEFINITIONS, FIGURES, Figure

SERIES = [*layouts.MONTHLY_TABLES, layouts.ANNUAL_TABLE, *layouts.COUNCIL_WIDE_TABLES, layouts.REPORT_DISTRICTS]
FIGURE_TABLES = [
    layouts.REPORT_SUMMARY,
    layouts.REPORT_YEAR,
    layouts.REPORT_BACKLOG,
    *layouts.REPORT_PANEL,
    *layouts.REPORT_PLACEMENTS,
]
CHARTS = [*layouts.MONTHLY_CHARTS, *layouts.COUNCIL_WIDE_CHARTS]


def _named() -> list[str]:
    keys = [key for table in SERIES for key in table.columns]
    keys += [key for table in FIGURE_TABLES for key in table.rows]
    keys += [key for table in layouts.BACKLOG_TABLES for key in table.columns]
    keys += [key for table in layouts.BACKLOG_TABLES for row in table.rows for key in row.figures]
    keys += [key for chart in CHARTS for key in chart.series]
    keys += [*layouts.BACKLOG_SUMMARY, *layouts.PLACEMENTS_TODAY, *layouts.IN_USE]
    return keys


def test_every_figure_a_layout_names_is_defined_once_with_a_label():
    unknown = sorted({key for key in _named() if key not in FIGURES})
    assert unknown == []
    for figure in FIGURES.values():
        assert figure.label.strip(), figure.key  # a request figure without its own title takes its definition's


@pytest.mark.parametrize("table", SERIES + FIGURE_TABLES, ids=lambda t: t.key)
def test_no_two_figures_in_a_table_share_a_label(table):
    keys = table.columns if isinstance(table, layouts.SeriesTable) else table.rows
    labels = [FIGURES[key].header for key in keys]
    assert len(labels) == len(set(labels))


def test_a_money_figure_says_pounds_in_its_header_and_a_count_does_not():
    assert FIGURES["placements_committed_annual_pence"].header == "Committed annual spend (£)"
    assert FIGURES["placements_active"].header == "Placements in place"
    assert layouts.COUNCIL_WIDE_TABLES[3].headers[:3] == ["Month", "Placements in place", "Committed annual spend (£)"]


def test_rates_and_means_are_not_linked_to_cases():
    assert not FIGURES["refusal_rate"].linked and not FIGURES["panel_mean_days_to_decision"].linked
    assert FIGURES["plans_issued"].linked and FIGURES["panel_cost_agreed_pence"].linked


def test_a_share_is_derived_from_the_counts_unless_it_is_stored():
    share = FIGURES["pc_plans_issued_within_20_weeks"]
    assert share.value({"plans_issued_within_20_weeks": 1, "plans_issued": 3}) == 33.3
    assert share.value({"plans_issued_within_20_weeks": 0, "plans_issued": 0}) is None  # no plans: no rate
    assert share.value({"pc_plans_issued_within_20_weeks": 50.0, "plans_issued": 3}) == 50.0  # the annual row's own
    assert share.value(None) is None


def test_the_refusal_rate_of_a_raw_district_row_is_refused_over_all_decisions():
    assert FIGURES["refusal_rate"].value({"decisions_to_assess": 3, "decisions_not_to_assess": 1}) == 25.0


def test_a_panel_outcome_is_read_from_the_stored_outcome_counts():
    outcome = FIGURES["panel_decisions.outcome.decline"]
    assert outcome.value({"panel_decisions_by_outcome": {"decline": 2}}) == 2
    assert outcome.value({"panel_decisions_by_outcome": None}) is None  # a district's row: council-wide only


def test_the_printed_definitions_are_titled_by_their_figures_labels():
    assert set(DEFINITION_TITLES) == set(DEFINITIONS)
    assert DEFINITION_TITLES["refusal_rate_dfe"] == FIGURES["refusal_rate_dfe"].label


def test_a_figure_without_a_definition_needs_a_title():
    with pytest.raises(LookupError):
        _ = Figure("not_a_metric").label
