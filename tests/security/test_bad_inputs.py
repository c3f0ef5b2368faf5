"""The bad-input matrix: every way a webhook request to each registered tracker's endpoint, or an API request, can
be wrong, and the answer each gets from the server the daemon runs (real sockets, real adapters).

Webhooks: bad or missing signature 401, malformed JSON (signed) 400, a body over `server.max_body_bytes` 413
before it is read in full, a non-JSON content type 415, an empty body 400 (signed) or 401, an event syncd does not
use 202 with nothing stored, an unknown source 404, another method than POST 405, a redelivery 200 and stored
once. API: no or a wrong token 401 before the body is read; a bad body with the token 400/404/422 naming what is
wrong. Every answer is a JSON object, without a traceback or a secret.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.registry import config_model, registry
from syncd.config.models import SyncdConfig
from tests.support.bad_inputs import Tracker
from tests.support.profiled_intake import Served, serving_trackers, tracker_profiles

MAX_BODY = 4096
API_TOKEN = "bad-inputs-api-token-2d7c5e"
CHECK_INS = "/api/v1/key-results/ENG-1.2/check-ins"


TRACKERS, MISSING = tracker_profiles()
SECRETS = (*(secret for tracker in TRACKERS for secret in tracker.secrets), API_TOKEN)


def _config(store: Path) -> SyncdConfig:
    krs = [
        {"id": "ENG-1.1", "title": "Ship self-serve onboarding"},
        {"id": "ENG-1.2", "title": "Cut time to value", "measure": "metric", "start": 7, "target": 2},
    ]
    return config_model().model_validate(
        {
            "store": {"url": f"sqlite:///{store}"},
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "objectives": [{"id": "ENG-1", "title": "Delight", "cycle": "2026-Q4", "key_results": krs}],
            "server": {"api_token": API_TOKEN, "max_body_bytes": MAX_BODY},
            "sources": [tracker.source_config() for tracker in TRACKERS],
        }
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Every profiled source served as `syncd run` serves it, the Asana webhook's handshake secret stored."""
    with serving_trackers(tmp_path_factory.mktemp("bad-inputs") / "syncd.db", TRACKERS, _config) as served:
        yield served


def refused(answer: httpx.Response, status: int) -> dict[str, Any]:
    """Check the answer has `status` and is a JSON object naming no secret and holding no traceback; return it."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    return _clean_json(answer.headers.get("content-type", ""), answer.text, str(answer.headers))


def _clean_json(content_type: str, text: str, headers: str) -> dict[str, Any]:
    assert content_type.startswith("application/json"), (content_type, text)
    document = json.loads(text)
    assert isinstance(document, dict), text
    assert document.get("detail"), text
    assert "Traceback" not in text, text
    assert 'File "' not in text, text
    for secret in SECRETS:
        assert secret not in text + headers, f"the answer shows a secret: {headers} {text}"
    return document


class TestEveryTrackerIsInTheMatrix:
    """A tracker registered later gets this matrix too: the test fails until it has a profile here."""

    def test_each_registered_kind_has_a_profile(self) -> None:
        """The profiles are exactly the registry's kinds."""
        assert MISSING == [], f"no tests/<kind>/bad_inputs.py (PROFILE) for {', '.join(MISSING)}"
        assert {tracker.kind for tracker in TRACKERS} == set(registry().kinds)


@pytest.mark.parametrize("tracker", TRACKERS, ids=lambda tracker: tracker.kind)
class TestSignatures:
    """A delivery is verified before anything else is read from it."""

    def test_a_bad_signature_is_401_and_nothing_is_stored(self, served: Served, tracker: Tracker) -> None:
        """The body signed with another secret: 401 `signature_invalid`."""
        headers, body = tracker.delivery()
        forged = {**tracker.signed(headers, body), tracker.signature_header: tracker.signature(body + b" ")}
        before = served.stored(tracker.source)
        answer = refused(served.post(tracker, forged, body), 401)
        assert answer["status"] == "signature_invalid"
        assert served.stored(tracker.source) == before

    def test_a_missing_signature_is_401_and_nothing_is_stored(self, served: Served, tracker: Tracker) -> None:
        """No signature header at all: 401 naming the missing header, not a 400 about the body."""
        headers, body = tracker.delivery()
        unsigned = {"content-type": "application/json", **headers}
        before = served.stored(tracker.source)
        answer = refused(served.post(tracker, unsigned, body), 401)
        assert answer["status"] == "signature_invalid"
        assert served.stored(tracker.source) == before

    def test_a_signature_that_is_not_hex_is_401(self, served: Served, tracker: Tracker) -> None:
        """Garbage in the signature header is a signature failure, never a 500."""
        headers, body = tracker.delivery()
        garbage = {**tracker.signed(headers, body), tracker.signature_header: "sha256=zz!" + "x" * 300}
        refused(served.post(tracker, garbage, body), 401)


@pytest.mark.parametrize("tracker", TRACKERS, ids=lambda tracker: tracker.kind)
class TestBodies:
    """What a signed body may be: JSON of the tracker's shape, under the size cap."""

    def test_malformed_json_is_400(self, served: Served, tracker: Tracker) -> None:
        """A correctly signed body that is not JSON: 400 `malformed`, saying so, nothing stored."""
        headers, _ = tracker.delivery()
        body = b'{"action": "labeled", "issue": '
        before = served.stored(tracker.source)
        answer = refused(served.post(tracker, tracker.signed(headers, body), body), 400)
        assert answer["status"] == "malformed"
        assert "not JSON" in answer["detail"]
        assert served.stored(tracker.source) == before

    def test_an_empty_signed_body_is_400(self, served: Served, tracker: Tracker) -> None:
        """Zero bytes, signed: malformed, not stored."""
        headers, _ = tracker.delivery()
        before = served.stored(tracker.source)
        answer = refused(served.post(tracker, tracker.signed(headers, b""), b""), 400)
        assert answer["status"] == "malformed"
        assert served.stored(tracker.source) == before

    def test_an_empty_unsigned_body_is_401(self, served: Served, tracker: Tracker) -> None:
        """Zero bytes and no signature: a signature failure."""
        headers, _ = tracker.delivery()
        refused(served.post(tracker, headers, b""), 401)

    @pytest.mark.parametrize(
        ("content_type", "hint"),
        [
            ("text/plain", "content type is text/plain"),
            ("application/x-www-form-urlencoded", "set the webhook's content type to application/json"),
            ("", "content type is missing"),
        ],
        ids=["text", "form", "none"],
    )
    def test_a_content_type_other_than_json_is_415(
        self, served: Served, tracker: Tracker, content_type: str, hint: str
    ) -> None:
        """A signed JSON body declared as something else: 415 telling the admin what to set."""
        headers, body = tracker.delivery()
        signed = {**tracker.signed(headers, body), "content-type": content_type}
        if not content_type:
            del signed["content-type"]
        before = served.stored(tracker.source)
        answer = refused(served.post(tracker, signed, body), 415)
        assert hint in answer["detail"]
        assert served.stored(tracker.source) == before

    def test_a_body_over_the_cap_is_413_before_it_is_sent(self, served: Served, tracker: Tracker) -> None:
        """Content-Length past `server.max_body_bytes`: 413 while the client has sent 1 KiB of 10 MB."""
        headers, _ = tracker.delivery()
        head = _request_head(served, tracker, {**tracker.signed(headers, b""), "content-length": str(10_000_000)})
        status, document = _exchange(served, head + b"x" * 1024)
        assert status == 413
        assert document["status"] == "too_large"
        assert f"limit of {MAX_BODY} bytes (server.max_body_bytes)" in document["detail"]

    def test_a_streamed_body_over_the_cap_is_413_as_it_crosses(self, served: Served, tracker: Tracker) -> None:
        """Chunked, no length: 413 once the chunks pass the cap, while the body is still unfinished."""
        headers, _ = tracker.delivery()
        head = _request_head(served, tracker, {**tracker.signed(headers, b""), "transfer-encoding": "chunked"})
        chunks = b"".join(b"%x\r\n%s\r\n" % (1500, b"x" * 1500) for _ in range(4))  # 6000 bytes, never terminated
        before = served.stored(tracker.source)
        status, document = _exchange(served, head + chunks)
        assert status == 413
        assert document["status"] == "too_large"
        assert served.stored(tracker.source) == before


def _request_head(served: Served, tracker: Tracker, headers: dict[str, str]) -> bytes:
    host = served.url.removeprefix("http://")
    lines = [f"POST /webhooks/{tracker.source} HTTP/1.1", f"host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _exchange(served: Served, data: bytes, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
    """Send `data` on a raw connection and read the answer (status, JSON body) without sending anything more."""
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as client:
        client.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            received += _recv(client)
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(body) < int(fields["content-length"]):
            body += _recv(client)
    return int(lines[0].split()[1]), _clean_json(fields.get("content-type", ""), body.decode(), head.decode())


def _recv(client: socket.socket) -> bytes:
    chunk = client.recv(65536)
    assert chunk, "the server closed the connection without a complete answer"
    return chunk


@pytest.mark.parametrize("tracker", TRACKERS, ids=lambda tracker: tracker.kind)
class TestDeliveries:
    """Verified deliveries: stored once, or acknowledged and dropped."""

    def test_an_unused_event_is_acknowledged_and_not_stored(self, served: Served, tracker: Tracker) -> None:
        """A signed delivery of an event syncd does not use: `ignored` with a status the tracker counts as delivered
        (202; Asana 200), so it stops retrying; no row."""
        headers, body = tracker.unused()
        before = served.stored(tracker.source)
        answer = served.post(tracker, tracker.signed(headers, body), body)
        assert answer.status_code == tracker.accepted_status, answer.text
        assert answer.json()["status"] == "ignored"
        assert served.stored(tracker.source) == before

    def test_a_redelivery_is_acknowledged_and_stored_once(self, served: Served, tracker: Tracker) -> None:
        """The same delivery twice: `stored` (202; Asana 200), then 200 `duplicate`; one more row, not two."""
        headers, body = tracker.delivery()
        before = served.stored(tracker.source)
        first = served.post(tracker, tracker.signed(headers, body), body)
        again = served.post(tracker, tracker.signed(headers, body), body)
        assert (first.status_code, first.json()["status"]) == (tracker.accepted_status, "stored"), first.text
        assert (again.status_code, again.json()["status"]) == (200, "duplicate"), again.text
        assert served.stored(tracker.source) == before + 1

    @pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
    def test_another_method_is_405(self, served: Served, tracker: Tracker, method: str) -> None:
        """Only POST delivers: another method is 405 with `Allow: POST`."""
        headers, body = tracker.delivery()
        url = f"{served.url}/webhooks/{tracker.source}"
        answer = httpx.request(method, url, content=body, headers=tracker.signed(headers, body))
        refused(answer, 405)
        assert answer.headers["allow"] == "POST"


class TestUnknownPaths:
    """A path that names no enabled source is 404, whatever it carries."""

    @pytest.mark.parametrize(
        "path", ["/webhooks/nope", "/webhooks/GH", "/webhooks/", "/webhooks/gh/extra", "/hooks/gh"]
    )
    def test_unknown_source_is_404(self, served: Served, path: str) -> None:
        """Even a delivery validly signed for `gh` is 404 under another path, and nothing is stored."""
        tracker = TRACKERS[0]
        headers, body = tracker.delivery()
        before = served.stored(tracker.source)
        refused(httpx.post(served.url + path, content=body, headers=tracker.signed(headers, body)), 404)
        assert served.stored(tracker.source) == before

    def test_a_long_unknown_name_is_not_echoed_whole(self, served: Served) -> None:
        """A 5,000-character source name is answered with at most a hundred of it."""
        answer = refused(httpx.post(f"{served.url}/webhooks/{'a' * 5000}", content=b"{}"), 404)
        assert len(answer["detail"]) < 200


def _api(served: Served, method: str, path: str, body: bytes, token: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return httpx.request(method, served.url + path, content=body, headers=headers)


class TestApiAuthenticatesFirst:
    """The API answers 401 to a request without the token before reading its body."""

    @pytest.mark.parametrize("token", [None, "wrong-token-0123456789", SECRETS[0]], ids=["none", "wrong", "other"])
    def test_a_bad_body_without_the_token_is_401(self, served: Served, token: str | None) -> None:
        """Not JSON, no (or a wrong, or another secret's) token: 401 with the Bearer challenge, not 422."""
        answer = _api(served, "POST", CHECK_INS, b"{not json", token)
        document = refused(answer, 401)
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "send Authorization: Bearer <server.api_token>" in document["detail"]

    def test_the_body_is_not_waited_for(self, served: Served) -> None:
        """A tokenless request announcing a 1 MB body it never sends is answered 401 at once."""
        host = served.url.removeprefix("http://")
        head = (
            f"POST {CHECK_INS} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
            "content-length: 1000000\r\n\r\n"
        ).encode()
        status, document = _exchange(served, head, timeout=3.0)
        assert status == 401
        assert "no bearer token" in document["detail"]


class TestApiBadBodies:
    """With the token, a bad request is told exactly what is wrong with it."""

    @pytest.mark.parametrize(
        ("path", "body", "status", "said"),
        [
            (CHECK_INS, b"{not json", 422, "JSON decode error"),
            (CHECK_INS, b"[]", 422, "valid dictionary"),
            (CHECK_INS, b"{}", 422, "Field required"),
            (CHECK_INS, b'{"value": "seven"}', 422, "valid number"),
            (CHECK_INS, b'{"value": 3, "at": "yesterday-ish"}', 422, "datetime"),
            (CHECK_INS, b"", 422, "Field required"),
            ("/api/v1/key-results/NOPE-9/check-ins", b'{"value": 3}', 404, "no key result 'NOPE-9'"),
            ("/api/v1/key-results/ENG-1.1/check-ins", b'{"value": 3}', 400, "ENG-1.1"),
        ],
        ids=["not-json", "array", "no-value", "value-text", "bad-time", "empty", "unknown-kr", "task-kr"],
    )
    def test_a_bad_check_in_is_refused_clearly(
        self, served: Served, path: str, body: bytes, status: int, said: str
    ) -> None:
        """400 (not a check-in KR), 404 (no such KR) or 422 (the body), each naming the problem."""
        document = refused(_api(served, "POST", path, body, API_TOKEN), status)
        assert said in json.dumps(document), document

    def test_an_unknown_api_path_with_the_token_is_404(self, served: Served) -> None:
        """Authenticated, unknown route: 404 JSON."""
        refused(_api(served, "GET", "/api/v1/no-such-route", b"", API_TOKEN), 404)

    def test_another_method_with_the_token_is_405(self, served: Served) -> None:
        """Authenticated, wrong method: 405 JSON."""
        refused(_api(served, "DELETE", "/api/v1/objectives", b"", API_TOKEN), 405)
