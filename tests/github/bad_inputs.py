"""GitHub's profile in the bad-input matrix (tests/security/test_bad_inputs.py)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from syncd.core.signatures import hmac_sha256_hex
from tests.support.bad_inputs import Tracker

TOKEN = "bad-inputs-github-token-5e1f0a"
SECRET = "bad-inputs-github-secret-8c2d4b"


class GitHub(Tracker):
    """X-Hub-Signature-256 under the configured secret; X-GitHub-Event names the event."""

    kind, source, signature_header = "github", "gh", "x-hub-signature-256"
    secrets = (TOKEN, SECRET)

    def source_config(self) -> dict[str, Any]:
        """A GitHub source following acme/web."""
        return {
            "name": self.source, "kind": "github", "base_url": "http://127.0.0.1:9", "token": TOKEN,
            "webhook_secret": SECRET, "repos": ["acme/web"],
        }  # fmt: skip

    def signature(self, body: bytes) -> str:
        """`sha256=<hex HMAC>`."""
        return "sha256=" + hmac_sha256_hex(SECRET, body)

    def delivery(self) -> tuple[dict[str, str], bytes]:
        """`issues.labeled` on a followed repository, with a fresh delivery id."""
        issue = {
            "number": 1, "id": 11, "node_id": "I_1", "title": "Ship it", "state": "open", "state_reason": None,
            "labels": [{"name": "kr:ENG-1.1"}], "assignees": [], "html_url": "https://github.com/acme/web/issues/1",
            "updated_at": "2026-10-02T10:00:00Z", "created_at": "2026-10-01T10:00:00Z", "closed_at": None,
        }  # fmt: skip
        payload = {"action": "labeled", "issue": issue, "repository": {"full_name": "acme/web"}}
        headers = {"x-github-event": "issues", "x-github-delivery": str(uuid.uuid4())}
        return headers, json.dumps(payload).encode()

    def unused(self) -> tuple[dict[str, str], bytes]:
        """A `deployment_status` event: syncd does not use it."""
        headers = {"x-github-event": "deployment_status", "x-github-delivery": str(uuid.uuid4())}
        return headers, json.dumps({"action": "created", "repository": {"full_name": "acme/web"}}).encode()


PROFILE = GitHub()
