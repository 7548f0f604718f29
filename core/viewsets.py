"""The base every app's API viewset shares (kept apart from ``core.api``, which DRF
imports while it loads its settings: ``rest_framework.viewsets`` cannot be imported there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import access_log_record, access_log_record_many
from core.ids import MAX_ID, id_or_404, parse_id
from core.models import AccessAction
from core.roles import Capability, user_can

ID_MESSAGE = f"Enter an id: a whole number from 1 to {MAX_ID}."


class IdField(serializers.IntegerField):
    """An id in a request body, read by ``core.ids.parse_id``: a whole number from 1 to
    ``MAX_ID``. A float (``1.0``, ``1e309``), a boolean or text such as "²" is a 400 naming the
    field, never a server error."""

    default_error_messages = {"invalid": ID_MESSAGE}

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        parsed = parse_id(data)
        if parsed is None:
            self.fail("invalid")
        return parsed  # type: ignore[return-value]  # fail() raises


class RelatedIdField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A record named by its id in a request body: the id read as ``IdField`` reads it, then
    looked up (an id that is not one is "invalid", an unknown one "does not exist")."""

    default_error_messages = {"incorrect_type": ID_MESSAGE}

    def to_internal_value(self, data: Any) -> Any:
        parsed = parse_id(data)
        if parsed is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(parsed)


class RelatedIdFieldExtension(OpenApiSerializerFieldExtension):
    """A ``RelatedIdField`` in the schema: an id, with the range ``core.ids`` reads."""

    target_class = "core.viewsets.RelatedIdField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[Any]]:
    """DRF's nested error structure as ``{"child.forename": [...], "options.0.establishment_id":
    [...]}``, so every 400 has the one documented shape: field name → list of messages."""
    if isinstance(errors, Mapping):
        flat: dict[str, list[Any]] = {}
        for key, value in errors.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(errors, list) and any(isinstance(item, Mapping | list) for item in errors):
        flat = {}
        for index, item in enumerate(errors):
            flat.update(flatten_errors(item, f"{prefix}.{index}"))
        return flat
    return {prefix or "non_field_errors": list(errors) if isinstance(errors, list) else [errors]}


def unknown_fields(serializer: serializers.Serializer[Any], data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Fields in ``data`` that ``serializer`` does not take (read-only ones included), nested
    serializers too, keyed as flatten_errors keys them; each message lists what it does take."""
    if not isinstance(data, Mapping):
        return {}
    fields = {name: field for name, field in serializer.fields.items() if not field.read_only}
    found: dict[str, list[str]] = {}
    for key in data:
        name = f"{prefix}{key}"
        if key == "csrfmiddlewaretoken" and not prefix:
            continue  # the browsable API's HTML forms post it with the body
        if key not in fields:
            found[name] = [f"Unknown field {key!r}. This endpoint takes: {', '.join(sorted(fields)) or 'no fields'}"]
        elif isinstance(fields[key], serializers.Serializer):
            found.update(unknown_fields(fields[key], data[key], f"{name}."))
        elif isinstance(fields[key], serializers.ListSerializer) and isinstance(data[key], list):
            for index, item in enumerate(data[key]):
                found.update(unknown_fields(fields[key].child, item, f"{name}.{index}."))
    return found


def wrong_types(serializer: serializers.Serializer[Any], data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Text fields sent as something other than text (``"upn": 123``), keyed as flatten_errors
    keys them: DRF would turn the number into text; the schema says a string, and so do we."""
    if not isinstance(data, Mapping):
        return {}
    found: dict[str, list[str]] = {}
    for key, value in data.items():
        field = serializer.fields.get(key) if isinstance(key, str) else None
        if field is None or field.read_only:
            continue
        name = f"{prefix}{key}"
        if isinstance(field, serializers.CharField) and value is not None and not isinstance(value, str):
            found[name] = ["Enter text, in quotes: not a number, a list or true/false."]
        elif isinstance(field, serializers.Serializer):
            found.update(wrong_types(field, value, f"{name}."))
        elif isinstance(field, serializers.ListSerializer) and isinstance(value, list):
            for index, item in enumerate(value):
                found.update(wrong_types(field.child, item, f"{name}.{index}."))
    return found


class ServiceViewSet(viewsets.GenericViewSet):
    """What every app's API base shares: body validation with the flat error shape, objects
    found by an id alone (``core.ids``: anything else is simply not found, never a database
    error; filters are for lists), and the routers' format suffix (``.../pack.json``) read here
    rather than passed on to actions that do not take it."""

    _format_suffix: str | None = None

    # The role check for every change, made before the body is read (docs/security.md, "The
    # role check comes first"): each write action (``create``, ``@action`` names) → the
    # capability it needs. A role without it gets 403 and learns nothing of the body's rules;
    # a write action missing from the table is refused (fail closed), and
    # ``tests/security/test_role_before_body.py`` fails the build if one is missing. Object rules
    # (a recused member, a meeting one does not sit on) stay in the services and ``get_queryset``.
    # ``None`` for an action declares that no role capability applies up front (the service
    # checks the object's own rules, as a document upload does for its owner).
    action_capabilities: ClassVar[Mapping[str, Capability | None]] = {}

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if request.method in permissions.SAFE_METHODS or self.action is None:
            return  # reads: the view's permission classes; no action: DRF answers 405
        if self.action not in self.action_capabilities:
            self.permission_denied(request, message="Your role does not allow this.", code="permission_denied")
        needed = self.action_capabilities[self.action]
        if needed is not None and not user_can(request.user, needed):
            self.permission_denied(request, message="Your role does not allow this.", code="permission_denied")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        # DRF passes the URL's ``format`` to the handler as well as reading it for content
        # negotiation; an ``@action`` taking only ``pk`` would fail with a TypeError (a 500).
        self._format_suffix = kwargs.pop("format", None)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

    def get_format_suffix(self, **kwargs: Any) -> str | None:
        return self._format_suffix

    def validated(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        """Shape-check the request body; a 400 names every field at fault, including any field
        the endpoint does not take (a misspelt or renamed field is never silently ignored)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        unknown = {**unknown_fields(serializer, self.request.data), **wrong_types(serializer, self.request.data)}
        if not serializer.is_valid() or unknown:
            raise exceptions.ValidationError(
                {**flatten_errors(serializer.errors if serializer.errors else {}), **unknown}
            )
        return dict(serializer.validated_data)

    def get_object(self) -> Any:
        obj = get_object_or_404(self.get_queryset(), pk=id_or_404(self.kwargs[self.lookup_field]))
        self.check_object_permissions(self.request, obj)
        return obj


# List and retrieve of records about a child, each read written to the access log: one row per
# child on a listed page (AccessAction.LIST), one row for a record opened. Subclasses name the
# record (access_object_type, and access_list_object_type when the list is logged under another
# name) and say whose child it is (access_child_id). A comment, not a docstring: drf-spectacular
# would publish a docstring as every inheriting operation's description.
class LoggedReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    access_object_type: ClassVar[str] = ""
    access_list_object_type: ClassVar[str | None] = None

    def access_child_id(self, instance: Any) -> int:
        """The child a record is about: by default through its request."""
        return int(instance.request.child_id)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            assert page is not None
            access_log_record_many(
                user=request.user,
                child_ids=list(dict.fromkeys(self.access_child_id(row) for row in page)),
                object_type=self.access_list_object_type or self.access_object_type,
                action=AccessAction.LIST,
                path=request.path,
            )
            return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.get_object()
            access_log_record(
                user=request.user,
                child_id=self.access_child_id(instance),
                object_type=self.access_object_type,
                object_id=instance.pk,
                path=request.path,
            )
            return Response(self.get_serializer(instance).data)
