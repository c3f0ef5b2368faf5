"""What the sandbox prints first: the dashboard's login link, then where else to look."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import SecretStr

from syncd.sandbox.config import Endpoints, SandboxPaths
from syncd.sandbox.display import dashboard_link, where_to_look


def world(token: str | None) -> Any:
    """The parts of a sandbox world the pointers read."""
    server = SimpleNamespace(viewer_token=SecretStr(token) if token else None)
    return SimpleNamespace(
        config=SimpleNamespace(server=server),
        endpoints=Endpoints({}, 8123),
        paths=SandboxPaths(Path("syncd-sandbox")),
        sources=(),
    )


class TestDashboardLink:
    """The link logs in by itself: the viewer token is in its fragment, which browsers never send."""

    def test_the_first_pointer_is_the_login_link_with_the_token_in_the_fragment(self) -> None:
        pointers = where_to_look(world("abc123"))
        assert (pointers[0].what, pointers[0].where) == ("goals", "http://127.0.0.1:8123/login#token=abc123")

    def test_without_a_viewer_token_the_link_is_the_login_page(self) -> None:
        assert dashboard_link(world(None)) == "http://127.0.0.1:8123/login"
