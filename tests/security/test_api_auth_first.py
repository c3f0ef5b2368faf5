"""The read API authenticates before it reads anything else: no token (or a wrong one) is 401 whatever the
path, method, query or body; no `server.api_token` is 503. Only an authenticated request is parsed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.simulators.kit.server import BackgroundServer
from syncd.web.app import create_app
from tests.support.webhooks import migrated_sqlite

API_TOKEN = "api-token-for-auth-first-0123"
CHECK_INS = "/api/v1/key-results/ENG-1.2/check-ins"


@dataclass(frozen=True)
class Bad:
    """A request malformed in some way besides its token."""

    method: str
    path: str
    body: bytes
    content_type: str


MALFORMED = [
    Bad(*request)
    for request in [
        ("POST", CHECK_INS, b"{not json", "application/json"),
        ("POST", CHECK_INS, b'{"value": "seven"}', "application/json"),
        ("POST", CHECK_INS, b'{"value": 3, "at": "yesterday-ish"}', "application/json"),
        ("POST", CHECK_INS, b"value=3", "application/x-www-form-urlencoded"),
        ("POST", CHECK_INS, b"[]", "application/json"),
        ("POST", "/api/v1/key-results/NOPE-9/check-ins", b"{", "application/json"),
        ("GET", "/api/v1/key-results/%00%ff", b"", ""),
        ("GET", "/api/v1/objectives?limit=-1&x=%zz", b"", ""),
        ("PUT", "/api/v1/objectives", b"{", "application/json"),
        ("GET", "/api/v1/no-such-route", b"", ""),
    ]
]


def _config(api_token: str | None) -> SyncdConfig:
    krs = [{"id": "ENG-1.2", "title": "Cut time to value", "measure": "metric", "start": 7, "target": 2}]
    return config_model().model_validate(
        {
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "objectives": [{"id": "ENG-1", "title": "Delight", "cycle": "2026-Q4", "key_results": krs}],
            "server": {"api_token": api_token},
        }
    )


def _serve(tmp_path: Path, api_token: str | None) -> Iterator[str]:
    engine = migrated_sqlite(tmp_path / "syncd.db")
    runtime = Runtime(loaded=LoadedConfig(_config(api_token), None, {}), engine=engine)
    app = create_app(runtime)
    try:
        with BackgroundServer(app) as server:
            yield server.url
    finally:
        app.state.writer.close()
        runtime.executor.shutdown(wait=True)
        engine.dispose()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app of a config with `server.api_token` set, over real HTTP."""
    yield from _serve(tmp_path_factory.mktemp("api"), API_TOKEN)


@pytest.fixture(scope="module")
def api_off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app of a config without `server.api_token`."""
    yield from _serve(tmp_path_factory.mktemp("api-off"), None)


def _send(url: str, bad: Bad, auth: str | None) -> httpx.Response:
    headers = {"content-type": bad.content_type} if bad.content_type else {}
    if auth is not None:
        headers["authorization"] = auth
    return httpx.request(bad.method, url + bad.path, content=bad.body, headers=headers)


@pytest.mark.parametrize("bad", MALFORMED, ids=lambda bad: f"{bad.method} {bad.path} {bad.body!r}")
class TestAuthenticateFirst:
    """Whatever else is wrong with a request, a missing or wrong token is what it is told."""

    def test_no_token_is_401(self, api: str, bad: Bad) -> None:
        """No Authorization header: 401 with the Bearer challenge, never 400, 404, 405 or 422."""
        answer = _send(api, bad, None)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json() == {"detail": "no bearer token: send Authorization: Bearer <server.api_token>"}

    @pytest.mark.parametrize("auth", ["Bearer wrong-token", f"Basic {API_TOKEN}", f"bearer {API_TOKEN}x", "Bearer"])
    def test_wrong_token_is_401(self, api: str, bad: Bad, auth: str) -> None:
        """A wrong token, or the right one under another scheme, is 401 too, and the answer names no token."""
        answer = _send(api, bad, auth)
        assert answer.status_code == 401, answer.text
        assert API_TOKEN not in answer.text

    def test_api_off_is_503(self, api_off: str, bad: Bad) -> None:
        """Without `server.api_token` the API is off (503), not open and not parsing."""
        answer = _send(api_off, bad, f"Bearer {API_TOKEN}")
        assert answer.status_code == 503, answer.text
        assert "set server.api_token" in answer.json()["detail"]


class TestAfterAuthentication:
    """An authenticated request is parsed and validated as before."""

    def test_a_bad_body_with_the_token_is_a_validation_error(self, api: str) -> None:
        """The right token and a body that is not JSON: 422, the body was read only now."""
        answer = _send(api, MALFORMED[0], f"Bearer {API_TOKEN}")
        assert answer.status_code == 422

    def test_the_scheme_is_case_insensitive(self, api: str) -> None:
        """`bearer` or `Bearer`: RFC 7235 schemes are case-insensitive."""
        answer = _send(api, Bad("GET", "/api/v1/objectives", b"", ""), f"bearer {API_TOKEN}")
        assert answer.status_code == 200

    def test_the_openapi_description_stays_public(self, api: str) -> None:
        """The description holds no data: it needs no token."""
        assert httpx.get(api + "/api/v1/openapi.json").status_code == 200

    def test_probes_need_no_token(self, api: str) -> None:
        """`/healthz` is outside the API."""
        assert httpx.get(api + "/healthz").status_code == 200
