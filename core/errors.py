"""Domain errors raised by services; mapped once to HTTP (API) and to error summaries (pages)."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action. ``field`` names the input at fault, if any."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})


class ValidationFailed(DomainError):
    """Input that a rule rejects (400), with the fields at fault."""

    status_code = 400
    code = "invalid"


class InvalidTransition(DomainError):
    """The action is not allowed in the case's current status (409)."""

    status_code = 409
    code = "invalid_transition"


class Conflict(DomainError):
    """Somebody else changed the record first, or a uniqueness rule holds (409)."""

    status_code = 409
    code = "conflict"


class NotPermitted(DomainError):
    """The user's role or relation to the record does not allow the action (403)."""

    status_code = 403
    code = "permission_denied"


class ReferenceNotFound(DomainError):
    """The data sent names a record (by its id) that is not there, or not one the user may see
    (404, the field named in ``errors``). The body is well formed; what it points at is
    missing, as when the id is in the path (docs/security.md, "The schema says what the API
    does")."""

    status_code = 404
    code = "not_found"
