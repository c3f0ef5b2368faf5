"""The only module of the webhook store that does I/O: one signed POST per event over httpx.

Any answer other than 2xx, a timeout or a refused connection is `Retriable` (Standard Webhooks receivers
answer 2xx when they took the event); the store decides when to stop. The answer is kept short in the message.
"""

from __future__ import annotations

import httpx

from syncd.core.errors import Retriable


class WebhookClient:
    """POSTs signed events to one URL."""

    def __init__(self, url: str, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout, transport=transport, headers={"user-agent": "syncd"})

    def post(self, body: bytes, headers: dict[str, str], delay: float) -> int:
        """Send one event; the status of a 2xx answer, else `Retriable(delay)` with the answer."""
        try:
            response = self._client.post(
                self.url, content=body, headers={"content-type": "application/json", **headers}
            )
        except httpx.TimeoutException:
            raise Retriable("the webhook receiver did not answer in time; will retry", delay=delay) from None
        except httpx.TransportError as error:
            raise Retriable(f"the webhook receiver could not be reached ({type(error).__name__}); will retry",
                            delay=delay) from None  # fmt: skip
        if not response.is_success:
            said = response.text.strip()[:200]
            raise Retriable(f"the webhook receiver answered {response.status_code}" + (f": {said}" if said else "")
                            + "; will retry", delay=delay, status=response.status_code)  # fmt: skip
        return response.status_code

    def close(self) -> None:
        """Release connections."""
        self._client.close()
