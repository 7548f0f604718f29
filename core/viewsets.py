"""The base every app's API viewset shares (kept apart from ``core.api``, which DRF
imports while it loads its settings: ``rest_framework.viewsets`` cannot be imported there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import access_log_record, access_log_record_many
from core.errors import ReferenceNotFound
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


def only_missing_references(errors: Any) -> bool:
    """Whether every error is a record looked up by its id and not found (DRF's
    ``does_not_exist``): a request the schema calls valid, naming a record that is missing."""
    codes: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            codes.append(str(getattr(value, "code", "")))

    walk(errors)
    return bool(codes) and all(code == "does_not_exist" for code in codes)


class DeclaredCapabilities:
    """The role check for every change, made before the body is read (docs/security.md, "The
    role check comes first"), for any DRF view: ``action_capabilities`` maps each write action
    (a viewset's ``create`` or ``@action`` name; a plain ``APIView``'s method, ``post`` or
    ``delete``) to the capability it needs. A role without it gets 403 and learns nothing of
    the body's rules; a write action missing from the table is refused (fail closed), and
    ``tests/security/test_role_before_body.py`` fails the build if one is missing. Object rules
    (a recused member, a meeting one does not sit on) stay in the services and ``get_queryset``.
    ``None`` for an action declares that no role capability applies up front (the service
    checks the object's own rules, as a document upload does for its owner)."""

    # A mixin placed before a DRF view class: ``check_permissions``, ``permission_denied`` and
    # ``request`` come from that view, which mypy cannot see from here (hence the four
    # ``type: ignore`` below; tests/security/test_role_before_body.py exercises every use).
    action_capabilities: ClassVar[Mapping[str, Capability | None]] = {}

    def write_action(self, request: Request) -> str | None:
        """The name ``action_capabilities`` knows this write by; ``None``: no handler (405)."""
        if isinstance(self, viewsets.ViewSetMixin):
            return getattr(self, "action", None)
        method = (request.method or "").lower()
        return method if hasattr(self, method) else None

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)  # type: ignore[misc]
        if request.method in permissions.SAFE_METHODS:
            return  # reads: the view's permission classes
        action = self.write_action(request)
        if action is None:
            return  # no handler for the method: DRF answers 405
        if action not in self.action_capabilities:
            self.permission_denied(request, message="Your role does not allow this.", code="permission_denied")  # type: ignore[attr-defined]
        needed = self.action_capabilities[action]
        if needed is not None and not user_can(request.user, needed):
            self.permission_denied(request, message="Your role does not allow this.", code="permission_denied")  # type: ignore[attr-defined]

    def validated(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        """Shape-check the request body; a 400 names every field at fault, including any field
        the endpoint does not take (a misspelt or renamed field is never silently ignored). A
        well-formed body whose only fault is an id naming no record (``does_not_exist``) is a
        404 naming the field, as for an id in the path."""
        request = self.request  # type: ignore[attr-defined]
        context_of = getattr(self, "get_serializer_context", None)
        context = context_of() if context_of else {"request": request, "view": self}
        serializer = serializer_class(data=request.data, context=context)
        unknown = {**unknown_fields(serializer, request.data), **wrong_types(serializer, request.data)}
        valid = serializer.is_valid()
        if not valid and not unknown and only_missing_references(serializer.errors):
            errors = flatten_errors(serializer.errors)
            raise ReferenceNotFound("A record named in the data sent was not found.", errors=errors)
        if not valid or unknown:
            raise exceptions.ValidationError(
                {**flatten_errors(serializer.errors if serializer.errors else {}), **unknown}
            )
        return dict(serializer.validated_data)


class ServiceViewSet(DeclaredCapabilities, viewsets.GenericViewSet):
    """What every app's API base shares: the role check before the body
    (``DeclaredCapabilities``), body validation with the flat error shape, objects found by an
    id alone (``core.ids``: anything else is simply not found, never a database error; filters
    are for lists), and the routers' format suffix (``.../pack.json``) read here rather than
    passed on to actions that do not take it."""

    _format_suffix: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        # DRF passes the URL's ``format`` to the handler as well as reading it for content
        # negotiation; an ``@action`` taking only ``pk`` would fail with a TypeError (a 500).
        self._format_suffix = kwargs.pop("format", None)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

    def get_format_suffix(self, **kwargs: Any) -> str | None:
        return self._format_suffix

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


class StrictFilterExtension(DjangoFilterExtension):
    """``core.api.StrictFilterBackend``'s filters in the schema, with the limits the filters
    enforce: a length cap (``max_length``) as ``maxLength``, a range (``min_value`` and
    ``max_value``) as ``minimum`` and ``maximum``, and a number filter without a type of its own
    as a ``number``. Without them a request the schema allows (a 200-character search, a
    ``due_within`` of 400) would be refused by a rule the schema did not state."""

    target_class = "core.api.StrictFilterBackend"
    match_subclasses = True
    priority = 1

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list[dict[str, Any]]:
        import django_filters  # noqa: PLC0415  # only when the schema is built

        parameters: list[dict[str, Any]] = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        extra = filter_field.extra
        for parameter in parameters:
            schema = parameter.get("schema", {})
            schema.pop("nullable", None)  # a query string has no null: an empty value is refused
            target = schema.get("items", schema) if schema.get("type") == "array" else schema
            if isinstance(filter_field, django_filters.NumberFilter) and "type" not in target:
                target["type"] = "number"
            if extra.get("max_length") is not None and target.get("type") == "string":
                target["maxLength"] = extra["max_length"]
            if target.get("type") == "string" and not any(k in target for k in ("pattern", "format", "enum")):
                target["pattern"] = r"^[^\u0000]*$"  # as core.api.NO_NUL: forms refuse a NUL
            if extra.get("min_value") is not None and target.get("type") in ("integer", "number"):
                target["minimum"] = extra["min_value"]
            if extra.get("max_value") is not None and target.get("type") in ("integer", "number"):
                target["maximum"] = extra["max_value"]
        return parameters


class BoundedDateFieldExtension(OpenApiSerializerFieldExtension):
    """A date in a request body limited to ``core.limits.EARLIEST_DATE`` – ``LATEST_DATE`` (its
    validators say so): the schema adds the pattern of every real day in that range, so a date
    the schema allows is one the API accepts."""

    target_class = "rest_framework.fields.DateField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        # Imported when the schema is built, like django_filters above: this module is imported
        # by every API view at start-up and the schema extensions run only for /api/schema/.
        from django.core.validators import MaxValueValidator, MinValueValidator  # noqa: PLC0415

        from core import limits  # noqa: PLC0415

        schema: dict[str, Any] = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        validators = self.target.validators
        lowest = [v.limit_value for v in validators if isinstance(v, MinValueValidator)]
        highest = [v.limit_value for v in validators if isinstance(v, MaxValueValidator)]
        if lowest == [limits.EARLIEST_DATE] and highest == [limits.LATEST_DATE]:
            schema["pattern"] = limits.BOUNDED_DATE
        return schema
