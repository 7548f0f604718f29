"""API plumbing shared by every app: pagination, error bodies, permissions, schema hooks."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.ids import MAX_ID as MAX_ID  # re-exported: the apps' serializers name it from here
from core.roles import Capability, user_can

# Lists count at most this many rows (docs/benchmarks.md finding 1): an exact COUNT(*) of a
# national table costs a scan of every row on every page.
COUNT_CAP = 10_000
MAX_COUNT = 2**31 - 1  # a LIMIT every database accepts


def count_cap() -> int:
    """The cap, from the ``PAGINATION_COUNT_CAP`` setting when it is set (tests use a small one)."""
    return int(getattr(settings, "PAGINATION_COUNT_CAP", COUNT_CAP))


def capped_count(queryset: QuerySet[Any], cap: int) -> tuple[int, bool]:
    """``(count, capped)``: the exact count when it is at most ``cap``; else ``(cap, True)``.

    ``SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)``: the database stops after cap + 1 rows
    whatever the table's size.
    """
    counted = queryset.order_by()[: cap + 1].count()
    return (cap, True) if counted > cap else (counted, False)


class CappedPaginator(Paginator):
    """A Django paginator whose count stops at a cap; ``capped`` says when it did.

    The cap is rounded up to whole pages. When capped, ``count`` is a lower bound and there is
    always one more page than the rows counted fill, so "next" keeps working. Asking for a page
    past the cap counts as far as that page (the cost of its OFFSET anyway), so every page can
    be reached one after another.
    """

    def __init__(self, object_list: Any, per_page: int | str, *, cap: int | None = None, **kwargs: Any):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap if cap is not None else count_cap()
        self.capped = False
        self._reach(1)

    def _reach(self, page: int) -> None:
        """Count at least as far as the end of ``page``, in whole pages: a capped count never
        cuts the page shown short."""
        per_page = int(self.per_page)
        pages = -(-max(self.cap, page * per_page) // per_page)
        self.cap = min(pages * per_page, MAX_COUNT)

    def validate_number(self, number: Any) -> int:
        # Before the first count (page() and get_page() validate first): count far enough to
        # reach the page asked for.
        if "count" not in self.__dict__:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                wanted = 1
            if wanted > 1:
                self._reach(wanted)
        return super().validate_number(number)

    def get_page(self, number: Any) -> Any:
        """As Django's, except that a number below 1 gives the first page: Django's fallback
        (the last page) would be the empty page after the cap when the count is capped."""
        try:
            if int(number) < 1:
                number = 1
        except (TypeError, ValueError):
            pass
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        if not hasattr(self.object_list, "order_by"):
            return len(self.object_list)
        counted, self.capped = capped_count(self.object_list, self.cap)
        return counted

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return pages + 1 if self.count and self.capped else pages

    @property
    def last_counted_page(self) -> int:
        """The last page the count reached (``num_pages`` when not capped)."""
        pages = self.num_pages  # counts first: only then is ``capped`` known
        return pages - 1 if self.capped else pages


class Pagination(PageNumberPagination):
    """25 a page (``page_size`` up to 100); ``count`` exact up to the cap, then
    ``count_capped: true`` with ``count`` the cap (see ``CappedPaginator``)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    # None: the PAGINATION_COUNT_CAP setting, else COUNT_CAP.
    count_cap: int | None = None

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> list[Any] | None:
        self._cap = self.count_cap if self.count_cap is not None else count_cap()
        return super().paginate_queryset(queryset, request, view)

    # DRF declares this attribute as a paginator class and only ever calls it; a method that
    # builds the capped paginator with this pagination's cap is called the same way.
    def django_paginator_class(self, object_list: Any, per_page: int) -> CappedPaginator:  # type: ignore[override]
        return CappedPaginator(object_list, per_page, cap=self._cap)

    def get_page_size(self, request: Request) -> int:
        """``page_size`` as the schema declares it: a whole number from 1 to ``max_page_size``.
        Anything else (``null``, ``0``, ``1e3``) is a 400 naming it, not quietly the default."""
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        value = raw[-1]
        if not (value.isascii() and value.isdigit() and 1 <= int(value) <= self.max_page_size):
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return int(value)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        page_number = request.query_params.get(self.page_query_param) or 1
        if page_number in self.last_page_strings:
            return paginator.last_counted_page  # the last page known; past the cap, "next" goes on
        return page_number

    def get_paginated_response(self, data: Any) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        cap = self.count_cap if self.count_cap is not None else COUNT_CAP
        response["required"] = ["count", "count_capped", "results"]
        properties = response["properties"]
        properties["count"]["description"] = (
            f"The number of matching rows, counted up to {cap:,}. When `count_capped` is true there are "
            "more than that: `count` is the number counted, and `next` still leads on."
        )
        response["properties"] = {
            "count": properties["count"],
            "count_capped": {
                "type": "boolean",
                "example": False,
                "description": "True when more rows match than were counted (`count` is then a lower bound).",
            },
            **{k: v for k, v in properties.items() if k != "count"},
        }
        return response


def _note_refusal(context: dict[str, Any], code: str) -> None:
    """The reason code for the ``authz_fail`` security event that ``core.middleware`` writes."""
    django_request = getattr(context.get("request"), "_request", None)
    if django_request is not None:
        django_request.authz_reason = code[:40]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as JSON: ``{"detail": ..., "code": ..., "errors": {field: [...]}}``.

    Domain errors raised by services map to 400/403/409 here and nowhere else.
    """
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.errors:
            body["errors"] = exc.errors
        if exc.status_code == 403:
            _note_refusal(context, exc.code)
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == 403:
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", "")
        _note_refusal(context, str(code or "permission_denied"))
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": "The data sent is not valid.", "code": "invalid", "errors": errors}
    elif isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error")}
    return response


class IdFilter(django_filters.Filter):
    """An id filter: any whole number, as the schema says (``integer``); one that cannot be an
    id (below 1, above ``MAX_ID``) matches nothing rather than reaching the database."""

    field_class = forms.IntegerField

    def filter(self, qs: Any, value: Any) -> Any:
        if value is not None and not 1 <= value <= MAX_ID:
            return qs.none()
        return super().filter(qs, value)


def _names_no_record(filterset: Any, errors: dict[str, Any]) -> bool:
    """Whether every filter error is a record filter (``ModelChoiceFilter``) given a whole
    number that names no record: a value the schema allows (an integer id), which matches
    nothing, rather than bad input."""
    for name, found in errors.items():
        declared = filterset.filters.get(name)
        value = filterset.data.get(name, "")
        if not isinstance(declared, django_filters.ModelChoiceFilter) or not re.fullmatch(r"-?\d{1,30}", value):
            return False
        if any(error.code != "invalid_choice" for error in found):
            return False
    return bool(errors)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, held to what the schema says of each filter: a yes/no filter takes
    ``true`` or ``false``, and no filter but free text takes an empty value. django-filter
    would read ``?open=null`` or ``?status=`` as "no filter" and answer as if nothing were
    asked; here they are a 400 naming the filter."""

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors: dict[str, list[str]] = {}
        for name, declared in filterset.filters.items():
            for value in request.query_params.getlist(name):
                if isinstance(declared, django_filters.BooleanFilter) and value not in ("true", "false"):
                    errors[name] = ["Enter true or false."]
                elif value == "" and not isinstance(declared, django_filters.CharFilter):
                    errors[name] = ["Enter a value, or leave this filter out."]
        if errors:
            raise exceptions.ValidationError(errors)
        return filterset

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            if _names_no_record(filterset, filterset.form.errors.as_data()):
                return queryset.none()  # an id of no record (or none the user may see): no rows
            raise translate_validation(filterset.errors)
        return filterset.qs


class HasCapability(permissions.BasePermission):
    """Allow the request when the user's roles grant ``view.required_capability`` (for reads)
    and ``view.write_capability`` (for unsafe methods, when set)."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        capability: Capability | None = getattr(view, "required_capability", None)
        if request.method not in permissions.SAFE_METHODS:
            capability = getattr(view, "write_capability", None) or capability
        return capability is None or user_can(request.user, capability)


class CanReadApiSchema(permissions.BasePermission):
    """The OpenAPI schema and its Swagger UI: for the roles that integrate with the API
    (``Capability.API_INTEGRATE``: administrators). Anyone else, signed in or not, is told
    there is nothing there (404), as for any other unknown path: the schema is a map of every
    endpoint and its rules, and no caseworker needs it to do their work. Without credentials
    the answer is 401, as for any path under /api/."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # 401, as for every path under /api/ (core.api.NotFoundView too)
        if user_can(request.user, Capability.API_INTEGRATE):
            return True
        # The API's JSON 404, whichever renderer (YAML, Swagger's HTML) the view would have used.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
        raise exceptions.NotFound()


class NotFoundView(APIView):
    """A JSON 404 for any unknown path under /api/ (authentication still applies first)."""

    schema = None

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"detail": "Not found.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)

    post = put = patch = delete = get


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail"],
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: document the error responses DRF really sends.

    drf-spectacular documents only the success response; every operation can also answer
    400 (bad input or filter), 401/403 (authentication, role), 404 (unknown id or page) and,
    for actions, 409 (not allowed in the current status).
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for _path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400", "401", "403", "404"]
            if method in {"post", "put", "patch", "delete"}:
                codes.append("409")
            for code in codes:
                operation["responses"].setdefault(
                    code, {"description": "Error", "content": {"application/json": {"schema": ref}}}
                )
    return result


# Text without a NUL character: what Django and DRF accept in any text field or filter.
NO_NUL = r"^[^\u0000]*$"


def close_request_bodies(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: request bodies take only the fields they name.

    Every write reads its body through ``core.viewsets.DeclaredCapabilities.validated``, which
    refuses a field the endpoint does not take (a misspelt or renamed field is never silently
    ignored). The schema says so: ``additionalProperties: false`` on every object in a request
    body (the ``…Request`` components, split from the responses by ``COMPONENT_SPLIT_REQUEST``,
    and any inline body). And text there takes no NUL character (``NO_NUL``), as DRF refuses it.
    """

    def close(schema: Any) -> None:
        if not isinstance(schema, dict):
            return
        if schema.get("type") == "string" and not any(k in schema for k in ("pattern", "format", "enum")):
            schema["pattern"] = NO_NUL  # DRF refuses a NUL character in any text field
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
        for value in schema.get("properties", {}).values():
            close(value)
        for key in ("items",):
            close(schema.get(key))
        for key in ("allOf", "oneOf", "anyOf"):
            for part in schema.get(key, []):
                close(part)

    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            close(component)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                close(content.get("schema"))
    return result
