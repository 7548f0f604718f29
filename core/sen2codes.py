"""SEN2 code lists and identifier checks shared by the case record (forms, services, importer)
and the return (``reporting/sen2``). Pure: no database. docs/sen2.md describes them."""

from __future__ import annotations

from datetime import date

# --- Code lists ---------------------------------------------------------------------------------

OUTCOMES = ("Y", "N", "A", "W", "H")
FLAGS = ("0", "1")
SEX = ("M", "F", "U")
REQUEST_SOURCES = ("1", "2", "3", "4", "5")
REQUEST_SOURCE_LABELS = {
    "1": "Young person or parent",
    "2": "School or other education setting",
    "3": "Health care professional",
    "4": "Social care professional",
    "5": "Other",
}
# SEN Portal's requester kinds in SEN2's codes (an officer may record a more exact one).
REQUEST_SOURCE_FROM_KIND = {"parent": "1", "young_person": "1", "school": "2", "other": "5"}
CEASE_REASONS = {
    "1": "Reached maximum age",
    "2": "Needs met without an EHC plan",
    "3": "Moved on to higher education",
    "4": "Moved on to paid employment",
    "5": "Transferred to another local authority",
    "6": "Young person no longer wishes to engage in education or training",
    "7": "Moved outside England",
    "8": "Deceased",
    "9": "Other",
}
SEN_SETTINGS = {
    "OLA": "Other arrangements made by the local authority",
    "OPA": "Other arrangements made by parents or the young person",
    "EHE": "Elective home education",
    "EYP": "Early years provider with no URN",
    "OTH": "Other",
    "NEET": "Not in education, employment or training (16 to 25)",
    "NIEC": "Not in education or training: notice to cease issued",
    "NIEO": "Not in education or training: other",
}
SEN_SETTINGS_NEEDING_DETAIL = ("OTH", "NIEO")
SEN_TYPES = ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "DS", "OTH")
UPN_UNKNOWN = {
    "UN1": "Under 6 and not yet given a UPN",
    "UN2": "Never attended a state-funded school in England",
    "UN3": "Educated outside England",
    "UN5": "Records conflict: no reliable match",
    "UN8": "New to the local authority: UPN or ULN not yet known",
    "UN9": "Never attended a state-funded school or FE setting in England",
    "UN10": "Request ended before the UPN or ULN was known",
}
ETHNICITIES = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy or Roma",
    "WOTH": "Any other White background",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

# UPN check letters (mod 23) and the ULN check (mod 11).
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn_check_letter(upn: str) -> str | None:
    """The check letter the first character of a 13-character UPN must be, or None when the
    rest is malformed. Characters 2-12 are digits; character 13 a digit or (temporary UPN) a
    letter of ``UPN_LETTERS``, counted as its index."""
    if len(upn) != 13 or not upn[1:12].isdigit():
        return None
    values = [int(ch) for ch in upn[1:12]]
    last = upn[12].upper()
    if last.isdigit():
        values.append(int(last))
    elif last in UPN_LETTERS:
        values.append(UPN_LETTERS.index(last))
    else:
        return None
    total = sum(value * weight for value, weight in zip(values, range(2, 14), strict=True))
    return UPN_LETTERS[total % 23]


def upn_valid(upn: str) -> bool:
    return upn_check_letter(upn) == upn[:1].upper() if upn else False


def uln_valid(uln: str) -> bool:
    if len(uln) != 10 or not uln.isdigit() or uln[0] == "0":
        return False
    remainder = sum(int(d) * w for d, w in zip(uln[:9], range(10, 1, -1), strict=True)) % 11
    return remainder != 0 and 10 - remainder == int(uln[9])


# Census (reference) dates, from DfE's guides: the third Thursday of January since 2022. SEN2's
# caseload ("plans maintained") is counted on this day; the one place to change a date.
CENSUS_DATES: dict[int, date] = {
    2022: date(2022, 1, 20),
    2023: date(2023, 1, 19),
    2024: date(2024, 1, 18),
    2025: date(2025, 1, 16),
    2026: date(2026, 1, 15),
    2027: date(2027, 1, 21),
}


def third_thursday_of_january(year: int) -> date:
    first = date(year, 1, 1)
    return date(year, 1, 1 + (3 - first.weekday()) % 7 + 14)


def census_date(year: int) -> date:
    """The January census day of ``year`` (SEN2's reference date)."""
    return CENSUS_DATES.get(year) or third_thursday_of_january(year)
