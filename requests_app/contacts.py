"""Who decides and who is told: pure rules about the people around a child's case.

No database. The services pass in plain facts (``ContactFacts``) and get back ids and the
rule applied, with its citation, so a letter's addressees can be explained on the page.

The law (docs/domain.md, "The family, the young person and the professionals"):

- A *child* is under compulsory school age's end; a *young person* is over compulsory school
  age and under 25 (Children and Families Act 2014 s.83(2)). Compulsory school age ends on the
  school leaving date: the last Friday in June of the school year (1 September to 31 August) in
  which the child turns 16 (Education Act 1996 s.8; the Education (School Leaving Date) Order
  1997).
- Under Part 3 of the Act a decision about a child is the parent's; from the end of compulsory
  school age the young person takes it in their own right (s.80 and Part 3 generally), and the
  council's notices go to them, not to their parents.
- Where a young person lacks the mental capacity to take a decision, a representative takes it
  for them: their deputy or attorney, or otherwise their parent (CFA 2014 s.80 and the SEND
  Regulations 2014 reg 64). We model that as "letters go to the parents with parental
  responsibility".
- While a request is considered, the council notifies the health body, its children's social
  care and the head teacher or principal of the school or post-16 institution (or, in early
  years, the setting's SEN lead) (SEND Regulations 2014 reg 4(2)); those bodies are told the
  decision whether to assess (reg 5(2)) and the decision not to issue a plan (reg 10(1)).
- The finalised plan goes to the family, to the governing body, proprietor or principal of the
  school or institution *named in the plan*, and to the responsible commissioning body (the
  health body) (reg 13(2)). The named setting is often not the child's current school, so a
  head teacher on file counts for it only if they are recorded at that setting
  (``named_setting_recipients``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "ContactKind",
    "ContactFacts",
    "DecisionMaker",
    "ProfessionalRole",
    "Recipients",
    "addressees",
    "at_named_setting",
    "decision_maker",
    "letter_recipients",
    "named_setting_recipients",
    "NamedSetting",
    "reg_4_2_recipients",
    "school_leaving_date",
]


class ContactKind(enum.StrEnum):
    PARENT = "parent"  # a parent or carer (CFA 2014 s.83 uses Education Act 1996 s.576's "parent")
    YOUNG_PERSON = "young_person"  # the child or young person themselves
    PROFESSIONAL = "professional"


class ProfessionalRole(enum.StrEnum):
    SENCO = "senco"
    HEAD_TEACHER = "head_teacher"
    HEALTH = "health"  # the ICB's designated clinical (or medical) officer
    SOCIAL_CARE = "social_care"
    EP_SERVICE = "ep_service"
    OTHER = "other"


PROFESSIONAL_ROLE_LABELS: dict[ProfessionalRole, str] = {
    ProfessionalRole.SENCO: "SENCO",
    ProfessionalRole.HEAD_TEACHER: "Head teacher or principal",
    ProfessionalRole.HEALTH: "Health (designated clinical officer)",
    ProfessionalRole.SOCIAL_CARE: "Children's social care",
    ProfessionalRole.EP_SERVICE: "Educational psychology service",
    ProfessionalRole.OTHER: "Other professional",
}

CONTACT_KIND_LABELS: dict[ContactKind, str] = {
    ContactKind.PARENT: "Parent or carer",
    ContactKind.YOUNG_PERSON: "Young person",
    ContactKind.PROFESSIONAL: "Professional",
}


class DecisionMaker(enum.StrEnum):
    PARENT = "parent"
    YOUNG_PERSON = "young_person"


@dataclass(frozen=True)
class ContactFacts:
    """What the rules need to know about one contact on a child's record."""

    id: int
    kind: ContactKind
    parental_responsibility: bool = False
    lacks_capacity: bool = False
    professional_role: ProfessionalRole | None = None
    # The school or setting a head teacher or SENCO is recorded at (an establishment id), and the
    # organisation as typed; both empty for older contacts and for everybody else.
    establishment_id: int | None = None
    organisation: str = ""


@dataclass(frozen=True)
class NamedSetting:
    """The setting named in a final plan, and the child's current one (ids), for reg 13(2)."""

    establishment_id: int
    name: str
    current_establishment_id: int | None = None


@dataclass(frozen=True)
class Recipients:
    decision_maker: DecisionMaker
    contact_ids: tuple[int, ...]
    rule: str  # the rule applied, with its citation, shown beside the letter
    problem: str = ""  # set when nobody suitable is recorded (the officer must add someone)


def _last_friday_of_june(year: int) -> date:
    day = date(year, 6, 30)
    return day - timedelta(days=(day.weekday() - 4) % 7)


def school_leaving_date(date_of_birth: date) -> date:
    """The day compulsory school age ends (Education Act 1996 s.8; School Leaving Date Order
    1997): the last Friday in June of the school year in which the child turns 16."""
    sixteenth_year = date_of_birth.year + 16
    # A birthday from 1 September falls in the school year that ends the next summer.
    june_year = sixteenth_year + 1 if date_of_birth.month >= 9 else sixteenth_year
    return _last_friday_of_june(june_year)


def is_young_person(date_of_birth: date, on: date) -> bool:
    """Over compulsory school age on ``on`` (CFA 2014 s.83(2))."""
    return on > school_leaving_date(date_of_birth)


def decision_maker(date_of_birth: date, on: date, *, young_person_lacks_capacity: bool = False) -> DecisionMaker:
    """Whose decision it is under Part 3 (CFA 2014 s.80; SEND Regulations 2014 reg 64)."""
    if is_young_person(date_of_birth, on) and not young_person_lacks_capacity:
        return DecisionMaker.YOUNG_PERSON
    return DecisionMaker.PARENT


def letter_recipients(date_of_birth: date, on: date, contacts: list[ContactFacts]) -> Recipients:
    """Who a notice to "the parent or young person" (regs 5(1), 10(1), 13) is addressed to.

    A child: every parent or carer with parental responsibility. A young person: the young
    person; if they lack capacity for the decision, their parents with parental responsibility
    act for them (reg 64). Never the requester as such, and never a professional."""
    young = [c for c in contacts if c.kind == ContactKind.YOUNG_PERSON]
    lacks_capacity = any(c.lacks_capacity for c in young)
    maker = decision_maker(date_of_birth, on, young_person_lacks_capacity=lacks_capacity)
    parents = tuple(c.id for c in contacts if c.kind == ContactKind.PARENT and c.parental_responsibility)
    if maker == DecisionMaker.YOUNG_PERSON:
        ids = tuple(c.id for c in young)
        rule = "Young person over compulsory school age: they take the decision (CFA 2014 s.80 and s.83(2))"
        problem = "" if ids else "Add the young person as a contact: the letter goes to them"
        return Recipients(maker, ids, rule, problem)
    if is_young_person(date_of_birth, on):
        rule = "Young person lacks capacity for this decision: their parents act for them (SEND Regulations reg 64)"
    else:
        rule = "Child: the parents with parental responsibility are told (CFA 2014 Part 3; SEND Regulations reg 5(1))"
    problem = "" if parents else "Add a parent or carer with parental responsibility: the letter goes to them"
    return Recipients(maker, parents, rule, problem)


# reg 4(2): the health body, social care, and the head teacher or principal; the setting's SEN
# lead (a SENCO) stands in only where no head teacher is recorded (early years settings).
_REG_4_2_ROLES = (ProfessionalRole.HEALTH, ProfessionalRole.SOCIAL_CARE, ProfessionalRole.HEAD_TEACHER)


def reg_4_2_recipients(contacts: list[ContactFacts]) -> tuple[int, ...]:
    """The professionals to notify under reg 4(2) (and so to tell the decision, reg 5(2))."""
    professionals = [c for c in contacts if c.kind == ContactKind.PROFESSIONAL]
    chosen = [c.id for c in professionals if c.professional_role in _REG_4_2_ROLES]
    if not any(c.professional_role == ProfessionalRole.HEAD_TEACHER for c in professionals):
        chosen += [c.id for c in professionals if c.professional_role == ProfessionalRole.SENCO]
    return tuple(sorted(chosen))


_SCHOOL_ROLES = (ProfessionalRole.HEAD_TEACHER, ProfessionalRole.SENCO)


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def at_named_setting(contact: ContactFacts, setting: NamedSetting) -> bool:
    """Whether a head teacher or SENCO on file works at the setting named in the plan: recorded
    at it; or, recorded at no setting, either under the setting's exact name (case and spacing
    aside) or, when the named setting is the child's current one, as the current school's
    (as reg 4(2) presumes for them). A contact recorded at another setting never counts."""
    if contact.kind != ContactKind.PROFESSIONAL or contact.professional_role not in _SCHOOL_ROLES:
        return False
    if contact.establishment_id is not None:
        return contact.establishment_id == setting.establishment_id
    if setting.current_establishment_id == setting.establishment_id:
        return True
    return bool(contact.organisation) and _same_name(contact.organisation, setting.name)


def named_setting_recipients(contacts: list[ContactFacts], setting: NamedSetting) -> tuple[int, ...]:
    """Who receives the final plan for the setting named in it (reg 13(2)(b)): its head teacher
    or principal, or its SENCO where no head teacher is recorded for it (an early years
    setting's SEN lead)."""
    there = [c for c in contacts if at_named_setting(c, setting)]
    heads = tuple(sorted(c.id for c in there if c.professional_role == ProfessionalRole.HEAD_TEACHER))
    return heads or tuple(sorted(c.id for c in there if c.professional_role == ProfessionalRole.SENCO))


def addressees(
    date_of_birth: date, on: date, contacts: list[ContactFacts], *, named_setting: NamedSetting | None = None
) -> dict[str, tuple[int, ...]]:
    """The contacts each addressee of an automatic letter means (``letters.Addressee`` values):
    the family as ``letter_recipients`` decides; the school's head teacher, or its SENCO where
    no head teacher is recorded (an early years setting's SEN lead); the health body; social
    care; the educational psychology service; the setting named in the final plan
    (``named_setting_recipients``; nobody when the plan names no setting). An addressee with
    nobody recorded maps to ()."""
    professionals = [c for c in contacts if c.kind == ContactKind.PROFESSIONAL]

    def role(wanted: ProfessionalRole) -> tuple[int, ...]:
        return tuple(sorted(c.id for c in professionals if c.professional_role == wanted))

    return {
        "family": letter_recipients(date_of_birth, on, contacts).contact_ids,
        "school": role(ProfessionalRole.HEAD_TEACHER) or role(ProfessionalRole.SENCO),
        "health": role(ProfessionalRole.HEALTH),
        "social_care": role(ProfessionalRole.SOCIAL_CARE),
        "ep_service": role(ProfessionalRole.EP_SERVICE),
        "named_setting": named_setting_recipients(contacts, named_setting) if named_setting else (),
    }
