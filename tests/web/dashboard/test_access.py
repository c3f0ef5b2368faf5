"""Who sees the dashboard: off until configured; a viewer-token login with a signed session; a trusted proxy
header; wrong tokens refused, rate-limited and logged without the value; badges only when public."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from syncd.web.dashboard.auth import LOGIN_ATTEMPTS, SESSION_COOKIE, LoginLimiter
from tests.support.goals_world import VIEWER_TOKEN, GoalsWorld

DASHBOARD_PATHS = [
    "/",
    "/kr/ENG-1.1",
    "/objective/ENG-1",
    "/sources",
    "/login",
    "/badge/ENG-1.svg",
    "/static/dashboard.css",
]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """Serve a fresh (unplayed) world whose `server:` section is the given mapping."""
    worlds: list[GoalsWorld] = []

    def serving(server: dict[str, Any]) -> Any:
        directory = tmp_path / f"world-{len(worlds)}"
        directory.mkdir()
        world = GoalsWorld.create(directory, server=server)
        worlds.append(world)
        return world.serving()

    yield serving
    for world in worlds:
        world.close()


TOKEN_SERVER = {"viewer_token": "${SYNCD_VIEWER_TOKEN}"}


class TestOff:
    """Without a viewer token or a trusted header, every dashboard path is a bare 404."""

    @pytest.mark.parametrize("path", DASHBOARD_PATHS)
    def test_unconfigured_paths_are_404_and_say_nothing(self, serve: Any, path: str) -> None:
        with serve({}) as url:
            answer = httpx.get(url + path)
        assert (answer.status_code, answer.text) == (404, "Not Found")


class TestLogin:
    """The viewer token is traded for a signed, HttpOnly, SameSite=Lax session cookie; logout drops it."""

    def test_pages_need_a_login_and_the_token_gives_one(self, serve: Any) -> None:
        with serve(TOKEN_SERVER) as url, httpx.Client(base_url=url) as client:
            assert client.get("/").headers["location"] == "/login"
            answer = client.post("/login", data={"token": VIEWER_TOKEN})
            assert (answer.status_code, answer.headers["location"]) == (303, "/")
            cookie = answer.headers["set-cookie"].lower()
            assert "httponly" in cookie
            assert "samesite=lax" in cookie
            assert "secure" not in cookie  # plain http and no https public_url
            assert VIEWER_TOKEN not in answer.headers["set-cookie"]
            assert client.get("/").status_code == 200

    def test_logout_ends_the_session(self, serve: Any) -> None:
        with serve(TOKEN_SERVER) as url, httpx.Client(base_url=url) as client:
            client.post("/login", data={"token": VIEWER_TOKEN})
            answer = client.post("/logout")
            assert (answer.status_code, answer.headers["location"]) == (303, "/login")
            assert client.get("/").status_code == 303

    def test_a_forged_or_tampered_cookie_is_refused(self, serve: Any) -> None:
        with serve(TOKEN_SERVER) as url, httpx.Client(base_url=url) as client:
            client.post("/login", data={"token": VIEWER_TOKEN})
            good = client.cookies[SESSION_COOKIE]
            client.cookies.set(SESSION_COOKIE, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
            assert client.get("/").status_code == 303
            client.cookies.set(SESSION_COOKIE, "eyJ2aWV3ZXIiOnRydWV9.forged.signature")
            assert client.get("/").status_code == 303

    def test_the_cookie_is_secure_when_the_public_url_is_https(self, serve: Any) -> None:
        server = {**TOKEN_SERVER, "public_url": "https://goals.example.com"}
        with serve(server) as url:
            answer = httpx.post(url + "/login", data={"token": VIEWER_TOKEN})
        assert "secure" in answer.headers["set-cookie"].lower()

    def test_a_wrong_token_is_refused_and_logged_without_its_value(self, serve: Any) -> None:
        with serve(TOKEN_SERVER) as url, capture_logs() as logs:
            answer = httpx.post(url + "/login", data={"token": "wrong-token-value-xyz"})
        assert answer.status_code == 401
        assert "That is not the viewer token." in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        refused = [entry for entry in logs if entry["event"] == "dashboard.login_refused"]
        assert refused == [{"event": "dashboard.login_refused", "client": "127.0.0.1", "log_level": "warning"}]
        assert "wrong-token-value-xyz" not in repr(logs)

    def test_wrong_tokens_past_the_limit_are_429_even_with_the_right_one(self, serve: Any) -> None:
        with serve(TOKEN_SERVER) as url:
            codes = [httpx.post(url + "/login", data={"token": f"nope-{i}"}).status_code for i in range(LOGIN_ATTEMPTS)]
            blocked = httpx.post(url + "/login", data={"token": VIEWER_TOKEN})
        assert codes == [401] * LOGIN_ATTEMPTS
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1

    def test_an_oversized_login_form_is_413(self, serve: Any) -> None:
        with serve(TOKEN_SERVER) as url:
            answer = httpx.post(url + "/login", content=b"token=" + b"x" * 10_000)
        assert answer.status_code == 413


class TestLimiter:
    """The limiter counts wrong tokens per address over a sliding window."""

    def test_failures_expire_after_the_window_and_addresses_are_separate(self) -> None:
        now = [0.0]
        limiter = LoginLimiter(attempts=2, window=60.0, clock=lambda: now[0])
        limiter.failed("a")
        limiter.failed("a")
        assert limiter.blocked_for("a") == 60.0
        assert limiter.blocked_for("b") == 0.0
        now[0] = 59.0
        assert limiter.blocked_for("a") == 1.0
        now[0] = 60.5
        assert limiter.blocked_for("a") == 0.0


class TestTrustedHeader:
    """Behind an authenticating proxy, the configured header names the viewer; requests without it are refused."""

    def test_the_header_lets_in_and_its_absence_is_403(self, serve: Any) -> None:
        with serve({"trusted_user_header": "X-Forwarded-User"}) as url:
            inside = httpx.get(url + "/", headers={"X-Forwarded-User": "ada@example.com"})
            outside = httpx.get(url + "/")
            login = httpx.get(url + "/login")
        assert inside.status_code == 200
        assert "ada@example.com" in inside.text
        assert outside.status_code == 403
        assert login.status_code == 404  # nothing to log in to


class TestBadges:
    """`/badge/<id>.svg` is public only with `server.public_badges: true`."""

    def test_badges_are_off_by_default(self, serve: Any) -> None:
        with serve(TOKEN_SERVER) as url:
            assert httpx.get(url + "/badge/ENG-1.svg").status_code == 404

    def test_public_badges_show_an_objective_or_kr_without_login(self, serve: Any) -> None:
        with serve({**TOKEN_SERVER, "public_badges": True}) as url:
            objective = httpx.get(url + "/badge/ENG-1.svg")
            kr = httpx.get(url + "/badge/ENG-1.1.svg")
            missing = httpx.get(url + "/badge/NOPE-1.svg")
        assert objective.headers["content-type"] == "image/svg+xml"
        assert "ENG-1: 0% no tasks" in objective.text
        assert "ENG-1.1: 0% no tasks" in kr.text
        assert missing.status_code == 404
