"""API plumbing shared by every app: pagination, error bodies, permissions, schema hooks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from senportal.core.errors import DomainError
from senportal.core.roles import Capability, user_can


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as JSON: ``{"detail": ..., "code": ..., "errors": {field: [...]}}``.

    Domain errors raised by services map to 400/403/409 here and nowhere else.
    """
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.errors:
            body["errors"] = exc.errors
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": "The data sent is not valid.", "code": "invalid", "errors": errors}
    elif isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error")}
    return response


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
