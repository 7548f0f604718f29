"""Who decides and who is told; how a template is filled (pure rules, no database)."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from requests_app import contacts as people
from requests_app import letters
from requests_app.contacts import ContactFacts, ContactKind, DecisionMaker, ProfessionalRole

MUM = ContactFacts(1, ContactKind.PARENT, parental_responsibility=True)
DAD = ContactFacts(2, ContactKind.PARENT, parental_responsibility=True)
STEP = ContactFacts(3, ContactKind.PARENT, parental_responsibility=False)
YP = ContactFacts(4, ContactKind.YOUNG_PERSON)
HEAD = ContactFacts(5, ContactKind.PROFESSIONAL, professional_role=ProfessionalRole.HEAD_TEACHER)
SENCO = ContactFacts(6, ContactKind.PROFESSIONAL, professional_role=ProfessionalRole.SENCO)
DCO = ContactFacts(7, ContactKind.PROFESSIONAL, professional_role=ProfessionalRole.HEALTH)
SOCIAL = ContactFacts(8, ContactKind.PROFESSIONAL, professional_role=ProfessionalRole.SOCIAL_CARE)
EP = ContactFacts(9, ContactKind.PROFESSIONAL, professional_role=ProfessionalRole.EP_SERVICE)


@pytest.mark.parametrize(
    ("born", "leaving"),
    [
        (date(2010, 7, 15), date(2026, 6, 26)),  # turns 16 in the summer: leaves before the birthday
        (date(2010, 8, 31), date(2026, 6, 26)),
        (date(2010, 9, 1), date(2027, 6, 25)),  # a September birthday belongs to the next school year
        (date(2010, 12, 25), date(2027, 6, 25)),
    ],
)
def test_school_leaving_date_is_the_last_friday_of_june_of_the_school_year_they_turn_16(
    born: date, leaving: date
) -> None:
    assert people.school_leaving_date(born) == leaving
    assert leaving.weekday() == 4


def test_a_young_person_over_compulsory_school_age_decides_for_themselves() -> None:
    born = date(2008, 3, 1)
    assert people.decision_maker(born, date(2024, 6, 28)) == DecisionMaker.PARENT  # leaving day itself
    assert people.decision_maker(born, date(2024, 6, 29)) == DecisionMaker.YOUNG_PERSON
    got = people.letter_recipients(born, date(2025, 1, 6), [MUM, DAD, YP, HEAD])
    assert got.decision_maker == DecisionMaker.YOUNG_PERSON
    assert got.contact_ids == (4,)
    assert "s.80" in got.rule


def test_a_child_s_letters_go_to_every_parent_with_parental_responsibility_never_a_professional() -> None:
    got = people.letter_recipients(date(2016, 5, 1), date(2025, 1, 6), [MUM, DAD, STEP, HEAD, SENCO])
    assert got.decision_maker == DecisionMaker.PARENT
    assert got.contact_ids == (1, 2)
    assert got.problem == ""


def test_a_young_person_who_lacks_capacity_is_represented_by_their_parents() -> None:
    lacking = ContactFacts(4, ContactKind.YOUNG_PERSON, lacks_capacity=True)
    got = people.letter_recipients(date(2005, 3, 1), date(2025, 1, 6), [MUM, lacking])
    assert got.decision_maker == DecisionMaker.PARENT
    assert got.contact_ids == (1,)
    assert "reg 64" in got.rule


def test_nobody_suitable_on_file_is_reported_not_guessed() -> None:
    assert people.letter_recipients(date(2016, 5, 1), date(2025, 1, 6), [STEP, HEAD]).problem
    assert people.letter_recipients(date(2005, 5, 1), date(2025, 1, 6), [MUM]).problem


def test_reg_4_2_notifies_health_social_care_and_the_head_teacher_not_the_ep_service() -> None:
    assert people.reg_4_2_recipients([MUM, HEAD, SENCO, DCO, SOCIAL, EP]) == (5, 7, 8)
    # No head teacher recorded (an early years setting): the setting's SEN lead is told.
    assert people.reg_4_2_recipients([SENCO, DCO]) == (6, 7)


def test_filling_a_template_substitutes_known_placeholders_once_and_nothing_else() -> None:
    text = "Dear {addressee_name}, about {child_name}."
    filled = letters.fill(text, {"addressee_name": "{child_name}", "child_name": "<b>Sam</b>"})
    # A value is never re-read as a placeholder, and no markup is interpreted here.
    assert filled == "Dear {child_name}, about <b>Sam</b>."


@pytest.mark.parametrize(
    "text",
    ["{{ settings.SECRET_KEY }}", "{child_name.__class__}", "{% load os %}", "Hello {unknown}", "{ child_name }"],
)
def test_template_code_and_unknown_placeholders_are_refused(text: str) -> None:
    assert letters.template_errors(text)


def test_every_default_template_is_valid_and_cites_its_regulation() -> None:
    for kind, template in letters.DEFAULT_TEMPLATES.items():
        assert letters.template_errors(template.subject + template.body) == []
        # A regulation of the SEND Regulations 2014, or a section of the Children and Families Act.
        assert letters.REGULATION[kind].startswith(("reg ", "s.")), kind
    assert set(letters.DEFAULT_TEMPLATES) == set(letters.LetterKind)


def test_the_rules_modules_do_not_touch_the_database() -> None:
    for module in (people, letters):
        with open(module.__file__ or "") as handle:
            source = handle.read()
        assert "django" not in source
    assert "requests_app.contacts" in sys.modules
