"""Helpers the GitLab tests share: a source config, deliveries as GitLab sends them, hook payloads."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from adapters.gitlab.config import GitLabSourceConfig
from syncd.simulators.gitlab.hooks import signature

TOKEN = "gitlab-test-token-0123456789"
SECRET = "gitlab-test-webhook-secret-0123"
SIGNING_TOKEN = "whsec_" + base64.b64encode(b"gitlab-test-signing-key-32-bytes").decode()


def gitlab_config(base_url: str = "https://gitlab.example.com", **overrides: Any) -> GitLabSourceConfig:
    """A `kind: gitlab` source following acme/web, token-authenticated and signed hooks, with overrides."""
    raw: dict[str, Any] = {
        "name": "acme-gitlab",
        "kind": "gitlab",
        "base_url": base_url,
        "token": TOKEN,
        "projects": ["acme/web"],
        "webhook_secret": SECRET,
        "webhook_signing_token": SIGNING_TOKEN,
    }
    return GitLabSourceConfig.model_validate(raw | overrides)


def delivered(
    payload: dict[str, Any] | bytes,
    event: str = "Issue Hook",
    *,
    token: str | None = SECRET,
    signing_token: str | None = SIGNING_TOKEN,
    message_id: str | None = None,
    sent: float | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers (lower-cased, as the web layer hands them over) and body of a delivery as GitLab sends it."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    message_id = message_id or str(uuid.uuid4())
    stamp = str(int(time.time() if sent is None else sent))
    headers = {"content-type": "application/json", "x-gitlab-event": event, "idempotency-key": message_id,
               "webhook-id": message_id, "webhook-timestamp": stamp, "x-gitlab-event-uuid": str(uuid.uuid4())}  # fmt: skip
    if token is not None:
        headers["x-gitlab-token"] = token
    if signing_token is not None:
        headers["webhook-signature"] = signature(signing_token, message_id, stamp, body)
    return headers, body


def issue_hook(action: str = "update", *, project: str = "acme/web", iid: int = 1, **attributes: Any) -> dict[str, Any]:
    """An Issue Hook body about one issue, its attributes defaulting to an open labelled issue."""
    values: dict[str, Any] = {
        "id": 301, "iid": iid, "title": "Ship it", "state": "opened", "action": action,
        "updated_at": "2026-12-03T10:00:00Z", "labels": [{"title": "kr:ENG-1.1"}], "moved_to_id": None,
        "duplicated_to_id": None, "url": f"https://gitlab.example.com/{project}/-/issues/{iid}",
    } | attributes  # fmt: skip
    return {"object_kind": "issue", "event_type": "issue", "project": {"id": 1, "path_with_namespace": project},
            "object_attributes": values, "labels": values["labels"]}  # fmt: skip
