"""Verdicts and errors of the domain that do not come from a lifecycle table."""

from __future__ import annotations

from collections.abc import Collection

from app.domain.timeline import Verdict


class DomainError(Exception):
    """A request the domain refuses. ``kind`` tells the API layer which HTTP status fits."""

    kind = "invalid"
    status = "error"

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code

    def __reduce__(self) -> tuple[type[DomainError], tuple[str, str]]:
        """Pickled with its code: the event writer process sends refusals to the worker."""
        return type(self), (self.message, self.code)


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    kind = "conflict"


class Invalid(DomainError):
    kind = "invalid"


class TooLarge(DomainError):
    kind = "too_large"


class Gone(DomainError):
    kind = "gone"


class Unavailable(DomainError):
    kind = "unavailable"


def contract_not_found(number: str) -> Verdict:
    return Verdict(False, "contract_not_found", f"Contract {number} not found.")


def component_not_in_contract(component: str) -> Verdict:
    return Verdict(False, "component_not_in_contract", f"Component {component} is not part of this contract.")


def unsupported_event_type(event_type: str, supported: Collection[str]) -> Verdict:
    return Verdict(
        False,
        "unsupported_event_type",
        f"Unsupported event type '{event_type}'. Supported types: {', '.join(sorted(supported))}.",
    )


def rejudge_limit_exceeded(where: str, contract_number: str, component: str, limit: int) -> Conflict:
    """A request refused because placing it would judge too many stored events again."""
    return Conflict(
        f"{where}placing this event on contract {contract_number} would judge more than {limit:,} stored events "
        f"of {component} again (those created after it), more than one write may do (MAX_REJUDGE={limit}). "
        "Nothing was stored; an operator can raise the limit, or send the history in created_at order.",
        "rejudge_limit_exceeded",
    )
