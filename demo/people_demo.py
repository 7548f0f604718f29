"""Demo families, professionals, letters and digests on the live demo requests (issue 13),
recorded through the services so the rows look as the service writes them: two parents on
most files, one young person over compulsory school age deciding for themselves, the school's
head teacher and SENCO, the health body and social care; decision letters and reg 4(2)/5(2)
notices as PDFs, sent through the local outbox (one father asked for post); and this
morning's digest for each officer. The letters are those the services send by themselves for
each recorded change (receipt, decisions, advice, draft and final plan); one file has nobody from
social care, so its "notification not sent" shows. All names are synthetic."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User

from demo.requests_demo import DEMO_PREFIX
from requests_app import contacts as people_rules
from requests_app import letters as letter_rules
from requests_app import timeline
from requests_app.models import AssessmentRequest, Contact
from requests_app.people_models import Letter, MessageState, OutboundMessage
from requests_app.services import contacts as contact_services
from requests_app.services import letters as letter_services
from requests_app.workflow import Status

DEMO_OFFICER = "officer"
FAMILIES = 24  # open demo requests given a family
LETTERED = 6  # of which, decided ones given their letters
_LETTERED_ACTIONS = (*letter_rules.AUTO_LETTERS, "request_advice")

_PARENT_NAMES = ["Alex", "Sam", "Jordan", "Morgan", "Robin", "Casey", "Jamie", "Taylor", "Charlie", "Drew"]
_LANGUAGES = [("English", False)] * 8 + [("Polish", True), ("Nepali", True)]


@dataclass(frozen=True)
class PeopleSummary:
    contacts: int = 0
    letters: int = 0
    digests: int = 0
    skipped: bool = False

    def message(self) -> str:
        if self.skipped:
            return "already there, or no demo officer to record them"
        return f"{self.contacts} contacts, {self.letters} letters, {self.digests} digests"


def _family(
    rng: random.Random, officer: User, request: AssessmentRequest, *, posted: bool, social_care: bool = True
) -> int:
    child = request.child
    surname = child.surname
    language, interpreter = rng.choice(_LANGUAGES)
    first = rng.choice(_PARENT_NAMES)
    slug = f"{first}.{surname}".lower()
    contact_services.contact_add(
        actor=officer,
        request=request,
        kind="parent",
        name=f"{first} {surname}",
        relationship="Mother",
        parental_responsibility=True,
        email=f"{slug}@example.invalid",
        phone="01632 960000",
        address=f"{rng.randint(1, 90)} Demo Lane\nMaidstone",
        postcode=child.postcode or "ME14 1XX",
        language=language,
        interpreter_needed=interpreter,
        preferred_contact="email",
    )
    made = 1
    if rng.random() < 0.7 or posted:
        second = rng.choice([n for n in _PARENT_NAMES if n != first])
        contact_services.contact_add(
            actor=officer,
            request=request,
            kind="parent",
            name=f"{second} {surname}",
            relationship="Father",
            parental_responsibility=True,
            address=f"{rng.randint(1, 90)} Sample Road\nAshford",
            postcode="TN23 1AA",
            preferred_contact="post" if posted else "phone",
            phone="01632 960001",
            accessible_format="large_print" if posted else "",
        )
        made += 1
    school = child.current_establishment.name if child.current_establishment else "Demo Nursery"
    for role, name, organisation in (
        ("head_teacher", "Head Teacher (demo)", school),
        ("senco", "SENCO (demo)", school),
        ("health", "Designated Clinical Officer (demo)", "Kent and Medway ICB (demo)"),
        ("social_care", "Children's Social Care SEN Lead (demo)", "Kent County Council Children's Services (demo)"),
        ("ep_service", "Duty Educational Psychologist (demo)", "Kent Educational Psychology Service (demo)"),
    ):
        if role == "head_teacher" and child.current_establishment is None:
            continue
        if role == "social_care" and not social_care:
            continue  # one file without social care: its reg 4(2) notice shows "not sent"
        contact_services.contact_add(
            actor=officer,
            request=request,
            kind="professional",
            name=name,
            professional_role=role,
            organisation=organisation,
            email=f"{role}@example.invalid",
            preferred_contact="email",
        )
        made += 1
    return made


def seed(rng: random.Random, *, today: date) -> PeopleSummary:
    officer = User.objects.filter(username=DEMO_OFFICER).first()
    demo = AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX).select_related(
        "child", "child__current_establishment"
    )
    if officer is None or Contact.objects.filter(child__requests__in=demo).exists():
        return PeopleSummary(skipped=True)
    contacts = 0
    chosen = list(demo.open().order_by("pk")[:FAMILIES])
    # Decided requests first, so the letters have decisions to report.
    decided = [r for r in chosen if r.status != Status.RECEIVED and r.request_outcome_on is not None]
    for index, request in enumerate(chosen):
        contacts += _family(rng, officer, request, posted=index == 0, social_care=index != 1)
    # One young person over compulsory school age, deciding for themselves (CFA 2014 s.80).
    for request in demo.open().order_by("pk")[FAMILIES:]:
        if people_rules.is_young_person(request.child.date_of_birth, today):
            contact_services.contact_add(
                actor=officer,
                request=request,
                kind="young_person",
                name=request.child.full_name,
                email=f"{request.child.forename.lower()}.yp@example.invalid",
                preferred_contact="email",
            )
            contacts += _family(rng, officer, request, posted=False)
            if request.request_outcome_on is not None:
                decided.insert(0, request)
            break
    letters = 0
    # The letters the services send by themselves (requests_app.letters.AUTO_LETTERS), for the
    # changes the demo recorded before the family was on file: the request received (s.36(4),
    # reg 4(2)), the decisions (reg 5), the advice requests (reg 6), the draft and final plan
    # (reg 13), each linked to its event and dated on its day, as the services do.
    for request in dict.fromkeys(chosen[:LETTERED] + decided[:LETTERED]):
        for event in request.events.filter(action__in=_LETTERED_ACTIONS).order_by("occurred_at", "pk"):
            payload = event.payload or {}
            dated_on = timeline.effective_date(event.action, payload, day_one=request.received_on) or today
            if event.action == "request_advice":
                made = letter_services.advice_letters_issue(
                    request=request,
                    event=event,
                    adviser_type=str(payload.get("adviser_type", "")),
                    actor=officer,
                    dated_on=dated_on,
                )
            else:
                made = letter_services.auto_letters_issue(
                    request=request, event=event, actor=officer, dated_on=dated_on
                )
            letters += len(made.letters)
    digests = letter_services.digests_build(day=today)
    # Render the letters and send what was queued through the local outbox, as the worker would.
    for letter_id in Letter.objects.preparing().values_list("pk", flat=True):
        letter_services.letter_render(letter_id=letter_id)
    for message_id in OutboundMessage.objects.filter(state=MessageState.QUEUED).values_list("pk", flat=True):
        letter_services.message_send(message_id=message_id)
    return PeopleSummary(contacts=contacts, letters=letters, digests=digests)
