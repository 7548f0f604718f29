"""API for the case file's people and letters (``/api/contacts/``, ``/api/letters/``,
``/api/messages/``).

Reads need ``REQUEST_VIEW`` (a head teacher on the panel has none: no contact detail ever
reaches them) and show only rows of requests the user may see; every child in a response is
written to the access log. Changes need ``REQUEST_DECIDE``, checked before the body is read,
and each calls one service in ``requests_app.services.contacts`` or ``.letters``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import limits
from core.access import access_log_record
from core.api import HasCapability, IdFilter, StrictFilterBackend
from core.errors import Conflict, ReferenceNotFound
from core.models import AccessAction
from core.roles import Capability, user_can
from core.viewsets import IdField, LoggedReadViewSet, ServiceViewSet
from requests_app.models import AssessmentRequest
from requests_app.people_models import (
    CONTACT_KIND_CHOICES,
    LETTER_KIND_CHOICES,
    PROFESSIONAL_ROLE_CHOICES,
    AccessibleFormat,
    Contact,
    Letter,
    LetterState,
    MessageState,
    OutboundMessage,
    PreferredContact,
)
from requests_app.services import contacts as contact_services
from requests_app.services import letters as letter_services


class ContactSerializer(serializers.ModelSerializer[Contact]):
    child_id = serializers.IntegerField(read_only=True)
    setting_urn = serializers.IntegerField(
        source="establishment.urn",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The school or setting a head teacher or SENCO works at (its URN), if recorded",
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "child_id",
            "kind",
            "name",
            "relationship",
            "parental_responsibility",
            "lacks_capacity",
            "professional_role",
            "organisation",
            "address",
            "postcode",
            "email",
            "phone",
            "preferred_contact",
            "language",
            "interpreter_needed",
            "accessible_format",
            "setting_urn",
        ]
        read_only_fields = fields


class ContactWriteSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=CONTACT_KIND_CHOICES)
    name = serializers.CharField(max_length=200)
    relationship = serializers.CharField(max_length=100, required=False, allow_blank=True)
    parental_responsibility = serializers.BooleanField(required=False, default=False)
    lacks_capacity = serializers.BooleanField(required=False, default=False)
    professional_role = serializers.ChoiceField(choices=PROFESSIONAL_ROLE_CHOICES, required=False, allow_blank=True)
    organisation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    setting_urn = serializers.CharField(
        max_length=7,
        required=False,
        allow_blank=True,
        help_text="A head teacher or SENCO: the URN of the school or setting they work at (blank: none)",
    )
    address = serializers.CharField(max_length=limits.REASON_TEXT, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    preferred_contact = serializers.ChoiceField(choices=PreferredContact.choices, required=False)
    language = serializers.CharField(max_length=50, required=False, allow_blank=True)
    interpreter_needed = serializers.BooleanField(required=False, default=False)
    accessible_format = serializers.ChoiceField(choices=AccessibleFormat.choices, required=False, allow_blank=True)


class ContactCreateSerializer(ContactWriteSerializer):
    request_id = IdField(help_text="The request the change is made from (its timeline records it)")


class ContactRemoveSerializer(serializers.Serializer[Any]):
    request_id = IdField()


class MessageSerializer(serializers.ModelSerializer[OutboundMessage]):
    class Meta:
        model = OutboundMessage
        fields = [
            "id",
            "letter",
            "to_email",
            "subject",
            "state",
            "attempts",
            "backend",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class LetterSerializer(serializers.ModelSerializer[Letter]):
    request_id = serializers.IntegerField(read_only=True)
    contact_id = serializers.IntegerField(read_only=True)
    event_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The recorded change (timeline event) that sent it automatically; null for a letter sent by hand",
    )
    delivery = serializers.SerializerMethodField(help_text="The email's state, or 'print' for a posted letter")

    class Meta:
        model = Letter
        fields = [
            "id",
            "request_id",
            "kind",
            "regulation",
            "contact_id",
            "event_id",
            "addressee_name",
            "subject",
            "dated_on",
            "for_print",
            "delivery",
            "state",
            "created_at",
        ]
        read_only_fields = fields

    def get_delivery(self, letter: Letter) -> str:
        if letter.for_print:
            return "print"
        messages = list(letter.messages.all())
        return messages[0].state if messages else ""


class LetterIssueSerializer(serializers.Serializer[Any]):
    request_id = IdField()
    kind = serializers.ChoiceField(choices=LETTER_KIND_CHOICES)
    contact_ids = serializers.ListField(child=IdField(), min_length=1, max_length=limits.LIST_ITEMS)


def _require_decide(user: Any) -> None:
    if not user_can(user, Capability.REQUEST_DECIDE):
        raise exceptions.PermissionDenied("You do not have permission to do this.")


def _visible_request(user: Any, pk: int) -> AssessmentRequest:
    found = AssessmentRequest.objects.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise ReferenceNotFound("No request with this id that you may see", field="request_id")
    return found


class ContactFilter(django_filters.FilterSet):
    child = IdFilter(field_name="child_id")
    kind = django_filters.ChoiceFilter(choices=CONTACT_KIND_CHOICES)

    class Meta:
        model = Contact
        fields = ["child", "kind"]


@extend_schema_view(
    list=extend_schema(summary="People on the case files you may see (children listed are access-logged)"),
    retrieve=extend_schema(summary="One contact"),
)
class ContactViewSet(LoggedReadViewSet):
    access_object_type = "contact"
    access_list_object_type = "contacts"

    def access_child_id(self, instance: Contact) -> int:
        return instance.child_id  # a contact belongs to the child, not to one request

    permission_classes = [HasCapability]
    required_capability = Capability.REQUEST_VIEW
    serializer_class = ContactSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = ContactFilter
    action_capabilities = {
        "create": Capability.REQUEST_DECIDE,
        "change": Capability.REQUEST_DECIDE,
        "remove": Capability.REQUEST_DECIDE,
    }

    def get_queryset(self) -> QuerySet[Contact]:
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return Contact.objects.visible_to(self.request.user).current().select_related("establishment").order_by("pk")

    @extend_schema(request=ContactCreateSerializer, responses={201: ContactSerializer}, summary="Add a contact")
    def create(self, request: Request) -> Response:
        _require_decide(request.user)
        data = self.validated(ContactCreateSerializer)
        target = _visible_request(request.user, data.pop("request_id"))
        contact = contact_services.contact_add(actor=request.user, request=target, **data)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContactCreateSerializer, responses={200: ContactSerializer}, summary="Change a contact")
    @action(detail=True, methods=["post"], url_path="update")
    def change(self, request: Request, pk: str) -> Response:
        _require_decide(request.user)
        instance = self.get_object()
        data = self.validated(ContactCreateSerializer)
        target = _visible_request(request.user, data.pop("request_id"))
        contact = contact_services.contact_update(actor=request.user, request=target, contact=instance, **data)
        return Response(ContactSerializer(contact).data)

    @extend_schema(request=ContactRemoveSerializer, responses={204: None}, summary="Remove a contact from the file")
    @action(detail=True, methods=["post"], url_path="remove")
    def remove(self, request: Request, pk: str) -> Response:
        _require_decide(request.user)
        instance = self.get_object()
        data = self.validated(ContactRemoveSerializer)
        target = _visible_request(request.user, data["request_id"])
        contact_services.contact_remove(actor=request.user, request=target, contact=instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LetterFilter(django_filters.FilterSet):
    request = IdFilter(field_name="request_id")
    kind = django_filters.ChoiceFilter(choices=LETTER_KIND_CHOICES)

    class Meta:
        model = Letter
        fields = ["request", "kind", "for_print"]


@extend_schema_view(
    list=extend_schema(summary="Letters and notices, with their dates and delivery state"),
    retrieve=extend_schema(summary="One letter"),
)
class LetterViewSet(LoggedReadViewSet):
    access_object_type = "letter"
    permission_classes = [HasCapability]
    required_capability = Capability.REQUEST_VIEW
    serializer_class = LetterSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = LetterFilter
    action_capabilities = {"create": Capability.REQUEST_DECIDE}

    def get_queryset(self) -> QuerySet[Letter]:
        if getattr(self, "swagger_fake_view", False):
            return Letter.objects.none()
        return (
            Letter.objects.visible_to(self.request.user)
            .select_related("request")
            .prefetch_related("messages")
            .order_by("-dated_on", "-pk")
        )

    @extend_schema(request=LetterIssueSerializer, responses={201: LetterSerializer(many=True)}, summary="Send a letter")
    def create(self, request: Request) -> Response:
        _require_decide(request.user)
        data = self.validated(LetterIssueSerializer)
        target = _visible_request(request.user, data["request_id"])
        made = letter_services.letter_issue(
            actor=request.user, request=target, kind=data["kind"], contact_ids=data["contact_ids"]
        )
        fresh = self.get_queryset().filter(pk__in=[letter.pk for letter in made])
        return Response(LetterSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not found"),
            409: OpenApiResponse(description="The letter is being prepared: its PDF is not rendered yet"),
        },
        summary="Download the letter's PDF (access-logged)",
    )
    @action(detail=True, methods=["get"], url_path="download")
    def download(self, request: Request, pk: str) -> FileResponse:
        with transaction.atomic():
            letter = self.get_object()
            access_log_record(
                user=request.user,
                child_id=letter.request.child_id,
                object_type="letter",
                object_id=letter.pk,
                action=AccessAction.EXPORT,
                path=request.path,
            )
        if letter.state == LetterState.PREPARING:
            raise Conflict("The letter is being prepared: try again in a minute")
        try:
            handle = letter.pdf.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=letter.filename, content_type="application/pdf")


class MessageFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=MessageState.choices)
    letter = IdFilter(field_name="letter_id")

    class Meta:
        model = OutboundMessage
        fields = ["state", "letter"]


@extend_schema_view(
    list=extend_schema(summary="Outbound messages and their delivery state"),
    retrieve=extend_schema(summary="One outbound message"),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    permission_classes = [HasCapability]
    required_capability = Capability.REQUEST_VIEW
    serializer_class = MessageSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = MessageFilter

    def get_queryset(self) -> QuerySet[OutboundMessage]:
        if getattr(self, "swagger_fake_view", False):
            return OutboundMessage.objects.none()
        return OutboundMessage.objects.visible_to(self.request.user).order_by("-created_at", "-pk")
