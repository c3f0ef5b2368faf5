"""GitLab's profile in the bad-input matrix (tests/security/test_bad_inputs.py).

The source has both a secret token (`X-Gitlab-Token`, part of every delivery's headers here) and a signing token,
so the signature the matrix forges or leaves out is `webhook-signature` (Standard Webhooks over
`{webhook-id}.{webhook-timestamp}.{body}`). The signature covers the id and time of the last delivery made.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from syncd.simulators.gitlab.hooks import signature
from tests.gitlab.support import SIGNING_TOKEN
from tests.support.bad_inputs import Tracker

TOKEN = "bad-inputs-gitlab-token-4e9a1c"
SECRET = "bad-inputs-gitlab-secret-8b2f7d"


class GitLab(Tracker):
    """`X-Gitlab-Token` plus `webhook-signature: v1,<base64 HMAC>`; `X-Gitlab-Event` names the event."""

    kind, source, signature_header = "gitlab", "gl", "webhook-signature"
    secrets = (TOKEN, SECRET, SIGNING_TOKEN)

    def __init__(self) -> None:
        self._message, self._stamp = "", ""

    def source_config(self) -> dict[str, Any]:
        """A GitLab source following acme/web."""
        return {
            "name": self.source, "kind": "gitlab", "base_url": "http://127.0.0.1:9", "token": TOKEN,
            "projects": ["acme/web"], "webhook_secret": SECRET, "webhook_signing_token": SIGNING_TOKEN,
        }  # fmt: skip

    def signature(self, body: bytes) -> str:
        """`v1,<base64 HMAC-SHA256>` over the last delivery's id and timestamp and `body`."""
        return signature(SIGNING_TOKEN, self._message, self._stamp, body)

    def _headers(self, event: str) -> dict[str, str]:
        self._message, self._stamp = str(uuid.uuid4()), str(int(time.time()))
        return {"x-gitlab-event": event, "x-gitlab-token": SECRET, "idempotency-key": self._message,
                "webhook-id": self._message, "webhook-timestamp": self._stamp}  # fmt: skip

    def delivery(self) -> tuple[dict[str, str], bytes]:
        """An Issue Hook about an issue of the followed project, with a fresh id."""
        attributes = {"id": 301, "iid": 1, "title": "Ship it", "state": "opened", "action": "update",
                      "updated_at": "2026-10-02T10:00:00Z", "labels": [{"title": "kr:ENG-1.1"}]}  # fmt: skip
        payload = {
            "object_kind": "issue",
            "project": {"path_with_namespace": "acme/web"},
            "object_attributes": attributes,
        }
        return self._headers("Issue Hook"), json.dumps(payload).encode()

    def unused(self) -> tuple[dict[str, str], bytes]:
        """A Push Hook: syncd does not use it."""
        body = json.dumps({"object_kind": "push", "project": {"path_with_namespace": "acme/web"}}).encode()
        return self._headers("Push Hook"), body


PROFILE = GitLab()
