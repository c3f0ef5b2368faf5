"""A tracker installed as its own package (entry-point group `syncd.trackers`) is a tracker like the built-in ones.

The plug-in here is real: a package and its `.dist-info` (with `entry_points.txt`) written to a folder put on
`sys.path`, found by `importlib.metadata` as any installed distribution is.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters import registry
from adapters.github.descriptor import GITHUB
from adapters.registry import TrackerPluginError, load_config, plugin_descriptors
from syncd.cli.main import build_app
from syncd.config.errors import ConfigError
from tests.support.configs import KNOWN_KINDS, MINIMAL, write_config

#: The plug-in's code: a `kind: tickets` source model and its descriptor (the adapter is never built here).
TICKETS_PACKAGE = '''
from __future__ import annotations

import re
from typing import Literal

from adapters.descriptor import TaskLinks, TrackerDescriptor, WebhookAuth
from syncd.config.source import SourceConfig
from syncd.core.render import MARKDOWN


class TicketsSourceConfig(SourceConfig):
    """A source of the Tickets tracker."""

    kind: Literal["tickets"]
    queue: str


def build_adapter(config, observer):
    raise RuntimeError("the test plug-in is only validated and listed, never run")


TICKETS = TrackerDescriptor(
    kind="tickets",
    title="Tickets",
    source_model=TicketsSourceConfig,
    build_adapter=build_adapter,
    comment_renderer=MARKDOWN,
    task_links=TaskLinks(
        url_paths=(re.compile(r"^/tickets/(\\d+)$"),),
        external_id=lambda found: found.group(1),
        ref=re.compile(r"T-\\d+"),
        ref_form="T-NUMBER",
        ref_example="T-7",
        described="a Tickets ticket (https://tickets.example/tickets/N)",
        simulator_page="http://127.0.0.1:PORT/tickets/N",
    ),
    webhooks=WebhookAuth(signing_field="webhook_secret", signature_header="X-Tickets-Signature"),
    scope_keys=("queue",),
)
NOT_A_DESCRIPTOR = "tickets"
'''

TICKETS_SOURCE = """\
sources:
  - name: acme-tickets
    kind: tickets
    base_url: https://tickets.example/api
    queue: ENG
"""


def install_plugin(site: Path, entry_point: str) -> None:
    """Write the `acme_tickets` package and its distribution metadata, registering `entry_point` as `tickets`."""
    (site / "acme_tickets").mkdir(parents=True)
    (site / "acme_tickets" / "__init__.py").write_text(textwrap.dedent(TICKETS_PACKAGE), encoding="utf-8")
    info = site / "acme_tickets-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-tickets\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[syncd.trackers]\ntickets = {entry_point}\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on `sys.path` for plug-ins; the registry is rebuilt before and after, the plug-in forgotten."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    registry.registry.cache_clear()
    yield folder
    registry.registry.cache_clear()
    sys.modules.pop("acme_tickets", None)


def _check(config: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), ["check", "--config", str(config)])
    return result.exit_code, result.stdout, result.stderr


class TestInstalledPlugin:
    """An installed tracker plug-in is validated, summarized and listed like GitHub and Asana."""

    def test_its_sources_validate_with_its_own_model(self, site: Path, tmp_path: Path) -> None:
        """A `kind: tickets` source loads as the plug-in's model, with its own keys."""
        install_plugin(site, "acme_tickets:TICKETS")
        config = load_config(write_config(tmp_path, MINIMAL + TICKETS_SOURCE), environ={})
        [source] = config.sources
        assert (type(source).__name__, source.kind, getattr(source, "queue", None)) == (
            "TicketsSourceConfig",
            "tickets",
            "ENG",
        )

    def test_its_keys_are_checked_like_any_tracker(self, site: Path, tmp_path: Path) -> None:
        """A typo in a plug-in source's key is reported with file, line, key and a suggestion."""
        install_plugin(site, "acme_tickets:TICKETS")
        path = write_config(tmp_path, MINIMAL + TICKETS_SOURCE.replace("queue: ENG", "queu: ENG"))
        with pytest.raises(ConfigError) as raised:
            load_config(path, environ={})
        assert [str(problem) for problem in raised.value.problems] == [
            f"{path}:4: sources[0].queue: required key is missing",
            f'{path}:7: sources[0].queu: unknown key; did you mean "queue"?',
        ]

    def test_unknown_kinds_list_it(self, site: Path, tmp_path: Path) -> None:
        """The refusal of an unknown kind names the plug-in's kind among the known ones."""
        install_plugin(site, "acme_tickets:TICKETS")
        path = write_config(tmp_path, MINIMAL + "sources:\n  - {name: x, kind: tiket}\n")
        with pytest.raises(ConfigError) as raised:
            load_config(path, environ={})
        assert [problem.message for problem in raised.value.problems] == [
            f'unknown source kind "tiket"; known kinds: {", ".join(sorted([*KNOWN_KINDS.split(", "), "tickets"]))}; '
            'did you mean "tickets"?'
        ]

    def test_syncd_check_summarizes_its_source(self, site: Path, tmp_path: Path) -> None:
        """`syncd check` accepts the config and shows the source with its kind and scope."""
        install_plugin(site, "acme_tickets:TICKETS")
        code, out, err = _check(write_config(tmp_path, MINIMAL + TICKETS_SOURCE))
        assert (code, err) == (0, "")
        assert "  acme-tickets  tickets  queue: ENG" in out.splitlines()


class TestBrokenPlugin:
    """A plug-in that cannot be used stops the command with an error that names it, and nothing else breaks."""

    def test_a_plugin_that_does_not_import_is_named(self, site: Path, tmp_path: Path) -> None:
        """`syncd check` exits 1 saying which plug-in failed, from where, and why."""
        install_plugin(site, "acme_tickets_gone:TICKETS")
        code, out, err = _check(write_config(tmp_path, MINIMAL))
        assert (code, out) == (1, "")
        assert "tracker plug-in 'tickets': cannot be loaded from acme_tickets_gone:TICKETS: ModuleNotFoundError" in err
        assert "entry-point group syncd.trackers" in err

    def test_an_object_that_is_no_descriptor_is_refused(self) -> None:
        """An entry point naming something else than a `TrackerDescriptor` is refused, naming what it is."""
        point = EntryPoint("tickets", "adapters.github.descriptor:build_adapter", "syncd.trackers")
        with pytest.raises(TrackerPluginError, match=r"'tickets'.*is a function, not an adapters\.descriptor"):
            plugin_descriptors(lambda: [point])

    def test_the_entry_point_is_named_by_the_kind(self) -> None:
        """A descriptor registered under another name than its kind is refused (kinds must not be ambiguous)."""
        point = EntryPoint("gh", "adapters.github.descriptor:GITHUB", "syncd.trackers")
        with pytest.raises(TrackerPluginError, match="its descriptor says kind 'github'; register it under"):
            plugin_descriptors(lambda: [point])

    def test_a_kind_registered_twice_is_refused(self) -> None:
        """A plug-in cannot take over a built-in kind silently."""
        with pytest.raises(TrackerPluginError, match="more than one tracker is registered as kind 'github'"):
            registry.TrackerRegistry([*registry.BUILT_IN, GITHUB])
