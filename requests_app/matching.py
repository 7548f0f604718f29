"""Is the child being entered one already recorded? Fuzzy name and date-of-birth matching.

Pure Python (no Django import), so the rules are tested without a database and behave the same
on PostgreSQL and SQLite. The database narrows the candidates (same UPN, or a date of birth
from :func:`birth_date_variants`, both indexed); this module decides which of them may be the
same child. Missing a duplicate costs more than showing one too many (two records for one
child split the history a tribunal reads), so the rules lean towards a match and an officer
confirms "this is a different child" with a reason.

What an intake officer types that still matches (tests/requests_app/test_duplicates.py
measures the recall on generated variants):

- a shortened or familiar first name: "Bella", "Izzy" for Isabella; "Tom" for Thomas;
- a hyphenated or double surname, or one part of it: "Taylor-Smith" for Taylor;
- first and last names the wrong way round;
- a misspelling that sounds the same (Soundex): "Thompson" for Thomson, "Katie" for Caitie;
- day and month of birth transposed (3 April for 4 March), or a year out by one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

__all__ = [
    "NICKNAMES",
    "Candidate",
    "birth_date_variants",
    "forenames_match",
    "is_possible_match",
    "name_parts",
    "normalise",
    "soundex",
    "surnames_match",
]

# Familiar forms of common first names, by the full name (UK usage). Every form on a line is
# taken to be the same name as every other form on it.
_NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("isabella", "isabel", "isabelle", "bella", "izzy", "issy", "izzie", "belle"),
    ("elizabeth", "eliza", "liz", "lizzie", "lizzy", "beth", "betty", "libby", "ellie", "elsie"),
    ("eleanor", "ellie", "nell", "nora", "elle"),
    ("alexander", "alex", "alec", "sandy", "xander", "lex"),
    ("alexandra", "alex", "lexi", "lexie", "sasha", "sandra"),
    ("thomas", "tom", "tommy"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam", "sammie", "sammy"),
    ("william", "will", "bill", "billy", "liam", "willy"),
    ("james", "jim", "jimmy", "jamie"),
    ("joseph", "joe", "joey"),
    ("jonathan", "jon", "jonny", "johnny"),
    ("john", "jack", "johnny"),
    ("benjamin", "ben", "benny"),
    ("charles", "charlie", "chas"),
    ("charlotte", "charlie", "lottie", "lotte"),
    ("daniel", "dan", "danny"),
    ("edward", "ed", "eddie", "ted", "teddy", "ned"),
    ("frederick", "fred", "freddie", "freddy"),
    ("harrison", "harry"),
    ("henry", "harry", "hal"),
    ("jacob", "jake"),
    ("joshua", "josh"),
    ("matthew", "matt", "matty"),
    ("michael", "mike", "mikey", "mick"),
    ("nicholas", "nick", "nicky"),
    ("oliver", "ollie", "olly"),
    ("olivia", "liv", "livvy", "livia"),
    ("robert", "rob", "robbie", "bob", "bobby", "bert"),
    ("richard", "rich", "richie", "dick"),
    ("anthony", "tony", "ant"),
    ("christopher", "chris", "kit"),
    ("christina", "chris", "tina", "christine"),
    ("katherine", "catherine", "kathryn", "kate", "katie", "kat", "cat", "cathy", "kitty", "caitlin"),
    ("margaret", "maggie", "meg", "peggy", "daisy"),
    ("rebecca", "becky", "becca", "bex"),
    ("victoria", "vicky", "tori", "vic"),
    ("jessica", "jess", "jessie"),
    ("abigail", "abby", "abbie", "gail"),
    ("amelia", "millie", "mia", "amy"),
    ("emily", "em", "emmy", "milly"),
    ("emma", "em", "emmy"),
    ("gabriel", "gabe"),
    ("gabriella", "gabby", "ella"),
    ("georgina", "georgie", "gina"),
    ("george", "georgie"),
    ("hannah", "hanna", "annie"),
    ("florence", "flo", "florrie", "flossie"),
    ("penelope", "penny", "poppy"),
    ("theodore", "theo", "ted", "teddy"),
    ("zachary", "zach", "zack", "zac"),
    ("nathaniel", "nathan", "nat", "nate"),
    ("patrick", "pat", "paddy"),
    ("stephen", "steven", "steve", "stevie"),
    ("susan", "sue", "susie"),
    ("sophia", "sophie", "soph"),
    ("lucy", "lucie", "lu"),
    ("louise", "lou", "louisa", "lulu"),
    ("mohammed", "muhammad", "mohammad", "mohamed", "mo"),
)


def _nickname_index(groups: Iterable[tuple[str, ...]]) -> dict[str, frozenset[int]]:
    index: dict[str, set[int]] = {}
    for number, group in enumerate(groups):
        for name in group:
            index.setdefault(name, set()).add(number)
    return {name: frozenset(numbers) for name, numbers in index.items()}


# name -> the numbers of the groups it belongs to ("ellie" is both Elizabeth and Eleanor).
NICKNAMES: dict[str, frozenset[int]] = _nickname_index(_NICKNAME_GROUPS)

# A name shorter than this is compared whole: "Al" is the start of too many names to be a clue.
_MIN_PREFIX = 3


def normalise(text: str) -> str:
    """Lower case, accents removed, letters, spaces and hyphens only ("O'Brien" -> "obrien")."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    kept = "".join(ch if ch.isalpha() or ch in " -" else "" for ch in letters.lower())
    return " ".join(kept.split())


def name_parts(text: str) -> list[str]:
    """The words of a name, hyphenated parts apart: "Taylor-Smith" -> ["taylor", "smith"]."""
    return [part for part in normalise(text).replace("-", " ").split() if part]


_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def soundex(word: str) -> str:
    """Soundex as PostgreSQL's fuzzystrmatch computes it: the first letter and three digits for
    the consonant sounds that follow ("Robert" and "Rupert" -> R163). Like fuzzystrmatch, and
    unlike the US census rule, h and w separate letters as vowels do ("Ashcraft" -> A226), so a
    name codes the same here and in the database (tested on PostgreSQL)."""
    letters = [ch for ch in normalise(word) if ch.isalpha() and ch.isascii()]
    if not letters:
        return ""
    first = letters[0]
    digits: list[str] = []
    previous = _SOUNDEX_CODES.get(first, "")
    for ch in letters[1:]:
        code = _SOUNDEX_CODES.get(ch, "")
        if code and code != previous:
            digits.append(code)
        previous = code
    return (first.upper() + "".join(digits) + "000")[:4]


def _same_word(a: str, b: str) -> bool:
    """Two words that may be one name: equal, one the start of the other (3+ letters), or
    sounding the same with the same first letter."""
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= _MIN_PREFIX and longer.startswith(shorter):
        return True
    return len(shorter) >= _MIN_PREFIX and soundex(a) == soundex(b)


def forenames_match(a: str, b: str) -> bool:
    """First names that may belong to one child: any word of one matches any word of the other,
    directly, as a familiar form of the same name, or as its ending ("Bella" in "Isabella")."""
    for x in name_parts(a):
        for y in name_parts(b):
            if _same_word(x, y) or NICKNAMES.get(x, frozenset()) & NICKNAMES.get(y, frozenset()):
                return True
            shorter, longer = sorted((x, y), key=len)
            if len(shorter) >= 4 and longer.endswith(shorter):
                return True
    return False


def surnames_match(a: str, b: str) -> bool:
    """Last names that may belong to one child: any part of one (hyphenated or double-barrelled)
    matches any part of the other."""
    return any(_same_word(x, y) for x in name_parts(a) for y in name_parts(b))


def birth_date_variants(dob: date) -> list[date]:
    """The dates of birth to look up for ``dob``: itself, day and month transposed when that is a
    date, and the same day a year either side (a year typed wrongly)."""
    variants = [dob]
    if dob.day <= 12 and dob.day != dob.month:
        # The new day is the old month (1 to 12), a day every month has.
        variants.append(dob.replace(month=dob.day, day=dob.month))
    for years in (-1, 1):
        try:
            variants.append(dob.replace(year=dob.year + years))
        except ValueError:  # 29 February
            variants.append(dob.replace(year=dob.year + years, day=28))
    return variants


@dataclass(frozen=True)
class Candidate:
    forename: str
    surname: str
    date_of_birth: date | None


def is_possible_match(entered: Candidate, recorded: Candidate) -> bool:
    """May ``recorded`` be the child ``entered``?

    - Same date of birth: the first names or the last names match (as before: a twin or a
      sibling entered by mistake is worth a second look too).
    - Day and month transposed: both names match, either way round.
    - The same day a year out: both names match, the first name exactly (a wrong year and a
      familiar name together are too weak a link).
    """
    if entered.date_of_birth is None or recorded.date_of_birth is None:
        return False
    entered_dob, recorded_dob = entered.date_of_birth, recorded.date_of_birth
    if recorded_dob not in birth_date_variants(entered_dob):
        return False
    straight_first = forenames_match(entered.forename, recorded.forename)
    straight_last = surnames_match(entered.surname, recorded.surname)
    swapped = surnames_match(entered.forename, recorded.surname) and forenames_match(entered.surname, recorded.forename)
    if recorded_dob == entered_dob:
        return straight_first or straight_last or swapped
    if recorded_dob.year == entered_dob.year:  # transposed day and month
        return (straight_first and straight_last) or swapped
    return normalise(entered.forename) == normalise(recorded.forename) and straight_last
