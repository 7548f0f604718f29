"""Duplicate matching rules, without a database (issue 12 item 19), and the recall measured on
generated variants of synthetic names."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from requests_app.matching import (
    Candidate,
    birth_date_variants,
    forenames_match,
    is_possible_match,
    soundex,
    surnames_match,
)

ISABELLA = Candidate("Isabella", "Taylor", date(2015, 3, 4))


@pytest.mark.parametrize(
    "entered",
    [
        Candidate("Bella", "Taylor-Smith", date(2015, 3, 4)),  # the example
        Candidate("Bella", "Taylor-Smith", date(2015, 4, 3)),  # ... with day and month transposed
        Candidate("Isabella", "Taylor", date(2015, 4, 3)),
        Candidate("Taylor", "Isabella", date(2015, 3, 4)),  # surname first
        Candidate("Izzy", "Smith-Taylor", date(2015, 3, 4)),
        Candidate("Isabel", "Tailor", date(2015, 3, 4)),  # sounds the same
        Candidate("Isabella", "Taylor", date(2016, 3, 4)),  # the year typed wrongly
    ],
)
def test_variants_of_a_recorded_child_match(entered: Candidate) -> None:
    assert is_possible_match(entered, ISABELLA)


@pytest.mark.parametrize(
    "entered",
    [
        Candidate("Oliver", "Brown", date(2015, 4, 3)),  # transposed date, nothing else in common
        Candidate("Isabella", "Brown", date(2015, 4, 3)),  # transposed date needs both names
        Candidate("Bella", "Taylor", date(2016, 3, 4)),  # a wrong year needs the exact first name
        Candidate("Isabella", "Taylor", date(2015, 5, 4)),  # a different date altogether
        Candidate("Isabella", "Taylor", None),
    ],
)
def test_weak_links_do_not_match(entered: Candidate) -> None:
    assert not is_possible_match(entered, ISABELLA)


def test_soundex_agrees_with_the_standard_examples() -> None:
    # The US National Archives' examples, as PostgreSQL's fuzzystrmatch codes them: Ashcraft is
    # A226 there (h separates the s and the c), not the census rule's A261.
    assert [soundex(w) for w in ("Robert", "Rupert", "Rubin", "Ashcraft", "Tymczak", "Pfister")] == [
        "R163",
        "R163",
        "R150",
        "A226",
        "T522",
        "P236",
    ]


def test_names_match_by_familiar_form_part_and_ending() -> None:
    assert forenames_match("Bella", "Isabella")
    assert forenames_match("Tom", "Thomas")
    assert forenames_match("Ellie-May", "Eleanor")
    assert not forenames_match("Tom", "Samuel")
    assert surnames_match("Taylor-Smith", "Taylor")
    assert surnames_match("O'Brien", "OBrien")
    assert not surnames_match("Taylor", "Brown")


def test_birth_date_variants_include_the_transposed_date_only_when_it_is_one() -> None:
    assert date(2015, 4, 3) in birth_date_variants(date(2015, 3, 4))
    assert birth_date_variants(date(2015, 3, 25))[:1] == [date(2015, 3, 25)]
    assert len(birth_date_variants(date(2015, 3, 3))) == 3  # itself and a year either side
    assert date(2015, 2, 28) in birth_date_variants(date(2016, 2, 29))


# --- Recall on generated variants ------------------------------------------------------------------

FIRST_NAMES = {
    "Isabella": ["Bella", "Izzy", "Isabel"],
    "Elizabeth": ["Liz", "Beth", "Lizzie"],
    "Thomas": ["Tom", "Tommy"],
    "Samuel": ["Sam", "Sammy"],
    "Alexander": ["Alex", "Xander"],
    "Katherine": ["Kate", "Katie", "Cathy"],
    "William": ["Will", "Billy", "Liam"],
    "Charlotte": ["Charlie", "Lottie"],
    "Oliver": ["Ollie"],
    "Rebecca": ["Becky", "Becca"],
    "Jonathan": ["Jon", "Jonny"],
    "Abigail": ["Abby", "Abbie"],
}
LAST_NAMES = ["Taylor", "Holden", "Patel", "Okafor", "Nowak", "Hughes", "Kowalski", "Thomson", "Ahmed", "Fletcher"]
# One-letter slips that keep the sound: doubled or dropped letters, a vowel for a vowel.
SOUND_SLIPS = {
    "Taylor": "Tailor",
    "Holden": "Holdon",
    "Patel": "Pattel",
    "Okafor": "Okafur",
    "Nowak": "Novak",
    "Hughes": "Hewes",
    "Kowalski": "Kovalski",
    "Thomson": "Thompson",
    "Ahmed": "Ahmad",
    "Fletcher": "Flecher",
}


def _variant(rng: random.Random, forename: str, surname: str, dob: date) -> tuple[str, Candidate]:
    """One kind of slip an intake officer makes, or two together."""
    kind = rng.choice(["nickname", "hyphen", "transposed", "swapped", "sound", "nickname+hyphen", "year"])
    other = rng.choice([name for name in LAST_NAMES if name != surname])
    transposed = dob.replace(day=dob.month, month=dob.day)
    variants = {
        "nickname": Candidate(rng.choice(FIRST_NAMES[forename]), surname, dob),
        "hyphen": Candidate(forename, rng.choice([f"{surname}-{other}", f"{other}-{surname}"]), dob),
        "transposed": Candidate(forename, surname, transposed),
        "swapped": Candidate(surname, forename, dob),
        "sound": Candidate(forename, SOUND_SLIPS[surname], dob),
        "nickname+hyphen": Candidate(rng.choice(FIRST_NAMES[forename]), f"{surname}-{other}", transposed),
        "year": Candidate(forename, surname, dob.replace(year=dob.year + rng.choice([-1, 1]))),
    }
    return kind, variants[kind]


# At least 95% of the variants must be found: every kind of slip above is one the matcher is
# built to catch, so a lower figure means a rule stopped working, not bad luck. (Measured: 100%
# on 2,000 variants with seed 12; the margin allows a name list change to add a hard case.)
RECALL_THRESHOLD = 0.95


def test_recall_on_generated_variants_of_synthetic_names() -> None:
    rng = random.Random(12)
    found: dict[str, list[bool]] = {}
    for _ in range(2000):
        forename, surname = rng.choice(list(FIRST_NAMES)), rng.choice(LAST_NAMES)
        # Day 1-12 and not equal to the month, so that a transposed date exists.
        dob = date(2010, 1, 1) + timedelta(days=rng.randrange(0, 365 * 8))
        dob = dob.replace(day=rng.choice([d for d in range(1, 13) if d != dob.month]))
        kind, entered = _variant(rng, forename, surname, dob)
        found.setdefault(kind, []).append(is_possible_match(entered, Candidate(forename, surname, dob)))
    recall = sum(sum(hits) for hits in found.values()) / sum(len(hits) for hits in found.values())
    by_kind = {kind: sum(hits) / len(hits) for kind, hits in found.items()}
    assert recall >= RECALL_THRESHOLD, by_kind
    assert min(by_kind.values()) >= 0.9, by_kind


def test_unrelated_children_with_a_transposed_birthday_are_not_matched() -> None:
    rng = random.Random(7)
    false_matches = 0
    for _ in range(500):
        a, b = rng.sample(list(FIRST_NAMES), 2)
        x, y = rng.sample(LAST_NAMES, 2)
        dob = date(2014, rng.randint(1, 12), rng.randint(1, 12))
        if dob.day == dob.month:
            continue
        transposed = dob.replace(day=dob.month, month=dob.day)
        false_matches += is_possible_match(Candidate(a, x, dob), Candidate(b, y, transposed))
    assert false_matches == 0
