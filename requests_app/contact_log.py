"""The case notes and contact log of a request: what an entry is and the rules it keeps.

Pure Python (no Django import). An officer logs each phone call, meeting, email or letter with
the family and the professionals around the child (and plain case notes), with the day it
happened, who with, which way it went and a summary, so the statutory record lives in the
portal and not in a mailbox (docs/domain.md §10). Models build their choices from these enums;
the service (``requests_app.services.notes``) validates with :func:`entry_errors`.
"""

from __future__ import annotations

import enum
from datetime import date

__all__ = [
    "DIRECTION_LABELS",
    "KIND_LABELS",
    "PARTY_LABELS",
    "SUMMARY_MAX",
    "WITH_WHOM_MAX",
    "Direction",
    "Kind",
    "Party",
    "entry_errors",
]

# Long enough for a meeting's notes, short enough to read on the timeline; the database
# holds the same limits (varchar).
SUMMARY_MAX = 5000
WITH_WHOM_MAX = 200


class Kind(enum.StrEnum):
    PHONE_CALL = "phone_call"
    MEETING = "meeting"
    EMAIL = "email"
    LETTER = "letter"
    NOTE = "note"  # a case note: no contact with anybody


KIND_LABELS: dict[Kind, str] = {
    Kind.PHONE_CALL: "Phone call",
    Kind.MEETING: "Meeting",
    Kind.EMAIL: "Email",
    Kind.LETTER: "Letter",
    Kind.NOTE: "Case note",
}


class Party(enum.StrEnum):
    """Who the contact was with, as a kind (the name is free text beside it)."""

    PARENT = "parent"
    YOUNG_PERSON = "young_person"
    SCHOOL = "school"
    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    EP = "ep"
    OTHER = "other"


PARTY_LABELS: dict[Party, str] = {
    Party.PARENT: "Parent or carer",
    Party.YOUNG_PERSON: "Young person",
    Party.SCHOOL: "School or setting",
    Party.HEALTH: "Health",
    Party.SOCIAL_CARE: "Social care",
    Party.EP: "Educational psychology service",
    Party.OTHER: "Other",
}


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


DIRECTION_LABELS: dict[Direction, str] = {
    Direction.IN: "Incoming (they contacted us)",
    Direction.OUT: "Outgoing (we contacted them)",
}


def entry_errors(
    *,
    kind: str,
    happened_on: date | None,
    with_whom: str,
    party: str,
    direction: str,
    summary: str,
    today: date,
) -> dict[str, list[str]]:
    """What is wrong with an entry, field -> messages (UK English, naming the field).

    A contact (anything but a case note) names who it was with, the kind of party and which
    way it went; a case note has none of these. Every entry has a day, not in the future, and
    a summary within :data:`SUMMARY_MAX` characters."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in Kind.__members__.values():
        add("kind", "Select the kind of contact")
    if happened_on is None:
        add("happened_on", "Enter the date it happened")
    elif happened_on > today:
        add("happened_on", "The date it happened must be today or in the past")
    text = summary.strip()
    if not text:
        add("summary", "Enter a summary")
    elif len(text) > SUMMARY_MAX:
        add("summary", f"The summary must be {SUMMARY_MAX:,} characters or fewer")
    if len(with_whom.strip()) > WITH_WHOM_MAX:
        add("with_whom", f"Who it was with must be {WITH_WHOM_MAX} characters or fewer")
    if kind == Kind.NOTE:
        if party or direction or with_whom.strip():
            add("kind", "A case note records no contact: leave who it was with and the direction empty")
    elif kind in Kind.__members__.values():
        if not with_whom.strip():
            add("with_whom", "Enter who the contact was with")
        if party not in Party.__members__.values():
            add("party", "Select who the contact was with")
        if direction not in Direction.__members__.values():
            add("direction", "Select whether the contact was incoming or outgoing")
    return errors
