"""Jira's profile in the bad-input matrix (tests/security/test_bad_inputs.py)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from syncd.core.signatures import hmac_sha256_hex
from tests.support.bad_inputs import Tracker

TOKEN = "bad-inputs-jira-token-7f3b2a"
SECRET = "bad-inputs-jira-secret-1c8e6d"


class Jira(Tracker):
    """X-Hub-Signature (`sha256=<hex>`) under the admin webhook's secret; the body's `webhookEvent` names the event."""

    kind, source, signature_header = "jira", "ji", "x-hub-signature"
    secrets = (TOKEN, SECRET)

    def source_config(self) -> dict[str, Any]:
        """A Jira Cloud source following project ENG."""
        return {
            "name": self.source, "kind": "jira", "base_url": "http://127.0.0.1:9", "email": "bot@acme.example",
            "token": TOKEN, "webhook_secret": SECRET, "projects": ["ENG"],
        }  # fmt: skip

    def signature(self, body: bytes) -> str:
        """`sha256=<hex HMAC>`."""
        return "sha256=" + hmac_sha256_hex(SECRET, body)

    def delivery(self) -> tuple[dict[str, str], bytes]:
        """`jira:issue_updated` of an issue of the followed project, with a fresh webhook identifier."""
        fields = {
            "summary": "Ship it", "labels": ["kr:ENG-1.1"], "updated": "2026-10-02T10:00:00.000+0000",
            "status": {"name": "To Do", "statusCategory": {"key": "new"}}, "resolution": None,
            "project": {"key": "ENG"},
        }  # fmt: skip
        payload = {"webhookEvent": "jira:issue_updated", "issue": {"id": "10001", "key": "ENG-1", "fields": fields}}
        return {"x-atlassian-webhook-identifier": str(uuid.uuid4())}, json.dumps(payload).encode()

    def unused(self) -> tuple[dict[str, str], bytes]:
        """A `jira:version_released` event: syncd does not use it."""
        body = json.dumps({"webhookEvent": "jira:version_released", "version": {"id": "10000"}}).encode()
        return {"x-atlassian-webhook-identifier": str(uuid.uuid4())}, body


PROFILE = Jira()
