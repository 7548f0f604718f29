"""A synthetic file in the layout of DfE's GIAS ``edubasealldata`` download (no real school).

Every column of the April 2025 file is present, in its order, so the loader is tried against the
real layout; the columns SEN Portal reads are filled with plausible made-up values and the rest
are left blank. Deterministic: the same seed gives the same file.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from core.gias import ENCODING

COLUMNS: tuple[str, ...] = (
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName", "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)", "EstablishmentTypeGroup (code)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)", "ReasonEstablishmentOpened (code)",
    "ReasonEstablishmentOpened (name)", "OpenDate", "ReasonEstablishmentClosed (code)",
    "ReasonEstablishmentClosed (name)", "CloseDate", "PhaseOfEducation (code)", "PhaseOfEducation (name)",
    "StatutoryLowAge", "StatutoryHighAge", "Boarders (code)", "Boarders (name)", "NurseryProvision (name)",
    "OfficialSixthForm (code)", "OfficialSixthForm (name)", "Gender (code)", "Gender (name)",
    "ReligiousCharacter (code)", "ReligiousCharacter (name)", "ReligiousEthos (name)", "Diocese (code)",
    "Diocese (name)", "AdmissionsPolicy (code)", "AdmissionsPolicy (name)", "SchoolCapacity",
    "SpecialClasses (code)", "SpecialClasses (name)", "CensusDate", "NumberOfPupils", "NumberOfBoys",
    "NumberOfGirls", "PercentageFSM", "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)",
    "Trusts (name)", "SchoolSponsorFlag (name)", "SchoolSponsors (name)", "FederationFlag (name)",
    "Federations (code)", "Federations (name)", "UKPRN", "FEHEIdentifier", "FurtherEducationType (name)",
    "LastChangedDate", "Street", "Locality", "Address3", "Town", "County (name)", "Postcode", "SchoolWebsite",
    "TelephoneNum", "HeadTitle (name)", "HeadFirstName", "HeadLastName", "HeadPreferredJobTitle",
    "BSOInspectorateName (name)", "InspectorateReport", "DateOfLastInspectionVisit", "NextInspectionVisit",
    "TeenMoth (name)", "TeenMothPlaces", "CCF (name)", "SENPRU (name)", "EBD (name)", "PlacesPRU", "FTProv (name)",
    "EdByOther (name)", "Section41Approved (name)", *(f"SEN{n} (name)" for n in range(1, 14)),
    "TypeOfResourcedProvision (name)", "ResourcedProvisionOnRoll", "ResourcedProvisionCapacity", "SenUnitOnRoll",
    "SenUnitCapacity", "GOR (code)", "GOR (name)", "DistrictAdministrative (code)", "DistrictAdministrative (name)",
    "AdministrativeWard (code)", "AdministrativeWard (name)", "ParliamentaryConstituency (code)",
    "ParliamentaryConstituency (name)", "UrbanRural (code)", "UrbanRural (name)", "GSSLACode (name)", "Easting",
    "Northing", "MSOA (name)", "LSOA (name)", "InspectorateName (name)", "SENStat", "SENNoStat",
    "BoardingEstablishment (name)", "PropsName", "PreviousLA (code)", "PreviousLA (name)",
    "PreviousEstablishmentNumber", "Country (name)", "UPRN", "SiteName", "QABName (code)", "QABName (name)",
    "EstablishmentAccredited (code)", "EstablishmentAccredited (name)", "QABReport", "CHNumber", "MSOA (code)",
    "LSOA (code)", "FSM", "AccreditationExpiryDate",
)  # fmt: skip

# (code, name, weight): roughly the national mix of establishment types.
TYPES: tuple[tuple[int, str, int], ...] = (
    (1, "Community school", 30), (2, "Voluntary aided school", 10), (3, "Voluntary controlled school", 8),
    (5, "Foundation school", 3), (34, "Academy converter", 20), (28, "Academy sponsor led", 8),
    (35, "Free schools", 2), (7, "Community special school", 2), (44, "Academy special converter", 1),
    (10, "Other independent special school", 2), (8, "Non-maintained special school", 1),
    (11, "Other independent school", 6), (14, "Pupil referral unit", 1), (18, "Further education", 2),
    (32, "Special post 16 institution", 1), (29, "Higher education institutions", 1), (30, "Welsh establishment", 1),
)  # fmt: skip
NOT_APPLICABLE = (0, "Not applicable")
PHASE_FOR_TYPE = {7: NOT_APPLICABLE, 44: NOT_APPLICABLE, 10: (7, "All-through"), 8: NOT_APPLICABLE,
                  18: (6, "16 plus"), 32: (6, "16 plus"), 29: NOT_APPLICABLE, 14: NOT_APPLICABLE}  # fmt: skip
SEN_NAMES = ("SpLD - Specific Learning Difficulty", "MLD - Moderate Learning Difficulty",
             "SEMH - Social, Emotional and Mental Health", "SLCN - Speech, language and Communication",
             "ASD - Autistic Spectrum Disorder", "PMLD - Profound and Multiple Learning Difficulty")  # fmt: skip
NAME_PARTS = ("Oakfield", "Riverside", "St Aidan's", "Hillcrest", "Meadowbank", "Ashgrove", "Brookside", "Cedars",
              "Elmwood", "Fairview", "Greenacre", "Hawthorn", "Kingsmead", "Larkrise", "Millbrook", "Northgate",
              "Orchard", "Parkside", "Queensway", "Rosewood", "Southfields", "Thornbury", "Valley", "Westcliffe",
              "Willowdene", "Beaumont", "Chapelfield", "Côte Vale")  # fmt: skip
LAS = tuple((f"{n:03d}", f"Authority {n:03d}") for n in range(201, 353, 1))


# The Ofsted columns of files before 22 April 2025 (``with_ofsted``), and the grades drawn.
OFSTED_COLUMNS: tuple[str, ...] = ("OfstedRating (name)", "OfstedLastInsp")
OFSTED_RATINGS: tuple[str, ...] = ("Outstanding", "Good", "Good", "Good", "Requires improvement", "Inadequate", "")


def gias_sample(
    *, rows: int, seed: int = 1, la_code: str = "886", districts: tuple[str, ...] = (), with_ofsted: bool = False
) -> bytes:
    """``rows`` establishments as a Windows-1252 CSV; about 1 in 50 in ``la_code`` (named after
    ``districts`` in ``DistrictAdministrative (name)``), about 1 in 10 closed. ``with_ofsted``
    adds the Ofsted grade and inspection date columns older files had."""
    rng = random.Random(seed)
    weights = [weight for _, _, weight in TYPES]
    out = io.StringIO(newline="")
    columns = (*COLUMNS, *OFSTED_COLUMNS) if with_ofsted else COLUMNS
    writer = csv.DictWriter(out, fieldnames=columns, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writeheader()
    for index in range(rows):
        code, type_name, _ = rng.choices(TYPES, weights)[0]
        phase_code, phase_name = PHASE_FOR_TYPE.get(code, rng.choice(((2, "Primary"), (4, "Secondary"))))
        own = rng.random() < 0.02
        la, la_name = (la_code, "Our council") if own else rng.choice(LAS)
        opened = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 74))
        closed = rng.random() < 0.1
        status = (
            ("2", "Closed") if closed else rng.choice((("1", "Open"),) * 30 + (("3", "Open, but proposed to close"),))
        )
        sen = rng.sample(SEN_NAMES, rng.randrange(0, 4)) if code in (7, 44, 10, 8, 32) else []
        record = {
            "URN": str(100000 + index),
            "LA (code)": la,
            "LA (name)": la_name,
            "EstablishmentNumber": f"{rng.randrange(1000, 7999)}",
            "EstablishmentName": f"{rng.choice(NAME_PARTS)} {type_name.split()[0]} {index}",
            "TypeOfEstablishment (code)": str(code),
            "TypeOfEstablishment (name)": type_name,
            "EstablishmentStatus (code)": status[0],
            "EstablishmentStatus (name)": status[1],
            "OpenDate": opened.strftime("%d-%m-%Y"),
            "CloseDate": (opened + timedelta(days=rng.randrange(100, 9000))).strftime("%d-%m-%Y") if closed else "",
            "PhaseOfEducation (code)": str(phase_code),
            "PhaseOfEducation (name)": phase_name,
            "UKPRN": str(10000000 + index) if code in (18, 32, 29) else "",
            "Postcode": f"ME{rng.randrange(1, 20)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQ')}",
            "Section41Approved (name)": "Approved" if code in (10, 32) and rng.random() < 0.6 else "Not approved",
            "TypeOfResourcedProvision (name)": rng.choice(
                ("Not applicable",) * 8 + ("Resourced provision", "SEN unit")
            ),
            "DistrictAdministrative (name)": rng.choice(districts) if own and districts else "Elsewhere",
            "Country (name)": "England",
            **{f"SEN{n + 1} (name)": name for n, name in enumerate(sen)},
        }
        if with_ofsted:
            rating = rng.choice(OFSTED_RATINGS)
            inspected = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 365 * 6))
            record["OfstedRating (name)"] = rating
            record["OfstedLastInsp"] = inspected.strftime("%d-%m-%Y") if rating else ""
        writer.writerow(record)
    return out.getvalue().encode(ENCODING)
