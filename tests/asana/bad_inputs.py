"""Asana's profile in the bad-input matrix (tests/security/test_bad_inputs.py)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from syncd.core.signatures import hmac_sha256_hex
from tests.support.bad_inputs import Tracker

TOKEN = "bad-inputs-asana-token-3a9e7c"
SECRET = "bad-inputs-asana-handshake-6b0f1d"
PROJECT = "1200000000000002"


class Asana(Tracker):
    """X-Hook-Signature under the secret of the webhook's handshake; a delivery is a batch of compact events.

    A batch of events no source could act on (comment stories, syncd's own among them) is acknowledged and not
    stored, like the heartbeat."""

    kind, source, signature_header = "asana", "as", "x-hook-signature"
    query = f"?resource={PROJECT}"
    secrets = (TOKEN, SECRET)
    handshake_secret = (PROJECT, SECRET, "1200000000000009")
    accepted_status = 200  # Asana retries any other answer, then disables the webhook

    def source_config(self) -> dict[str, Any]:
        """An Asana source following one project."""
        return {
            "name": self.source, "kind": "asana", "base_url": "http://127.0.0.1:9/api/1.0", "token": TOKEN,
            "workspace": "1200000000000001", "projects": [PROJECT],
        }  # fmt: skip

    def signature(self, body: bytes) -> str:
        """Hex HMAC of the body."""
        return hmac_sha256_hex(SECRET, body)

    def delivery(self) -> tuple[dict[str, str], bytes]:
        """A task of the followed project changed (a fresh gid, so a fresh delivery)."""
        event = {
            "action": "changed",
            "resource": {"gid": str(uuid.uuid4().int)[:16], "resource_type": "task"},
            "parent": {"gid": PROJECT, "resource_type": "project"},
            "created_at": "2026-10-02T10:00:00.000Z",
        }
        return {}, json.dumps({"events": [event]}).encode()

    def unused(self) -> tuple[dict[str, str], bytes]:
        """A comment added to a task of the project: it changes nothing syncd reads."""
        event = {
            "action": "added",
            "resource": {
                "gid": str(uuid.uuid4().int)[:16],
                "resource_type": "story",
                "resource_subtype": "comment_added",
            },
            "parent": {"gid": "1300000000000001", "resource_type": "task"},
            "created_at": "2026-10-02T10:00:00.000Z",
        }
        return {}, json.dumps({"events": [event]}).encode()


PROFILE = Asana()
