"""Every shape a *validly signed* webhook body can take ends in 2xx (stored or ignored) or 400, never a 5xx,
for each tracker's real intake behind the real web route (GitHub and Asana with their own event mixes, every
registered tracker through its bad-input profile); and a stored delivery is interpreted or refused
with `MalformedPayload`, never a `TypeError`.

Bodies are the trackers' own payload shapes with parts replaced by arbitrary JSON, plus arbitrary JSON and
bytes. Bounded for CI (a few seconds); the long run the issue asks for, 20,000 requests per tracker:

    SYNCD_FUZZ_EXAMPLES=20000 python -m pytest -q tests/security/test_webhook_fuzz.py
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.core.errors import MalformedPayload
from syncd.core.signatures import hmac_sha256_hex
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.ingest.delivery_writer import DeliveryWriter
from syncd.runtime.reload import build_adapters, close_adapters
from syncd.store.schema import WebhookSecret
from syncd.web.app import WebhookFastPath, create_app
from tests.support.bad_inputs import Tracker
from tests.support.profiled_intake import Served, serving_trackers, tracker_profiles
from tests.support.webhooks import migrated_sqlite

EXAMPLES = int(os.environ.get("SYNCD_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 1000,  # CI runs are reproducible; long runs explore
)
GITHUB_SECRET = "fuzz-github-webhook-secret-0123"
ASANA_SECRET = "fuzz-asana-handshake-secret-4567"
PROJECT = "1200000000000002"
REPO = {"full_name": "acme/web", "name": "web", "owner": {"login": "acme"}}
ISSUE = {
    "number": 1,
    "id": 11,
    "node_id": "I_1",
    "title": "Ship it",
    "state": "open",
    "state_reason": None,
    "labels": [{"name": "kr:ENG-1.1"}],
    "assignees": [{"login": "ada"}],
    "html_url": "https://github.com/acme/web/issues/1",
    "updated_at": "2026-10-02T10:00:00Z",
    "created_at": "2026-10-01T10:00:00Z",
    "closed_at": None,
    "body": "text",
}
PULL = {**ISSUE, "draft": False, "merged_at": None, "merged": False}
#: (X-GitHub-Event, a real payload shape of it).
GITHUB_BASES: list[tuple[str, dict[str, Any]]] = [
    ("issues", {"action": "labeled", "issue": ISSUE, "repository": REPO, "label": {"name": "kr:ENG-1.1"}}),
    ("issues", {"action": "deleted", "issue": ISSUE, "repository": REPO}),
    (
        "issues",
        {
            "action": "transferred",
            "issue": ISSUE,
            "repository": REPO,
            "changes": {"new_repository": {"full_name": "acme/api"}, "new_issue": {**ISSUE, "number": 9}},
        },
    ),
    ("pull_request", {"action": "opened", "pull_request": PULL, "repository": REPO, "number": 1}),
    ("label", {"action": "edited", "label": {"name": "kr:ENG-1.1"}, "repository": REPO, "changes": {}}),
    ("issue_comment", {"action": "created", "comment": {"body": "hi"}, "issue": ISSUE, "repository": REPO}),
    ("installation", {"action": "created", "installation": {"id": 5}, "repositories": [REPO]}),
    ("installation_repositories", {"action": "added", "installation": {"id": 5}, "repositories_added": [REPO]}),
    ("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}),
]
ASANA_EVENT = {
    "action": "changed",
    "resource": {"gid": "1300000000000001", "resource_type": "task", "resource_subtype": "default_task"},
    "parent": {"gid": PROJECT, "resource_type": "project"},
    "change": {"field": "completed", "action": "changed"},
    "user": {"gid": "1", "resource_type": "user"},
    "created_at": "2026-10-02T10:00:00.000Z",
}
ASANA_BASES: list[dict[str, Any]] = [
    {"events": [ASANA_EVENT]},
    {"events": [ASANA_EVENT, {**ASANA_EVENT, "action": "deleted"}]},
    {"events": [{**ASANA_EVENT, "resource": {"gid": "9", "resource_type": "story", "resource_subtype": "added"}}]},
    {"events": [{**ASANA_EVENT, "resource": {"gid": PROJECT, "resource_type": "project"}, "parent": None}]},
    {"events": []},
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "acme/web", "acme/api", "opened", "labeled", "added", "task", "project", PROJECT, "a/b/c"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
printable = st.characters(min_codepoint=32, max_codepoint=126)
header_text = st.text(printable, max_size=80)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a node of a JSON value (the root too)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    """`value` with the node at `path` replaced by `new` (or removed)."""
    if not path:
        return new
    document = copy.deepcopy(value)
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return document


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """A real payload with one to three nodes replaced by arbitrary JSON, removed, or keys added (a depth
    is drawn first, so the few top-level keys are hit as often as the many nested ones)."""
    document = base
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(document))
        depth = draw(st.sampled_from(sorted({len(path) for path in paths})))
        path = draw(st.sampled_from([path for path in paths if len(path) == depth]))
        node = _node(document, path)
        if draw(st.booleans()) and isinstance(node, dict):
            document = _replaced(document, (*path, draw(st.text(max_size=12))), draw(json_values), delete=False)
        else:
            document = _replaced(document, path, draw(json_values), delete=draw(st.booleans()) and node is not None)
    return document


def _node(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _encoded(draw: st.DrawFn, document: Any) -> bytes:
    """JSON text of `document`, sometimes with a byte-order mark, a trailing space or cut short, or any bytes."""
    text = json.dumps(document).encode()
    return draw(st.sampled_from([text, text, text + b" ", b"\xef\xbb\xbf" + text, text[:-1]]) | st.binary(max_size=64))


@st.composite
def github_requests(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """Signed GitHub deliveries: mutated real shapes, or any JSON, under any event and delivery id."""
    event, base = draw(st.sampled_from(GITHUB_BASES))
    document = draw(mutated(base) | json_values | st.just(base))
    body = _encoded(draw, document)
    headers = {
        "x-github-event": draw(st.just(event) | st.sampled_from([e for e, _ in GITHUB_BASES]) | header_text),
        "x-github-delivery": draw(st.uuids().map(str) | header_text | st.text(printable, min_size=190, max_size=400)),
        "x-hub-signature-256": "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body),
    }
    return headers, body


@st.composite
def asana_requests(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """Signed Asana deliveries: mutated event batches, or any JSON."""
    base = draw(st.sampled_from(ASANA_BASES))
    document = draw(mutated(base) | json_values | st.just(base))
    body = _encoded(draw, document)
    return {"x-hook-signature": hmac_sha256_hex(ASANA_SECRET, body)}, body


@dataclass
class Intake:
    """The real web route of both trackers' real adapters, driven in process on one event loop."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    runtime: Runtime

    def post(self, source: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        """POST one delivery as JSON (Asana's to the target of its installed project); the response."""
        all_headers = {"content-type": "application/json", **headers}
        path = f"/webhooks/{source}" + (f"?resource={PROJECT}" if source == "as" else "")
        return self.loop.run_until_complete(self.client.post(path, content=body, headers=all_headers))


def _config(store: Path) -> SyncdConfig:
    return config_model().model_validate(
        {
            "store": {"url": f"sqlite:///{store}"},
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "server": {"max_body_bytes": 1_000_000},
            "sources": [
                {
                    "name": "gh",
                    "kind": "github",
                    "base_url": "http://127.0.0.1:9",
                    "token": "fuzz-github-token-0123456789",
                    "webhook_secret": GITHUB_SECRET,
                    "repos": ["acme/web", "acme/api"],
                },
                {
                    "name": "as",
                    "kind": "asana",
                    "base_url": "http://127.0.0.1:9/api/1.0",
                    "token": "fuzz-asana-token-0123456789",
                    "workspace": "1200000000000001",
                    "projects": [PROJECT],
                },
            ],
        }
    )


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    """Both sources behind the app the daemon serves, over a migrated SQLite store holding Asana's secret."""
    store = tmp_path_factory.mktemp("fuzz") / "syncd.db"
    engine = migrated_sqlite(store)
    with engine.begin() as conn:
        row = {
            "source": "as",
            "resource": PROJECT,
            "secret": ASANA_SECRET,
            "created_at": datetime.now(UTC),
            "webhook_gid": "1200000000000009",
        }
        conn.execute(insert(WebhookSecret.__table__).values(**row))
    config = _config(store)
    adapters = build_adapters(config)
    runtime = Runtime(loaded=LoadedConfig(config, None, adapters), engine=engine)
    loop = asyncio.new_event_loop()
    writer = DeliveryWriter(engine, confirm_within=5.0)
    app = WebhookFastPath(create_app(runtime, writer=writer, ingest_timeout=5.0))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://syncd.test")
    try:
        yield Intake(loop, client, runtime)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        writer.close()
        runtime.executor.shutdown(wait=True)
        close_adapters(adapters)
        engine.dispose()


def _check(intake: Intake, source: str, headers: dict[str, str], body: bytes) -> None:
    answer = intake.post(source, headers, body)
    assert answer.status_code < 500, (answer.status_code, answer.text, headers, body[:500])
    assert 200 <= answer.status_code < 300 or answer.status_code == 400, (answer.status_code, answer.text, body)
    if answer.json()["status"] in ("stored", "duplicate"):
        event = _stored_event(source, headers, body)
        adapter = intake.runtime.adapter(source)
        assert adapter is not None
        # Refused with a clear reason, recorded on the delivery; never a crash of another kind.
        with contextlib.suppress(MalformedPayload):
            adapter.interpret(event, body)


def _stored_event(source: str, headers: dict[str, str], body: bytes) -> str:
    """The event name the intake gave the stored delivery (what the worker will interpret it as)."""
    if source == "as":
        return "events"
    payload = json.loads(body.removeprefix(b"\xef\xbb\xbf"))
    action = payload.get("action")
    event = headers["x-github-event"]
    return f"{event}.{action}" if isinstance(action, str) else event


class TestSignedBodiesNeverFail:
    """A signed body is stored, ignored, or refused as malformed: never a server error."""

    @FUZZ
    @given(request=github_requests())
    def test_github(self, intake: Intake, request: tuple[dict[str, str], bytes]) -> None:
        """GitHub intake, every event and payload shape."""
        _check(intake, "gh", *request)

    @FUZZ
    @given(request=asana_requests())
    def test_asana(self, intake: Intake, request: tuple[dict[str, str], bytes]) -> None:
        """Asana intake, every event batch shape."""
        _check(intake, "as", *request)

    @pytest.mark.parametrize(
        ("event", "document"),
        [
            ("pull_request", {"action": [], "pull_request": PULL, "repository": REPO}),
            ("label", {"action": {}, "label": {}, "repository": REPO}),
            ("installation", {"action": "created", "repositories": -1}),
            ("installation_repositories", {"action": "added", "repositories_added": {"full_name": "acme/web"}}),
            ("issues", {"action": "labeled", "issue": ISSUE, "repository": {"full_name": ["acme/web"]}}),
            ("issue_comment", {"action": "created", "comment": {"body": "x"}, "issue": [], "repository": REPO}),
        ],
        ids=[
            "pr-action-list",
            "label-action-object",
            "installation-repositories-int",
            "added-not-list",
            "full-name-list",
            "comment-issue-list",
        ],
    )
    def test_the_shapes_found_by_the_black_box_pass(self, intake: Intake, event: str, document: Any) -> None:
        """The reported 500s, pinned: each answers 2xx or 400."""
        body = json.dumps(document).encode()
        headers = {
            "x-github-event": event,
            "x-github-delivery": hashlib.sha256(body).hexdigest(),
            "x-hub-signature-256": "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body),
        }
        _check(intake, "gh", headers, body)

    def test_a_delivery_id_longer_than_the_store_keeps_is_malformed(self, intake: Intake) -> None:
        """`deliveries.delivery_id` holds 200 characters: a longer X-GitHub-Delivery is 400, not a failed commit."""
        body = json.dumps(GITHUB_BASES[0][1]).encode()
        headers = {
            "x-github-event": "issues",
            "x-github-delivery": "d" * 201,
            "x-hub-signature-256": "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body),
        }
        answer = intake.post("gh", headers, body)
        assert answer.status_code == 400, answer.text
        assert "longer than 200" in answer.json()["detail"]


PROFILED, _UNPROFILED = tracker_profiles()


def _profiled_config(store: Path) -> SyncdConfig:
    return config_model().model_validate(
        {
            "store": {"url": f"sqlite:///{store}"},
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "server": {"max_body_bytes": 1_000_000},
            "sources": [tracker.source_config() for tracker in PROFILED],
        }
    )


@pytest.fixture(scope="module")
def every_intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Every registered tracker's source served as `syncd run` serves it."""
    with serving_trackers(tmp_path_factory.mktemp("fuzz-all") / "syncd.db", PROFILED, _profiled_config) as served:
        yield served


@st.composite
def profiled_requests(draw: st.DrawFn, tracker: Tracker) -> tuple[dict[str, str], bytes]:
    """A tracker's own used delivery (fresh ids and stamps from its profile) with parts replaced, or any JSON,
    or any bytes, signed as the tracker signs."""
    headers, body = tracker.delivery()
    base = json.loads(body)
    document = draw(mutated(base) | json_values | st.just(base))
    fuzzed = _encoded(draw, document)
    return tracker.signed(headers, fuzzed), fuzzed


@pytest.mark.parametrize("tracker", PROFILED, ids=lambda tracker: tracker.kind)
class TestEveryTrackersSignedBodies:
    """Every registered tracker (its bad-input profile signs): a signed body is stored, ignored, refused as
    malformed, or refused for a stale stamp the tracker signs into its body (Linear's `webhookTimestamp`)."""

    @FUZZ
    @given(data=st.data())
    def test_no_signed_body_is_a_server_error(
        self, every_intake: Served, tracker: Tracker, data: st.DataObject
    ) -> None:
        """2xx, 400, or a 401 that names the stamp; never a 5xx."""
        headers, body = data.draw(profiled_requests(tracker))
        answer = every_intake.post(tracker, headers, body)
        assert answer.status_code < 500, (answer.status_code, answer.text, body[:500])
        if answer.status_code == 401:
            assert "timestamp" in answer.text.lower(), (answer.text, body[:500])
        else:
            assert 200 <= answer.status_code < 300 or answer.status_code == 400, (answer.status_code, answer.text)
