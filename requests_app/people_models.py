"""The case file's people, letters and messages (issue 13, "people" part).

Imported at the end of ``requests_app.models`` so Django registers these models in the
``requests_app`` app. Data and constraints only: changes go through
``requests_app.services.contacts`` and ``requests_app.services.letters``; the rules (who is
the decision-maker, who a notice goes to, how a template is filled) are pure, in
``requests_app.contacts`` and ``requests_app.letters``.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.roles import Capability, user_can
from requests_app import contacts, letters
from requests_app.models import AssessmentRequest, Child, RequestEvent


def _choices(labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(member.value, label) for member, label in labels.items()]


def _in(field: str, values: list[str], *, blank: bool = False) -> Q:
    return Q(**{f"{field}__in": values + ([""] if blank else [])})


CONTACT_KIND_CHOICES = _choices(contacts.CONTACT_KIND_LABELS)
PROFESSIONAL_ROLE_CHOICES = _choices(contacts.PROFESSIONAL_ROLE_LABELS)
LETTER_KIND_CHOICES = _choices(letters.LETTER_KIND_LABELS)


class PreferredContact(models.TextChoices):
    EMAIL = "email", "Email"
    POST = "post", "Post"
    PHONE = "phone", "Phone (letters by email)"


class AccessibleFormat(models.TextChoices):
    NONE = "", "None"
    LARGE_PRINT = "large_print", "Large print"
    EASY_READ = "easy_read", "Easy read"
    BRAILLE = "braille", "Braille"
    AUDIO = "audio", "Audio"


class ContactQuerySet(models.QuerySet["Contact"]):
    def current(self) -> ContactQuerySet:
        return self.filter(removed_at__isnull=True)

    def visible_to(self, user: Any) -> ContactQuerySet:
        # Contact details are part of the case file: the SEN team who may open a child's record.
        # A head teacher on the panel has no REQUEST_VIEW and so sees none (docs/architecture.md §1).
        return self.all() if user_can(user, Capability.REQUEST_VIEW) else self.none()


class Contact(models.Model):
    """A person around a child's case: a parent or carer, the young person, or a professional."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=20, choices=CONTACT_KIND_CHOICES)
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=100, blank=True, help_text="For a parent or carer: mother, foster carer")
    parental_responsibility = models.BooleanField(default=False)
    lacks_capacity = models.BooleanField(
        "lacks capacity for decisions (reg 64)", default=False, help_text="Young person only"
    )
    professional_role = models.CharField(max_length=20, choices=PROFESSIONAL_ROLE_CHOICES, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    preferred_contact = models.CharField(
        max_length=10, choices=PreferredContact.choices, default=PreferredContact.EMAIL
    )
    language = models.CharField(max_length=50, blank=True, default="English")
    interpreter_needed = models.BooleanField(default=False)
    accessible_format = models.CharField(max_length=20, choices=AccessibleFormat.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Removed contacts stay on file: earlier letters were addressed to them.
    removed_at = models.DateTimeField(null=True, blank=True)
    # The school or setting a head teacher or SENCO works at: the final plan goes to the head of
    # the setting it names (reg 13(2)(b)), which need not be the child's current school.
    establishment = models.ForeignKey(
        "core.Establishment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="school or setting",
    )

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=_in("kind", [k.value for k in contacts.ContactKind]), name="contact_kind"),
            models.CheckConstraint(
                condition=_in("preferred_contact", PreferredContact.values), name="contact_preferred_valid"
            ),
            models.CheckConstraint(
                condition=_in("accessible_format", AccessibleFormat.values, blank=True), name="contact_format_valid"
            ),
            # A professional has a role and an organisation; family members have neither role nor PR rules.
            models.CheckConstraint(
                condition=(
                    Q(kind=contacts.ContactKind.PROFESSIONAL.value)
                    & _in("professional_role", [r.value for r in contacts.ProfessionalRole])
                    & ~Q(organisation="")
                    & Q(parental_responsibility=False)
                )
                | (~Q(kind=contacts.ContactKind.PROFESSIONAL.value) & Q(professional_role="")),
                name="contact_professional_shape",
            ),
            # Only a parent or carer can hold parental responsibility; only a young person can lack capacity.
            models.CheckConstraint(
                condition=Q(parental_responsibility=False) | Q(kind=contacts.ContactKind.PARENT.value),
                name="contact_pr_only_parent",
            ),
            models.CheckConstraint(
                condition=Q(lacks_capacity=False) | Q(kind=contacts.ContactKind.YOUNG_PERSON.value),
                name="contact_capacity_only_young_person",
            ),
            # A preference must be usable: email needs an address, post a postal address.
            models.CheckConstraint(
                condition=~Q(preferred_contact=PreferredContact.EMAIL) | ~Q(email=""), name="contact_email_for_email"
            ),
            models.CheckConstraint(
                condition=~Q(preferred_contact=PreferredContact.POST) | ~Q(address=""), name="contact_address_for_post"
            ),
            # One young person per child.
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(kind=contacts.ContactKind.YOUNG_PERSON.value, removed_at__isnull=True),
                name="contact_one_young_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Contact {self.pk} ({self.get_kind_display()})"

    @property
    def by_post(self) -> bool:
        return self.preferred_contact == PreferredContact.POST or not self.email

    def facts(self) -> contacts.ContactFacts:
        return contacts.ContactFacts(
            id=self.pk,
            kind=contacts.ContactKind(self.kind),
            parental_responsibility=self.parental_responsibility,
            lacks_capacity=self.lacks_capacity,
            professional_role=contacts.ProfessionalRole(self.professional_role) if self.professional_role else None,
            establishment_id=self.establishment_id,
            organisation=self.organisation,
        )


class LetterTemplate(models.Model):
    """The council's wording of one kind of letter: plain text with ``{placeholders}``."""

    kind = models.CharField(max_length=40, choices=LETTER_KIND_CHOICES, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=_in("kind", [k.value for k in letters.LetterKind]), name="letter_template_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


def letter_storage_key(instance: Letter, filename: str) -> str:
    # A random key: nothing about the child in the path, and nothing guessable.
    return f"letters/{secrets.token_hex(16)}.pdf"


class LetterState(models.TextChoices):
    # Written in the change's transaction; the worker renders its PDF after commit.
    PREPARING = "preparing", "Being prepared"
    READY = "ready", "Ready"


class LetterQuerySet(models.QuerySet["Letter"]):
    def visible_to(self, user: Any) -> LetterQuerySet:
        return self.all() if user_can(user, Capability.REQUEST_VIEW) else self.none()

    def preparing(self) -> LetterQuerySet:
        return self.filter(state=LetterState.PREPARING)


class Letter(models.Model):
    """A letter or statutory notice produced on a request: the PDF and the date it is dated.

    ``dated_on`` with ``regulation`` is the fact on the record ("parent told on ... under
    reg 5(1)"). The addressee's name and address are copied so the letter stays what was sent."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=40, choices=LETTER_KIND_CHOICES)
    regulation = models.CharField(max_length=40, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="letters")
    addressee_name = models.CharField(max_length=200)
    addressee_address = models.TextField(blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    pdf = models.FileField(upload_to=letter_storage_key, max_length=200)
    dated_on = models.DateField()
    for_print = models.BooleanField("to be printed and posted", default=False)
    printed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The recorded change that sent it (a decision, the draft, an advice request...); null for a
    # letter an officer sent by hand. One letter of a kind per contact per change.
    event = models.ForeignKey(RequestEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="letters")
    # "preparing" from the change's transaction until the worker has rendered and stored the PDF
    # (``services.letters.letter_render``); its email is sent only then.
    state = models.CharField(max_length=10, choices=LetterState.choices, default=LetterState.READY, db_default="ready")

    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["-dated_on", "-pk"]
        indexes = [
            models.Index(fields=["request", "kind"], name="letter_request_kind"),
            # The sweeper's "letters still being prepared" (a handful at any time).
            models.Index(fields=["created_at"], name="letter_preparing", condition=Q(state="preparing")),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("kind", [k.value for k in letters.LetterKind]), name="letter_kind"),
            models.CheckConstraint(condition=~Q(pdf="") | Q(state=LetterState.PREPARING), name="letter_has_pdf"),
            models.CheckConstraint(condition=_in("state", LetterState.values), name="letter_state_valid"),
            models.CheckConstraint(condition=Q(printed_on__isnull=True) | Q(for_print=True), name="letter_printed"),
            models.UniqueConstraint(
                fields=["event", "kind", "contact"],
                condition=Q(event__isnull=False),
                name="letter_one_per_event_kind_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"Letter {self.pk} ({self.kind})"

    @property
    def filename(self) -> str:
        return f"{self.request.reference or self.request_id}-{self.kind}-{self.pk}.pdf"


class MessageState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundMessageQuerySet(models.QuerySet["OutboundMessage"]):
    def pending(self) -> OutboundMessageQuerySet:
        return self.filter(state__in=[MessageState.QUEUED, MessageState.RETRYING])

    def visible_to(self, user: Any) -> OutboundMessageQuerySet:
        # An officer sees every case's messages; anybody sees the digests addressed to them.
        if user_can(user, Capability.REQUEST_VIEW):
            return self.all()
        return self.filter(officer=user) if getattr(user, "is_authenticated", False) else self.none()


class OutboundMessage(models.Model):
    """One email to send, written in the same transaction as what caused it; a Celery task
    sends it after commit and a sweeper re-queues any left behind (broker down)."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    # The officer a digest goes to (null for letters).
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=MessageState.choices, default=MessageState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    backend = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="message_state_created")]
        constraints = [
            models.CheckConstraint(condition=_in("state", MessageState.values), name="message_state_valid"),
            models.CheckConstraint(condition=Q(letter__isnull=True) | Q(officer__isnull=True), name="message_one_kind"),
            models.CheckConstraint(
                condition=~Q(state=MessageState.SENT) | Q(sent_at__isnull=False), name="message_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} ({self.state})"


class OfficerDigest(models.Model):
    """An officer's morning digest: one per officer per day (the unique constraint makes the
    beat job idempotent)."""

    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    items = models.JSONField(default=list)
    message = models.OneToOneField(
        OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="digest"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "officer_id"]
        constraints = [models.UniqueConstraint(fields=["officer", "day"], name="digest_one_per_officer_per_day")]

    def __str__(self) -> str:
        return f"Digest for user {self.officer_id} on {self.day}"

    @property
    def day_label(self) -> str:
        return f"{self.day.day} {self.day:%B %Y}" if isinstance(self.day, date) else str(self.day)


ADDRESSEE_CHOICES = _choices(letters.ADDRESSEE_LABELS)


class NotificationGap(models.Model):
    """An automatic letter (``letters.AUTO_LETTERS``) that had nobody on the child's file to go
    to: "reg 4(2) notification not sent to children's social care: no contact recorded". Written
    in the change's transaction; shown on the request until a letter of that kind reaches someone
    in that role (``services.letters.notification_gaps``)."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="notification_gaps")
    event = models.ForeignKey(RequestEvent, on_delete=models.CASCADE, related_name="notification_gaps")
    kind = models.CharField(max_length=40, choices=LETTER_KIND_CHOICES)
    addressee = models.CharField(max_length=20, choices=ADDRESSEE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "kind", "addressee"], name="gap_one_per_event_kind_addressee"),
            models.CheckConstraint(condition=_in("kind", [k.value for k in letters.LetterKind]), name="gap_kind"),
            models.CheckConstraint(
                condition=_in("addressee", [a.value for a in letters.Addressee]), name="gap_addressee"
            ),
        ]

    def __str__(self) -> str:
        return f"Notification gap {self.pk} ({self.kind} to {self.addressee})"
