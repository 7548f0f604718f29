"""The automatic letters' rules (requests_app.letters, requests_app.contacts) and the timeline's
wording for them and for documents: pure Python, no database."""

from __future__ import annotations

from datetime import date

from requests_app import contacts as people
from requests_app import letters as rules
from requests_app import timeline
from requests_app.contacts import ContactFacts, ContactKind, ProfessionalRole

CHILD_BORN = date(2016, 3, 1)
ON = date(2026, 11, 2)


def _pro(pk: int, role: ProfessionalRole) -> ContactFacts:
    return ContactFacts(id=pk, kind=ContactKind.PROFESSIONAL, professional_role=role)


def test_receipt_tells_the_family_and_the_three_bodies_of_reg_4_2() -> None:
    sent = rules.AUTO_LETTERS["created"]
    assert (rules.LetterKind.REQUEST_RECEIVED, rules.Addressee.FAMILY) in sent
    assert {a for k, a in sent if k == rules.LetterKind.REG_4_2_NOTIFICATION} == {
        rules.Addressee.SCHOOL,
        rules.Addressee.HEALTH,
        rules.Addressee.SOCIAL_CARE,
    }


def test_each_decision_and_plan_sends_its_letter_to_the_family() -> None:
    expected = {
        "decide_to_assess": rules.LetterKind.DECISION_TO_ASSESS,
        "decide_not_to_assess": rules.LetterKind.DECISION_NOT_TO_ASSESS,
        "decide_not_to_issue": rules.LetterKind.DECISION_NOT_TO_ISSUE,
        "issue_draft": rules.LetterKind.DRAFT_PLAN_COVER,
        "issue_final": rules.LetterKind.FINAL_PLAN_COVER,
    }
    for action, kind in expected.items():
        assert (kind, rules.Addressee.FAMILY) in rules.AUTO_LETTERS[action], action
    # reg 5(2): both outcomes of the decision whether to assess go to those told under reg 4(2).
    for action in ("decide_to_assess", "decide_not_to_assess"):
        told = {a for k, a in rules.AUTO_LETTERS[action] if k == rules.LetterKind.REG_5_2_DECISION_NOTICE}
        assert told == {rules.Addressee.SCHOOL, rules.Addressee.HEALTH, rules.Addressee.SOCIAL_CARE}
    # A decision to issue sends nothing by itself: the draft's cover letter does.
    assert "decide_to_issue" not in rules.AUTO_LETTERS


def test_refusal_letters_carry_the_appeal_and_mediation_rights() -> None:
    for kind in (rules.LetterKind.DECISION_NOT_TO_ASSESS, rules.LetterKind.DECISION_NOT_TO_ISSUE):
        body = rules.DEFAULT_TEMPLATES[kind].body
        assert "appeal" in body and "mediation adviser within 2 months" in body and "Information, Advice" in body


def test_the_advice_letter_goes_to_the_adviser_the_type_names() -> None:
    assert rules.advice_addressee("educational_psychology") == rules.Addressee.EP_SERVICE
    assert rules.advice_addressee("health") == rules.Addressee.HEALTH
    assert rules.advice_addressee("education_setting") == rules.Addressee.SCHOOL
    assert rules.advice_addressee("parent_or_young_person") == rules.Addressee.FAMILY
    assert rules.advice_addressee("preparing_for_adulthood") is None


def test_addressees_school_is_the_head_and_the_senco_only_stands_in() -> None:
    mum = ContactFacts(id=1, kind=ContactKind.PARENT, parental_responsibility=True)
    contacts = [
        mum,
        _pro(2, ProfessionalRole.HEAD_TEACHER),
        _pro(3, ProfessionalRole.SENCO),
        _pro(4, ProfessionalRole.HEALTH),
    ]
    found = people.addressees(CHILD_BORN, ON, contacts)
    assert found["family"] == (1,) and found["school"] == (2,) and found["health"] == (4,)
    assert found["social_care"] == () and found["ep_service"] == ()
    early_years = people.addressees(CHILD_BORN, ON, [mum, _pro(3, ProfessionalRole.SENCO)])
    assert early_years["school"] == (3,)


def test_a_young_person_is_the_family_addressee() -> None:
    young = ContactFacts(id=9, kind=ContactKind.YOUNG_PERSON)
    mum = ContactFacts(id=1, kind=ContactKind.PARENT, parental_responsibility=True)
    assert people.addressees(date(2008, 1, 10), ON, [young, mum])["family"] == (9,)


def test_a_gap_names_the_letter_and_who_had_nobody() -> None:
    message = rules.gap_message("reg_4_2_notification", "social_care")
    assert (
        message
        == "Notification that a request is being considered not sent to children's social care: no contact recorded"
    )


def test_the_templates_use_only_known_placeholders() -> None:
    for template in rules.DEFAULT_TEMPLATES.values():
        assert rules.template_errors(template.subject) == [] and rules.template_errors(template.body) == []


def test_the_timeline_names_the_type_of_document() -> None:
    labels = {"doc_type": {"ep_advice": "Educational psychology advice"}}
    entry = timeline.present("document_uploaded", {"doc_type": "ep_advice", "document_id": 4}, labels=labels)
    assert entry.title == "Educational psychology advice uploaded"
    quarantined = timeline.present("document_quarantined", {"doc_type": "ep_advice"}, labels=labels)
    assert quarantined.title == "Educational psychology advice quarantined: a virus was found"
    # Without a type (an old row) the generic title stays.
    assert timeline.present("document_uploaded", {}).title == "Document added"


# --- The final plan to the setting named in it and the health body (reg 13(2)(b), (c)) ----------


def test_the_final_plan_goes_to_the_named_setting_and_the_health_body() -> None:
    sent = rules.AUTO_LETTERS["issue_final"]
    assert (rules.LetterKind.FINAL_PLAN_COPY, rules.Addressee.NAMED_SETTING) in sent
    assert (rules.LetterKind.FINAL_PLAN_COPY, rules.Addressee.HEALTH) in sent
    assert rules.REGULATION[rules.LetterKind.FINAL_PLAN_COPY] == "reg 13(2)"
    assert rules.gap_message("final_plan_copy", "named_setting", setting_name="Oak Hill School") == (
        "Final plan not sent to Oak Hill School: no contact recorded"
    )


def _school(pk: int, role: ProfessionalRole, *, at: int | None = None, organisation: str = "") -> ContactFacts:
    return ContactFacts(
        id=pk, kind=ContactKind.PROFESSIONAL, professional_role=role, establishment_id=at, organisation=organisation
    )


def test_the_named_settings_head_not_the_current_schools() -> None:
    # The child attends school 10; the plan names school 20.
    named = people.NamedSetting(20, "Oak Hill School", current_establishment_id=10)
    current_head = _school(1, ProfessionalRole.HEAD_TEACHER, organisation="Elm Primary")
    current_head_linked = _school(2, ProfessionalRole.HEAD_TEACHER, at=10)
    named_head = _school(3, ProfessionalRole.HEAD_TEACHER, at=20)
    named_senco = _school(4, ProfessionalRole.SENCO, at=20)
    facts = [current_head, current_head_linked, named_head, named_senco, _pro(5, ProfessionalRole.HEALTH)]
    assert people.named_setting_recipients(facts, named) == (3,)
    # Its SENCO stands in only where no head is recorded there (an early years setting's SEN lead).
    assert people.named_setting_recipients([current_head, named_senco], named) == (4,)
    # Nobody recorded at the named setting: nobody, even though the current school's head is on file.
    assert people.named_setting_recipients([current_head, current_head_linked], named) == ()
    who = people.addressees(CHILD_BORN, ON, facts, named_setting=named)
    assert (who["named_setting"], who["school"], who["health"]) == ((3,), (1, 2, 3), (5,))
    assert people.addressees(CHILD_BORN, ON, facts)["named_setting"] == ()


def test_an_unlinked_head_counts_by_the_settings_name_or_when_it_is_the_current_school() -> None:
    elsewhere = people.NamedSetting(20, "Oak Hill School", current_establishment_id=10)
    by_name = _school(1, ProfessionalRole.HEAD_TEACHER, organisation="  oak hill   SCHOOL ")
    assert people.at_named_setting(by_name, elsewhere)
    assert not people.at_named_setting(_school(2, ProfessionalRole.HEAD_TEACHER, organisation="Oak Hill"), elsewhere)
    same = people.NamedSetting(10, "Elm Primary", current_establishment_id=10)
    assert people.at_named_setting(_school(3, ProfessionalRole.HEAD_TEACHER), same)
    # Recorded at another setting never counts; nor does anybody but a head teacher or SENCO.
    assert not people.at_named_setting(_school(4, ProfessionalRole.HEAD_TEACHER, at=30), same)
    assert not people.at_named_setting(_pro(5, ProfessionalRole.HEALTH), same)
