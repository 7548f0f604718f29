"""SEN2 code lists and every choice made where the specification is uncertain.

Each uncertain choice is one constant here, with the decision record that explains it
(docs/decisions/0008-sen2-return.md), so that changing it is a one-line change.
"""

from __future__ import annotations

from datetime import date

from core import sen2codes
from core.sen2codes import (
    CEASE_REASONS,
    ETHNICITIES,
    FLAGS,
    OUTCOMES,
    REQUEST_SOURCE_FROM_KIND,
    REQUEST_SOURCE_LABELS,
    REQUEST_SOURCES,
    SEN_SETTINGS,
    SEN_SETTINGS_NEEDING_DETAIL,
    SEN_TYPES,
    SEX,
    UPN_LETTERS,
    UPN_UNKNOWN,
    uln_valid,
    upn_check_letter,
    upn_valid,
)

# The code lists live in core (the case record uses them too); re-exported for the return.
__all__ = [
    "CEASE_REASONS",
    "ETHNICITIES",
    "FLAGS",
    "OUTCOMES",
    "REQUEST_SOURCE_FROM_KIND",
    "REQUEST_SOURCE_LABELS",
    "REQUEST_SOURCES",
    "SEN_SETTINGS",
    "SEN_SETTINGS_NEEDING_DETAIL",
    "SEN_TYPES",
    "SEX",
    "UPN_LETTERS",
    "UPN_UNKNOWN",
    "uln_valid",
    "upn_check_letter",
    "upn_valid",
]

# --- Decisions (docs/decisions/0008-sen2-return.md) ----------------------------------------------

# The element layout produced: the 2025 layout, which the 2026 collection also uses (Sex, not
# GenderCurrent; RequestSource; RES/WBP under PlacementDetail; SENtype DS; SENsetting OTH).
LAYOUT_YEAR = 2025
# Tag spellings where sources disagree (XML is case-sensitive).
TAG_SEN_SETTING = "SENsetting"
TAG_SEN_SETTING_OTHER = "SENsettingOther"
TAG_POSTCODE = "PostCode"
# An ethnicity not recorded goes as "information not yet obtained".
ETHNICITY_NOT_RECORDED = "NOBT"
# Outcomes decided before the collection period are returned as historical (H).
RETURN_HISTORICAL_OUTCOMES = True
# Plans that ended after the collection period but on or before the census date are returned
# as ceased (the return describes each case as it stood on the census date).
CEASED_WINDOW_ENDS_ON_CENSUS = True
# Personal budgets are not recorded in SEN Portal: PB (a mandatory item) goes as 0.
PERSONAL_BUDGET_NOT_RECORDED = "0"
# The LA-level items (designated medical, clinical and social care officers) are left out: their
# tag names are not confirmed.
INCLUDE_LA_LEVEL_ITEMS = False
SOFTWARE_CODE = "SENPortal"
RELEASE = "1.0"

# Census (reference) dates: core.sen2codes (the dashboard's plans maintained count uses them too).
CENSUS_DATES = sen2codes.CENSUS_DATES
third_thursday_of_january = sen2codes.third_thursday_of_january
census_date = sen2codes.census_date


def last_census_on_or_before(day: date) -> date:
    this_year = census_date(day.year)
    return this_year if this_year <= day else census_date(day.year - 1)


def collection_period(census: date) -> tuple[date, date]:
    """The calendar year before the census year: the period activity is counted in."""
    return date(census.year - 1, 1, 1), date(census.year - 1, 12, 31)
