"""The failure vocabulary shared by the core, the adapters and the runtime.

Retry intent travels on the exception (kopf style): a client decides once whether a failure is
`Retriable` (with the delay the server asked for) or `Permanent`; tenacity retries only the former.
"""

from __future__ import annotations


class SyncdError(Exception):
    """Base class of every error syncd raises on purpose."""


class SignatureError(SyncdError):
    """A webhook delivery whose signature is missing or wrong (answered 401, nothing stored)."""


class MalformedPayload(SyncdError):
    """A webhook delivery whose body cannot be parsed or lacks what its event requires (answered 400)."""


class TrackerError(SyncdError):
    """A failed call to a tracker; subclasses say whether to try again."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Retriable(TrackerError):
    """Try again after `delay` seconds (429, 5xx, timeouts, secondary rate limits)."""

    def __init__(self, message: str, *, delay: float, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.delay = max(0.0, delay)


class RateLimited(Retriable):
    """The tracker said to slow down; `delay` honours Retry-After or the rate-limit reset time."""


class Permanent(TrackerError):
    """Retrying will not help (other 4xx): record it on the row and show it to admins."""


class NotFound(Permanent):
    """The remote object does not exist (404/410): a lost comment, a deleted task."""
