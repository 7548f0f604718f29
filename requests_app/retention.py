"""The retention schedule's rules: pure, no database (issue 14; docs/retention.md).

``settings.RETENTION_SCHEDULE`` maps a record class to its rule: the date it counts from (its
*basis*), how many years it is kept, and what happens then. The defaults follow the IRMS
Information Management Toolkit for Schools for SEN files (date of birth + 31 years: an EHC plan
can run to the young person's 25th birthday, and the Limitation Act 1980 allows six years after
that for a claim), a council decision to confirm (docs/retention.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

BASES = frozenset({"date_of_birth", "written"})
ACTIONS = frozenset({"anonymise", "delete"})
RECORD_CLASSES = ("sen_case_file", "access_log")  # every class the schedule must cover


@dataclass(frozen=True)
class Rule:
    record_class: str
    basis: str
    years: int
    action: str

    def due_on(self, basis_date: date) -> date:
        """The first day the record is past its retention: the basis date's anniversary
        ``years`` later (29 February counts from 28 February in a common year)."""
        try:
            return basis_date.replace(year=basis_date.year + self.years)
        except ValueError:
            return basis_date.replace(year=basis_date.year + self.years, day=28)

    def is_due(self, basis_date: date, today: date) -> bool:
        return today >= self.due_on(basis_date)

    def cutoff(self, now: datetime) -> datetime:
        """Rows written before this moment are past retention (``written`` basis)."""
        try:
            return now.replace(year=now.year - self.years)
        except ValueError:
            return (now - timedelta(days=1)).replace(year=now.year - self.years)


# What free text that had to stay non-empty (a reason a database rule requires) reads once
# the retention schedule has anonymised the record.
REMOVED = "Removed under the retention schedule"


class ScheduleError(ValueError):
    pass


def schedule(raw: dict[str, dict[str, Any]]) -> dict[str, Rule]:
    """The schedule from settings, checked: every record class has a rule, every rule a known
    basis and action and a period of at least one year. The job refuses to run otherwise."""
    missing = [name for name in RECORD_CLASSES if name not in raw]
    if missing:
        raise ScheduleError(f"RETENTION_SCHEDULE has no rule for {', '.join(missing)}")
    rules: dict[str, Rule] = {}
    for name, spec in raw.items():
        rule = Rule(name, str(spec.get("basis")), int(spec.get("years", 0)), str(spec.get("action")))
        if rule.basis not in BASES:
            raise ScheduleError(f"RETENTION_SCHEDULE[{name!r}]: basis must be one of {sorted(BASES)}")
        if rule.action not in ACTIONS:
            raise ScheduleError(f"RETENTION_SCHEDULE[{name!r}]: action must be one of {sorted(ACTIONS)}")
        if rule.years < 1:
            raise ScheduleError(f"RETENTION_SCHEDULE[{name!r}]: keep records for at least one year")
        rules[name] = rule
    return rules
