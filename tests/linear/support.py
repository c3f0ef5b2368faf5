"""Helpers the Linear tests share: a source config on a simulated workspace, signed deliveries, the schema check."""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

from adapters.linear.config import LinearSourceConfig
from syncd.core.signatures import hmac_sha256_hex
from syncd.simulators.linear.app import LoggedRequest
from tests.conftest import VENDOR_DATA

TOKEN = "lin_api_test_token_0123456789"
SECRET = "linear-test-webhook-secret-0123"
#: Linear's published GraphQL schema (read from the shared vendor data, never copied here).
LINEAR_SCHEMA = VENDOR_DATA / "linear-graphql" / "schema.graphql"


def linear_config(base_url: str = "https://api.linear.app", **overrides: Any) -> LinearSourceConfig:
    """A `kind: linear` source following ENG, signed webhooks, with overrides."""
    raw: dict[str, Any] = {
        "name": "acme-linear",
        "kind": "linear",
        "base_url": base_url,
        "token": TOKEN,
        "teams": ["ENG"],
        "webhook_secret": SECRET,
    }
    return LinearSourceConfig.model_validate(raw | overrides)


def signed(
    payload: dict[str, Any] | bytes, *, delivery: str | None = None, secret: str = SECRET, event: str = "Issue"
) -> tuple[dict[str, str], bytes]:
    """Headers (lower-cased, as the web layer hands them over) and body of a delivery signed as Linear signs."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "content-type": "application/json; charset=utf-8",
        "linear-delivery": delivery or str(uuid.uuid4()),
        "linear-event": event,
        "linear-signature": hmac_sha256_hex(secret, body),
    }
    return headers, body


def issue_payload(action: str = "update", identifier: str = "ENG-1", **data: Any) -> dict[str, Any]:
    """A webhook body about one issue, stamped now, its data defaulting to an open labelled issue of ENG."""
    values: dict[str, Any] = {
        "id": "3443a709-f2b5-46f2-a136-a0445fd432be",
        "identifier": identifier,
        "number": int(identifier.rpartition("-")[2]),
        "title": "Ship it",
        "updatedAt": "2026-12-03T10:00:00.000Z",
        "state": {"id": "s1", "name": "Todo", "type": "unstarted", "color": "#e2e2e2"},
        "team": {"id": "t1", "key": identifier.partition("-")[0], "name": "Engineering"},
        "labels": [{"id": "l1", "name": "kr:ENG-1.1", "color": "#fff"}],
        "previousIdentifiers": [],
        "url": f"https://linear.app/acme/issue/{identifier}/ship-it",
    } | data
    return {"action": action, "type": "Issue", "data": values, "createdAt": values["updatedAt"],
            "organizationId": "org", "webhookId": "hook", "webhookTimestamp": int(time.time() * 1000)}  # fmt: skip


@functools.cache
def _checker() -> Any:
    from syncd.simulators.kit.graphql import GraphQLChecker

    return GraphQLChecker.from_file(LINEAR_SCHEMA)


def schema_problems(requests: Sequence[LoggedRequest]) -> list[str]:
    """Why any logged request would be refused by Linear's published schema (empty: each one validates)."""
    problems: list[str] = []
    for request in requests:
        body = request.body if isinstance(request.body, dict) else {}
        query = body.get("query")
        if not isinstance(query, str):
            problems.append(f"{request.path}: no query")
            continue
        problems += _checker().problems(query, body.get("variables"), body.get("operationName"))
    return problems
