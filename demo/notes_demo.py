"""Demo contact logs on the live demo requests and one corrected record, recorded through the
services (with ``today`` given, nothing patched): calls, emails and meetings with parents,
schools, health and the EP service, a case note, and a child whose date of birth was entered
wrongly and put right with a reason. All names are synthetic."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User

from demo.requests_demo import DEMO_PREFIX
from requests_app.models import AssessmentRequest, CaseNote, RequestEvent
from requests_app.services.corrections import child_correct
from requests_app.services.notes import case_note_add
from requests_app.workflow import EventAction

DEMO_OFFICER = "officer"
DEMO_EVALUATOR = "evaluator"

# (kind, with whom, party, direction, summary)
_ENTRIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("phone_call", "Parent (mother)", "parent", "in", "Asked when the decision is due. Explained the 6 weeks."),
    ("email", "SENCO, current school", "school", "out", "Asked for the SEN support plan and two review notes."),
    ("email", "SENCO, current school", "school", "in", "SEN support plan and provision map received and filed."),
    ("meeting", "Parents and class teacher", "parent", "out", "Met at school to hear the family's views."),
    ("phone_call", "Health visitor", "health", "in", "The paediatric appointment is booked for next month."),
    ("phone_call", "Duty educational psychologist", "ep", "out", "EP visit booked for the week after half term."),
    ("letter", "Children's social care", "social_care", "in", "The child is known to the early help team."),
    ("note", "", "", "", "File reviewed before the decision meeting: evidence complete."),
)


@dataclass(frozen=True)
class NotesSummary:
    notes: int = 0
    corrections: int = 0
    skipped: bool = False

    def message(self) -> str:
        if self.skipped:
            return "already there, or no demo officer to record them"
        return f"{self.notes} contacts and notes, {self.corrections} corrected record"


def seed(rng: random.Random, *, today: date) -> NotesSummary:
    officer = User.objects.filter(username=DEMO_OFFICER).first()
    evaluator = User.objects.filter(username=DEMO_EVALUATOR).first()
    demo = AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX)
    if officer is None or CaseNote.objects.filter(request__in=demo).exists():
        return NotesSummary(skipped=True)
    live = list(demo.open().order_by("received_on", "pk")[:12])
    notes = 0
    for request in live:
        span = max((today - request.received_on).days, 1)
        for kind, with_whom, party, direction, summary in rng.sample(_ENTRIES, k=rng.randint(2, 4)):
            actor = evaluator if evaluator is not None and party == "school" else officer
            case_note_add(
                actor=actor,
                request=request,
                kind=kind,
                happened_on=request.received_on + timedelta(days=rng.randint(0, span)),
                with_whom=with_whom,
                party=party,
                direction=direction,
                summary=summary,
                today=today,
            )
            notes += 1
    corrected = _correct_one(officer, live, today=today)
    return NotesSummary(notes=notes, corrections=corrected)


def _correct_one(officer: User, live: list[AssessmentRequest], *, today: date) -> int:
    """A date of birth entered with day and month swapped, corrected from the birth certificate."""
    for request in live:
        child = request.child
        dob = child.date_of_birth
        if dob.day > 12 or dob.day == dob.month:
            continue  # swapping would not make a real date, or would change nothing
        if RequestEvent.objects.filter(request__child=child, action=EventAction.CORRECTED).exists():
            return 0
        child_correct(
            actor=officer,
            child=child,
            fact="date_of_birth",
            value=dob.replace(day=dob.month, month=dob.day),
            reason="Day and month were swapped when the request was logged; birth certificate seen at the meeting",
            today=today,
        )
        return 1
    return 0
