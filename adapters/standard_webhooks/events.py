"""Pure: the events a KR's or objective's standing asks for, and how one is signed (Standard Webhooks).

Each event target's content is its JSON body; what decides whether it changed (`basis`) is only the facts its
type is about: progress, done/total and current for `*.progress_changed`, the status for
`key_result.status_changed`. Expected progress and the moment are in the body but not in the basis, so an idle
day sends nothing. The body is frozen while the basis stands, so its `webhook-id` (derived from store, key and
body) is the same on every retry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from syncd.ports import OkrState, PushWrite, WriteKind


def event_writes(state: OkrState, events: list[str]) -> list[PushWrite]:
    """One event target per configured event type that applies to this state."""
    writes = []
    for event in events:
        subject, _, what = event.partition(".")
        if subject != state.subject:
            continue
        facts: dict[str, Any] = {"status": state.status} if what == "status_changed" else _progress_facts(state)
        body = {"type": event, "timestamp": _moment(state, what), "data": _data(state)}
        writes.append(
            PushWrite(WriteKind.EVENT, f"{event}:{state.id}", text=_json(body), basis=_json({"type": event, **facts}))
        )
    return writes


def _progress_facts(state: OkrState) -> dict[str, Any]:
    return {"progress": round(state.progress, 6), "done": state.done, "total": state.total, "current": state.current}


def _moment(state: OkrState, what: str) -> str | None:
    at = state.changed_at if what == "progress_changed" and state.changed_at is not None else state.computed_at
    return _iso(at)


def _data(state: OkrState) -> dict[str, Any]:
    data: dict[str, Any] = {
        state.subject: {"id": state.id, "title": state.title},
        "cycle": state.cycle,
        "progress": round(state.progress, 6),
        "expected": round(state.expected, 6),
        "status": state.status,
    }
    if state.subject == "key_result":
        data[state.subject]["objective"] = state.objective
        data.update(done=state.done, total=state.total, current=state.current, sources=list(state.sources))
    return data


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def message_id(store: str, key: str, body: str) -> str:
    """The `webhook-id`: the same for the same event on every retry, new for a new event."""
    return "msg_" + hashlib.sha256(f"{store}\n{key}\n{body}".encode()).hexdigest()[:32]


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`."""
    signed = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(signed).decode()


def event_time(body: str) -> datetime | None:
    """The `timestamp` of an event body (when its change happened), or None."""
    try:
        value = json.loads(body).get("timestamp")
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
    except (ValueError, AttributeError):
        return None
