"""Errors a person can cause, each with a Dutch message that can be shown as is."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotFound(ServiceError):
    """Unknown, or not yours to see: the same answer, so existence does not leak."""

    status_code = 404

    def __init__(
        self, message: str = "Deze pagina bestaat niet, of je hebt er geen toegang toe."
    ) -> None:
        super().__init__(message)


class Forbidden(ServiceError):
    status_code = 403

    def __init__(self, message: str = "Dit mag je niet doen in deze casus.") -> None:
        super().__init__(message)


class InvalidInput(ServiceError):
    status_code = 422


class Conflict(ServiceError):
    status_code = 409


class Gone(ServiceError):
    status_code = 410


class TooManyAttempts(ServiceError):
    """Too many tries: wait ``retry_after`` seconds (sent as the Retry-After header)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
