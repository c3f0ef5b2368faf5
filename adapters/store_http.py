"""The HTTP plumbing the OKR stores share: one httpx client per store, each failure mapped once.

The mapping is pure (`failure_from`): 429 -> `RateLimited` honouring `Retry-After` (else 60 s: the stores
document no reset header), 5xx -> `Retriable`, 404/410 -> `NotFound`, 401/403 -> `Permanent` saying to check
the token, other 4xx -> `Permanent` with the store's own message. No request is retried in-line: the pusher
decides every wait. Messages never carry credentials (the token travels only in a header).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable, TrackerError

#: The wait after a 429 that names none (seconds).
UNNAMED_WAIT = 60.0


def _seconds(value: str | None) -> float | None:
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None


def failure_from(vendor: str, status: int, headers: Mapping[str, str], body: str, *, where: str) -> TrackerError:
    """What a failed answer means (`headers` lower-cased; `body` the store's answer, cut short)."""
    said = f"{vendor} answered {status} to {where}" + (f": {body.strip()[:300]}" if body.strip() else "")
    if status == 429:
        delay = _seconds(headers.get("retry-after"))
        delay = UNNAMED_WAIT if delay is None else delay
        return RateLimited(f"{said}; retry after {delay:.3g}s", delay=delay, status=status)
    if status >= 500:
        return Retriable(f"{said}; will retry", delay=_seconds(headers.get("retry-after")) or 0.0, status=status)
    if status in (404, 410):
        return NotFound(f"{said}; check the id in the store's config (it was deleted, or the token cannot see it)",
                        status=status)  # fmt: skip
    if status in (401, 403):
        return Permanent(f"{said}; the token is wrong, expired, or may not write there", status=status)
    return Permanent(said, status=status)


class StoreHttp:
    """Blocking JSON requests to one store's API root; thread-safe (httpx.Client is)."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        headers: Mapping[str, str],
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            headers={"user-agent": "syncd", "accept": "application/json", **headers},
            timeout=timeout,
            transport=transport,
        )

    def request(self, method: str, path: str, *, where: str, json: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Response:  # fmt: skip
        """Send one request; a 2xx answer is returned, anything else raised as `Retriable` or `Permanent`."""
        try:
            response = self._client.request(
                method, self.base_url + path, json=json, content=content, headers=dict(headers or {})
            )
        except httpx.TimeoutException:
            raise Retriable(f"{self.vendor} {where} timed out; will retry", delay=0.0) from None
        except httpx.TransportError as error:
            raise Retriable(f"{self.vendor} {where} failed in transit ({type(error).__name__}); will retry",
                            delay=0.0) from None  # fmt: skip
        if response.is_success:
            return response
        lowered = {name.lower(): value for name, value in response.headers.items()}
        raise failure_from(self.vendor, response.status_code, lowered, response.text[:500], where=where)

    @property
    def is_closed(self) -> bool:
        """Whether `close` was called (a retired store's client refuses every request)."""
        return self._client.is_closed

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
