"""A real HTTP receiver of outbound webhooks on 127.0.0.1 that verifies each delivery with the independent
`standardwebhooks` package, answers the statuses it is told to (then 204), and keeps what it received."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got: its Standard Webhooks headers, body, whether it verified, and our answer."""

    webhook_id: str
    timestamp: str
    signature: str
    body: dict[str, Any]
    verified: bool
    answered: int


class Receiver:
    """Deliveries in arrival order; `answers` are popped one per delivery (then 204, or 401 unverified)."""

    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.answers: list[int] = []
        self._deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def deliveries(self) -> list[Delivery]:
        """A copy of what arrived."""
        with self._lock:
            return list(self._deliveries)

    def clear(self) -> None:
        """Forget what arrived."""
        with self._lock:
            self._deliveries.clear()

    def take(self, headers: dict[str, str], raw: bytes) -> int:
        """Verify and keep one delivery; the status to answer."""
        try:
            self.webhook.verify(raw, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        with self._lock:
            # A told answer first (an outage); else 204 for a verified delivery, 401 for one that is not.
            status = self.answers.pop(0) if self.answers else 204 if verified else 401
            self._deliveries.append(
                Delivery(headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""),
                         headers.get("webhook-signature", ""), json.loads(raw), verified, status)
            )  # fmt: skip
        return status


@contextmanager
def receiving(secret: str) -> Iterator[tuple[Receiver, str]]:
    """A receiver verifying with `secret`, served on a free loopback port: (receiver, its URL)."""
    receiver = Receiver(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.take({k.lower(): v for k, v in self.headers.items()}, raw)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}/okr"
    finally:
        server.shutdown()
        server.server_close()
