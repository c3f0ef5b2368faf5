"""Helpers the Jira tests share: a source config on a simulated site (either flavour), signed deliveries."""

from __future__ import annotations

import json
from typing import Any

from adapters.jira.config import JiraSourceConfig
from syncd.core.signatures import hmac_sha256_hex
from syncd.simulators.jira import JiraSimulator

EMAIL = "bot@acme.example"
TOKEN = "jira-test-token-0123456789"
#: The Data Center personal access token (Bearer) the simulated server accepts.
PAT = "jira-test-pat-0123456789"
#: Both flavours, for the tests that hold on each (`deployment` fixture).
FLAVOURS = ("Cloud", "DataCenter")
SECRET = "jira-test-webhook-secret-0123"


def jira_config(base_url: str = "https://acme.atlassian.net", **overrides: Any) -> JiraSourceConfig:
    """A `kind: jira` source following ENG, signed webhooks, with overrides."""
    raw: dict[str, Any] = {
        "name": "acme-jira",
        "kind": "jira",
        "base_url": base_url,
        "email": EMAIL,
        "token": TOKEN,
        "projects": ["ENG"],
        "webhook_secret": SECRET,
    }
    return JiraSourceConfig.model_validate(raw | overrides)


def flavour_config(sim: JiraSimulator, **overrides: Any) -> JiraSourceConfig:
    """A source on `sim` with the credentials its flavour takes: email + API token (Cloud) or a PAT (Data Center)."""
    if sim.site.cloud:
        return jira_config(**({"base_url": sim.url} | overrides))
    raw = jira_config(sim.url, token=PAT).model_dump(mode="json") | {"token": PAT, "webhook_secret": SECRET}
    raw.pop("email")
    return JiraSourceConfig.model_validate(raw | overrides)


def signed(
    payload: dict[str, Any] | bytes, *, identifier: str = "1", secret: str = SECRET
) -> tuple[dict[str, str], bytes]:
    """Headers (lower-cased, as the web layer hands them over) and body of a delivery signed as Jira signs."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "content-type": "application/json",
        "x-atlassian-webhook-identifier": identifier,
        "x-hub-signature": "sha256=" + hmac_sha256_hex(secret, body),
    }
    return headers, body


def issue_payload(event: str, key: str = "ENG-1", **fields: Any) -> dict[str, Any]:
    """A webhook body about one issue, its fields defaulting to an open labelled issue."""
    values: dict[str, Any] = {
        "summary": "Ship it",
        "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        "resolution": None,
        "labels": ["kr:ENG-1.1"],
        "updated": "2026-12-03T10:00:00.000+0000",
        "project": {"key": key.partition("-")[0]},
    } | fields
    return {"timestamp": 1, "webhookEvent": event, "issue": {"id": "10001", "key": key, "fields": values}}
