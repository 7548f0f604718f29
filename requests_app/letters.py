"""Letters and notices: the kinds, their regulations, the default wording and the one safe way
of filling a template. Pure Python, no database.

A council edits a template's subject and body as plain text with placeholders written
``{child_name}``. Filling one is string substitution of known names only: no template
language, no attribute access, no code from the person who wrote the template. Unknown
placeholders are refused when the template is saved (``template_errors``) and never reach a
letter. The values are plain text; the HTML the PDF is drawn from escapes them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ADDRESSEE_LABELS",
    "AUTO_LETTERS",
    "DEFAULT_TEMPLATES",
    "LETTER_KIND_LABELS",
    "Addressee",
    "advice_addressee",
    "gap_message",
    "PLACEHOLDERS",
    "LetterKind",
    "fill",
    "template_errors",
]


class LetterKind(enum.StrEnum):
    DECISION_TO_ASSESS = "decision_to_assess"
    DECISION_NOT_TO_ASSESS = "decision_not_to_assess"
    ADVICE_REQUEST = "advice_request"
    DECISION_NOT_TO_ISSUE = "decision_not_to_issue"
    DRAFT_PLAN_COVER = "draft_plan_cover"
    FINAL_PLAN_COVER = "final_plan_cover"
    REG_4_2_NOTIFICATION = "reg_4_2_notification"
    # The decision whether to assess, told to those notified under reg 4(2).
    REG_5_2_DECISION_NOTICE = "reg_5_2_decision_notice"
    # The request received and being considered, told to the parent or young person, whom the
    # council must consult (CFA 2014 s.36(4)).
    REQUEST_RECEIVED = "request_received"
    # The decision not to issue a plan, told to the health body and the school (reg 10(2)).
    REG_10_2_NOTICE = "reg_10_2_notice"
    # The final plan, sent to the setting named in it and to the health body (reg 13(2)(b), (c)).
    FINAL_PLAN_COPY = "final_plan_copy"


LETTER_KIND_LABELS: dict[LetterKind, str] = {
    LetterKind.DECISION_TO_ASSESS: "Decision to assess",
    LetterKind.DECISION_NOT_TO_ASSESS: "Decision not to assess",
    LetterKind.ADVICE_REQUEST: "Request for advice",
    LetterKind.DECISION_NOT_TO_ISSUE: "Decision not to issue a plan",
    LetterKind.DRAFT_PLAN_COVER: "Draft plan cover letter",
    LetterKind.FINAL_PLAN_COVER: "Final plan cover letter",
    LetterKind.REG_4_2_NOTIFICATION: "Notification that a request is being considered",
    LetterKind.REG_5_2_DECISION_NOTICE: "Notice of the decision whether to assess",
    LetterKind.REQUEST_RECEIVED: "Request received: we are considering it",
    LetterKind.REG_10_2_NOTICE: "Notice of the decision not to issue a plan",
    LetterKind.FINAL_PLAN_COPY: "Final plan",
}

# The regulation each notice satisfies (SEND Regulations 2014), recorded with the letter's date.
REGULATION: dict[LetterKind, str] = {
    LetterKind.DECISION_TO_ASSESS: "reg 5(1)",
    LetterKind.DECISION_NOT_TO_ASSESS: "reg 5(1) and 5(3)",
    LetterKind.ADVICE_REQUEST: "reg 6(1)",
    LetterKind.DECISION_NOT_TO_ISSUE: "reg 10(1) and 10(3)",
    LetterKind.DRAFT_PLAN_COVER: "reg 13(1)",
    LetterKind.FINAL_PLAN_COVER: "reg 13(2)",
    LetterKind.REG_4_2_NOTIFICATION: "reg 4(2)",
    LetterKind.REG_5_2_DECISION_NOTICE: "reg 5(2)",
    LetterKind.REQUEST_RECEIVED: "s.36(4) CFA 2014",
    LetterKind.REG_10_2_NOTICE: "reg 10(2)",
    LetterKind.FINAL_PLAN_COPY: "reg 13(2)",
}

# Every placeholder a template may use, with what it is (shown on the edit page).
PLACEHOLDERS: dict[str, str] = {
    "addressee_name": "The person the letter is addressed to",
    "addressee_address": "Their postal address",
    "child_name": "The child or young person's full name",
    "child_first_name": "Their first name",
    "child_date_of_birth": "Their date of birth",
    "request_reference": "The request's reference",
    "received_on": "The date the request was received (day 1)",
    "letter_date": "The date of the letter",
    "decision_date": "The date of the decision",
    "reasons": "The reasons recorded with the decision",
    "officer_name": "The officer signing the letter",
    "council_name": "The council's name",
    "establishment_name": "The child's school or setting",
    "named_setting": "The school or setting named in the final plan",
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_ANY_BRACE = re.compile(r"[{}]")

_RIGHTS = (
    "You may appeal against this decision to the First-tier Tribunal (Special Educational Needs and "
    "Disability). Before appealing you must contact the mediation adviser within 2 months of the date of "
    "this letter (regulation 32). The SEND Information, Advice and Support Service gives free, impartial "
    "advice about this decision."
)


@dataclass(frozen=True)
class TemplateText:
    subject: str
    body: str


DEFAULT_TEMPLATES: dict[LetterKind, TemplateText] = {
    LetterKind.DECISION_TO_ASSESS: TemplateText(
        "Decision to carry out an EHC needs assessment for {child_name}",
        "Dear {addressee_name},\n\n"
        "We received a request for an education, health and care (EHC) needs assessment for {child_name} "
        "(born {child_date_of_birth}) on {received_on}. On {decision_date} we decided to carry out the "
        "assessment.\n\nWe will ask for advice about {child_first_name}'s needs, including your own views, "
        "and will keep you informed.\n\nYours sincerely,\n{officer_name}\nSpecial Educational Needs Service, "
        "{council_name}",
    ),
    LetterKind.DECISION_NOT_TO_ASSESS: TemplateText(
        "Decision not to carry out an EHC needs assessment for {child_name}",
        "Dear {addressee_name},\n\n"
        "We received a request for an EHC needs assessment for {child_name} on {received_on}. On "
        "{decision_date} we decided not to carry out an assessment at this time.\n\nOur reasons:\n{reasons}\n\n"
        + _RIGHTS
        + "\n\nYours sincerely,\n{officer_name}\nSpecial Educational Needs Service, {council_name}",
    ),
    LetterKind.ADVICE_REQUEST: TemplateText(
        "Request for advice: EHC needs assessment for {child_name}",
        "Dear {addressee_name},\n\nWe are carrying out an EHC needs assessment for {child_name} (born "
        "{child_date_of_birth}), reference {request_reference}. Please send us your advice and information "
        "within 6 weeks of the date of this letter.\n\nYours sincerely,\n{officer_name}\n{council_name}",
    ),
    LetterKind.DECISION_NOT_TO_ISSUE: TemplateText(
        "Decision not to issue an EHC plan for {child_name}",
        "Dear {addressee_name},\n\nFollowing the EHC needs assessment for {child_name}, on {decision_date} we "
        "decided that an EHC plan is not necessary.\n\nOur reasons:\n{reasons}\n\n"
        + _RIGHTS
        + "\n\nYours sincerely,\n{officer_name}\nSpecial Educational Needs Service, {council_name}",
    ),
    LetterKind.DRAFT_PLAN_COVER: TemplateText(
        "Draft EHC plan for {child_name}",
        "Dear {addressee_name},\n\nWith this letter is the draft EHC plan for {child_name}. You have at least "
        "15 days to comment on it and to ask for a particular school or setting to be named.\n\nYours "
        "sincerely,\n{officer_name}\n{council_name}",
    ),
    LetterKind.FINAL_PLAN_COVER: TemplateText(
        "Final EHC plan for {child_name}",
        "Dear {addressee_name},\n\nWith this letter is the final EHC plan for {child_name}.\n\n"
        + _RIGHTS
        + "\n\nYours sincerely,\n{officer_name}\n{council_name}",
    ),
    LetterKind.REG_4_2_NOTIFICATION: TemplateText(
        "EHC needs assessment request being considered: {request_reference}",
        "Dear {addressee_name},\n\nWe are considering a request, received on {received_on}, for an EHC needs "
        "assessment for {child_name} (born {child_date_of_birth}), who attends {establishment_name}. We tell "
        "you under regulation 4(2) of the SEND Regulations 2014.\n\nYours sincerely,\n{officer_name}\n"
        "{council_name}",
    ),
    LetterKind.REG_5_2_DECISION_NOTICE: TemplateText(
        "Decision on the EHC needs assessment request {request_reference}",
        "Dear {addressee_name},\n\nWe told you under regulation 4(2) that we were considering a request for "
        "an EHC needs assessment for {child_name}. On {decision_date} we made our decision; the family has "
        "been told. We tell you under regulation 5(2).\n\nYours sincerely,\n{officer_name}\n{council_name}",
    ),
    LetterKind.REQUEST_RECEIVED: TemplateText(
        "We are considering the request for an EHC needs assessment for {child_name}",
        "Dear {addressee_name},\n\nOn {received_on} we received a request for an education, health and care "
        "(EHC) needs assessment for {child_name} (born {child_date_of_birth}), reference {request_reference}. "
        "We are now considering whether an assessment is needed, and will tell you our decision within 6 weeks "
        "of that date.\n\nYou can tell us your views, in writing or by phone, and send us any evidence you "
        "would like us to consider. We have also told {child_first_name}'s school or setting, the health "
        "service and children's social care that we are considering the request. The SEND Information, Advice "
        "and Support Service gives free, impartial advice.\n\nYours sincerely,\n{officer_name}\nSpecial "
        "Educational Needs Service, {council_name}",
    ),
    LetterKind.REG_10_2_NOTICE: TemplateText(
        "Decision not to issue an EHC plan: {request_reference}",
        "Dear {addressee_name},\n\nFollowing the EHC needs assessment for {child_name} (born "
        "{child_date_of_birth}), on {decision_date} we decided that an EHC plan is not necessary; the family "
        "has been told. We tell you under regulation 10(2) of the SEND Regulations 2014, so that the support "
        "{child_first_name} needs can be planned.\n\nYours sincerely,\n{officer_name}\n{council_name}",
    ),
    LetterKind.FINAL_PLAN_COPY: TemplateText(
        "Final EHC plan for {child_name}: {request_reference}",
        "Dear {addressee_name},\n\nWith this letter is the final education, health and care (EHC) plan for "
        "{child_name} (born {child_date_of_birth}), issued on {letter_date}. It names {named_setting} in "
        "section I. We send it to you under regulation 13(2) of the SEND Regulations 2014: to the school or "
        "setting named in the plan, and to the health body responsible for the health provision in it."
        "\n\nYours sincerely,\n{officer_name}\n{council_name}",
    ),
}


def template_errors(text: str) -> list[str]:
    """What is wrong with a template's text: unknown placeholders or stray braces."""
    errors = [
        f"“{{{name}}}” is not a placeholder you can use"
        for name in dict.fromkeys(_PLACEHOLDER.findall(text))
        if name not in PLACEHOLDERS
    ]
    if _ANY_BRACE.search(_PLACEHOLDER.sub("", text)):
        errors.append("Use braces only around a placeholder name, like {child_name}")
    return errors


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each known placeholder by its value (plain text, not interpreted further)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {name!r}")
        return values.get(name, "")

    return _PLACEHOLDER.sub(replace, text)


# --- Letters the service writes itself -------------------------------------------------------------


class Addressee(enum.StrEnum):
    """Who an automatic letter goes to, as the law names them; the services find the contacts
    on the child's file for each (``requests_app.contacts.addressees``)."""

    FAMILY = "family"  # the parent or young person (whoever takes the decision)
    SCHOOL = "school"  # the head teacher or principal; in early years, the setting's SEN lead
    HEALTH = "health"  # the health commissioning body (ICB)
    SOCIAL_CARE = "social_care"  # the council's children's social care for SEN
    EP_SERVICE = "ep_service"  # the educational psychology service
    # The head teacher, principal or proprietor of the setting named in the final plan (reg
    # 13(2)(b)); not necessarily the child's current school.
    NAMED_SETTING = "named_setting"


ADDRESSEE_LABELS: dict[Addressee, str] = {
    Addressee.FAMILY: "the parent or young person",
    Addressee.SCHOOL: "the school or setting (head teacher, principal or SEN lead)",
    Addressee.HEALTH: "the health body (ICB)",
    Addressee.SOCIAL_CARE: "children's social care",
    Addressee.EP_SERVICE: "the educational psychology service",
    Addressee.NAMED_SETTING: "the setting named in the plan",
}

_REG_4_2 = (Addressee.SCHOOL, Addressee.HEALTH, Addressee.SOCIAL_CARE)

# The letters each recorded change sends, and to whom (the event's action -> (kind, addressee)).
# - "created": the request received. The family is consulted (CFA 2014 s.36(4)) and the bodies
#   of reg 4(2) are told the council is considering it.
# - the decision whether to assess: the family (reg 5(1); a refusal carries the rights of
#   reg 5(3)) and the bodies told under reg 4(2) (reg 5(2)).
# - the decision not to issue a plan: the family (reg 10(1), with the rights of reg 10(3)); the
#   health body and the school or setting (reg 10(2)).
# - the draft and the final plan: the family (reg 13(1), 13(2) and 14); the final plan also to
#   the setting named in it and the health body (reg 13(2)(b), (c)).
# - a request for advice: the adviser (see ``advice_addressee``).
AUTO_LETTERS: dict[str, tuple[tuple[LetterKind, Addressee], ...]] = {
    "created": ((LetterKind.REQUEST_RECEIVED, Addressee.FAMILY),)
    + tuple((LetterKind.REG_4_2_NOTIFICATION, a) for a in _REG_4_2),
    "decide_to_assess": ((LetterKind.DECISION_TO_ASSESS, Addressee.FAMILY),)
    + tuple((LetterKind.REG_5_2_DECISION_NOTICE, a) for a in _REG_4_2),
    "decide_not_to_assess": ((LetterKind.DECISION_NOT_TO_ASSESS, Addressee.FAMILY),)
    + tuple((LetterKind.REG_5_2_DECISION_NOTICE, a) for a in _REG_4_2),
    "decide_not_to_issue": (
        (LetterKind.DECISION_NOT_TO_ISSUE, Addressee.FAMILY),
        (LetterKind.REG_10_2_NOTICE, Addressee.HEALTH),
        (LetterKind.REG_10_2_NOTICE, Addressee.SCHOOL),
    ),
    "issue_draft": ((LetterKind.DRAFT_PLAN_COVER, Addressee.FAMILY),),
    "issue_final": (
        (LetterKind.FINAL_PLAN_COVER, Addressee.FAMILY),
        (LetterKind.FINAL_PLAN_COPY, Addressee.NAMED_SETTING),
        (LetterKind.FINAL_PLAN_COPY, Addressee.HEALTH),
    ),
}

# reg 6(1): the adviser an advice request's letter goes to, by adviser type. Preparing for
# adulthood and "other" advice come from whoever the officer chooses: no automatic letter.
_ADVICE_ADDRESSEES: dict[str, Addressee] = {
    "educational_psychology": Addressee.EP_SERVICE,
    "health": Addressee.HEALTH,
    "social_care": Addressee.SOCIAL_CARE,
    "education_setting": Addressee.SCHOOL,
    "parent_or_young_person": Addressee.FAMILY,
}


def advice_addressee(adviser_type: str) -> Addressee | None:
    return _ADVICE_ADDRESSEES.get(adviser_type)


def gap_message(kind: LetterKind | str, addressee: Addressee | str, *, setting_name: str = "") -> str:
    """What the case shows when an automatic letter had nobody to go to. ``setting_name``: the
    setting named in the plan, for a gap of ``Addressee.NAMED_SETTING``."""
    label = LETTER_KIND_LABELS.get(LetterKind(kind), str(kind))
    who = ADDRESSEE_LABELS.get(Addressee(addressee), str(addressee))
    if addressee == Addressee.NAMED_SETTING and setting_name:
        who = setting_name
    return f"{label} not sent to {who}: no contact recorded"
