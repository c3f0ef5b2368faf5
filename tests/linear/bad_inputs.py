"""Linear's profile in the bad-input matrix (tests/security/test_bad_inputs.py)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from syncd.core.signatures import hmac_sha256_hex
from tests.support.bad_inputs import Tracker

TOKEN = "lin_api_bad_inputs_4d2e9a"
SECRET = "bad-inputs-linear-secret-8b1f3c"


class Linear(Tracker):
    """Linear-Signature (hex HMAC-SHA256 of the body) under the webhook's secret; the body's `type` names the event."""

    kind, source, signature_header = "linear", "li", "linear-signature"
    secrets = (TOKEN, SECRET)

    def source_config(self) -> dict[str, Any]:
        """A Linear source following team ENG."""
        return {"name": self.source, "kind": "linear", "base_url": "http://127.0.0.1:9", "token": TOKEN,
                "webhook_secret": SECRET, "teams": ["ENG"]}  # fmt: skip

    def signature(self, body: bytes) -> str:
        """`<hex HMAC>`."""
        return hmac_sha256_hex(SECRET, body)

    def _headers(self, event: str) -> dict[str, str]:
        return {"linear-delivery": str(uuid.uuid4()), "linear-event": event}

    def delivery(self) -> tuple[dict[str, str], bytes]:
        """An `Issue` update of a followed team's issue, stamped now."""
        data = {
            "id": str(uuid.uuid4()), "identifier": "ENG-1", "number": 1, "title": "Ship it",
            "updatedAt": "2026-10-02T10:00:00.000Z", "state": {"type": "unstarted", "name": "Todo"},
            "team": {"key": "ENG"}, "labels": [{"id": "l1", "name": "kr:ENG-1.1", "color": "#fff"}],
        }  # fmt: skip
        payload = {"action": "update", "type": "Issue", "data": data, "webhookTimestamp": int(time.time() * 1000)}
        return self._headers("Issue"), json.dumps(payload).encode()

    def unused(self) -> tuple[dict[str, str], bytes]:
        """A `Project` update: syncd does not use projects."""
        payload = {
            "action": "update",
            "type": "Project",
            "data": {"id": "p1"},
            "webhookTimestamp": int(time.time() * 1000),
        }
        return self._headers("Project"), json.dumps(payload).encode()


PROFILE = Linear()
