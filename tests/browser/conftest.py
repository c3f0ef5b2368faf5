"""Browser tests of the dashboard: headless Debian chromium driven by Playwright against a real `syncd run`.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is missing (`.ci/run` installs
both; never `playwright install`: the browser is Debian's). Screenshots go to the test's tmp output, and to
`SYNCD_SCREENSHOTS` (e.g. `docs/`) when that is set, to refresh the README's pictures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from syncd.simulators.github import GitHubSimulator
from tests.support.daemon import DaemonProcess, running_daemon
from tests.support.github_sim import start_github_sim
from tests.support.goals_world import ENV, VIEWER_TOKEN, GoalsWorld

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS_ENV = "SYNCD_SCREENSHOTS"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium; .ci/run does)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed ([dev] extra)")


@dataclass
class Live:
    """A daemon serving the seeded store, the simulator it polls, and the world behind both."""

    world: GoalsWorld
    sim: GitHubSimulator
    daemon: DaemonProcess

    @property
    def url(self) -> str:
        """The daemon's base URL."""
        return self.daemon.url


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The story played into a store, its issues in a GitHub simulator, a real `syncd run` on both (polling every
    second)."""
    sim = start_github_sim(repos=("acme/web",), keep_responses=False)
    directory = tmp_path_factory.mktemp("dashboard")
    world = GoalsWorld.create(directory, base_url=sim.api_url, poll="1s")
    try:
        world.play()
        world.mirror_into(sim)
        world.close()
        with running_daemon(world.config_path, env=ENV) as daemon:
            yield Live(world, sim, daemon)
    finally:
        world.close()
        sim.stop()


@dataclass
class Watched:
    """A browser page and what it did: console errors, page errors, every URL it requested."""

    page: Any
    base: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """Requests to anything but the daemon (and inline data)."""
        return [url for url in self.requests if not url.startswith((self.base + "/", "data:"))]

    def login(self, token: str = VIEWER_TOKEN) -> None:
        """Log in through the form."""
        self.page.goto(self.base + "/login")
        self.page.fill("#token", token)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_load_state("load")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium."""
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def watched(browser: Any, live: Live) -> Iterator[Watched]:
    """A fresh browser context (no cookies) with its console and network watched."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    seen = Watched(page, live.url)
    page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", lambda request: seen.requests.append(request.url))
    yield seen
    context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Any:
    """Save a page's full screenshot under the test's output (and to $SYNCD_SCREENSHOTS when set)."""
    target = os.environ.get(SCREENSHOTS_ENV)

    def shoot(page: Any, name: str) -> Path:
        path = tmp_path / "screenshots" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / f"dashboard-{name}.png"), full_page=True)
        return path

    return shoot
