"""Forms for the case file's people, letters and letter templates (the rules are in
``requests_app.contacts`` and ``requests_app.letters``; the services validate again)."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import GovukForm
from requests_app import letters
from requests_app.people_models import (
    CONTACT_KIND_CHOICES,
    LETTER_KIND_CHOICES,
    PROFESSIONAL_ROLE_CHOICES,
    AccessibleFormat,
    Contact,
    PreferredContact,
)


class ContactForm(GovukForm):
    kind = forms.ChoiceField(
        label="Who is this person?",
        choices=CONTACT_KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who this person is"},
    )
    name = forms.CharField(label="Full name", max_length=200, error_messages={"required": "Enter the person's name"})
    relationship = forms.CharField(
        label="Relationship to the child (parents and carers)", max_length=100, required=False
    )
    parental_responsibility = forms.BooleanField(label="Has parental responsibility", required=False)
    lacks_capacity = forms.BooleanField(
        label="The young person lacks capacity for these decisions (a parent acts for them, reg 64)", required=False
    )
    professional_role = forms.ChoiceField(
        label="Role (professionals)", choices=[("", "Not a professional"), *PROFESSIONAL_ROLE_CHOICES], required=False
    )
    organisation = forms.CharField(label="Organisation (professionals)", max_length=200, required=False)
    setting_urn = forms.CharField(
        label="School or setting's URN (head teachers and SENCOs)",
        max_length=7,
        required=False,
        help_text="The final plan goes to the head of the setting it names, which may not be the child's school",
    )
    address = forms.CharField(label="Postal address", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    postcode = forms.CharField(max_length=10, required=False)
    email = forms.CharField(label="Email address", max_length=254, required=False)
    phone = forms.CharField(label="Phone number", max_length=30, required=False)
    preferred_contact = forms.ChoiceField(
        label="Preferred way of contact",
        choices=PreferredContact.choices,
        initial=PreferredContact.EMAIL,
        widget=forms.RadioSelect,
        help_text="Letters for people who ask for post are marked for printing",
        error_messages={"required": "Select how the person prefers to be contacted"},
    )
    language = forms.CharField(label="Preferred language", max_length=50, required=False, initial="English")
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    accessible_format = forms.ChoiceField(label="Accessible format", choices=AccessibleFormat.choices, required=False)

    @staticmethod
    def initial_from(contact: Contact) -> dict[str, Any]:
        initial = {name: getattr(contact, name) for name in ContactForm.base_fields if name != "setting_urn"}
        initial["setting_urn"] = str(contact.establishment.urn) if contact.establishment else ""
        return initial


class ConfirmForm(GovukForm):
    pass


class LetterForm(GovukForm):
    kind = forms.ChoiceField(
        label="Letter",
        choices=LETTER_KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the letter to send"},
    )
    contact_ids = forms.MultipleChoiceField(
        label="Send to",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select who the letter goes to"},
    )

    def __init__(self, *args: Any, contacts: list[Contact], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(c.pk), f"{c.name} ({c.get_kind_display()})") for c in contacts]
        self.fields["contact_ids"].choices = choices  # type: ignore[attr-defined]


class LetterTemplateForm(GovukForm):
    subject = forms.CharField(max_length=200, error_messages={"required": "Enter the subject"})
    body = forms.CharField(
        label="Text of the letter",
        widget=forms.Textarea(attrs={"rows": 16}),
        error_messages={"required": "Enter the letter's text"},
        help_text="Placeholders: " + ", ".join("{" + name + "}" for name in letters.PLACEHOLDERS),
    )
