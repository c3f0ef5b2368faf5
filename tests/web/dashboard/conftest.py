"""A seeded store, played once per module, and the web role's app serving it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.goals_world import VIEWER_TOKEN, GoalsWorld


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoalsWorld]:
    """The story played into a fresh store (read-only for the tests using it)."""
    world = GoalsWorld.create(tmp_path_factory.mktemp("goals"))
    world.play()
    yield world
    world.close()


@pytest.fixture(scope="module")
def url(played: GoalsWorld) -> Iterator[str]:
    """The app of the played world, over HTTP."""
    with played.serving() as base:
        yield base


@pytest.fixture
def viewer(url: str) -> Iterator[httpx.Client]:
    """A client signed in with the viewer token."""
    with httpx.Client(base_url=url) as client:
        answer = client.post("/login", data={"token": VIEWER_TOKEN})
        assert answer.status_code == 303, answer.text
        yield client
