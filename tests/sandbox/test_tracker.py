"""The sandbox reads the registry: every tracker with a sandbox part gets a share of the company, others a line."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.asana.descriptor import ASANA
from adapters.github.descriptor import GITHUB
from adapters.registry import registry
from syncd.core.model import CheckIn
from syncd.sandbox.company import acme
from syncd.sandbox.config import VIEWER_TOKEN_ENV, new_secrets, sandbox_config
from syncd.sandbox.expected import ground_truth
from syncd.sandbox.seed import seed, spread
from syncd.sandbox.tracker import SandboxSource, sandbox_sources
from tests.sandbox.conftest import NOW, TODAY, fake_endpoints, resolved_config
from tests.sandbox.test_expected import SEEDED

#: A third tracker as a plug-in would register it: its own kind, reusing GitHub's parts.
FORGE = replace(GITHUB, kind="forge", title="Forge")


def _kr(labels: tuple[str, ...]) -> str:
    return next((label for label in labels if label.startswith("kr:")), "")


class TestRegisteredTrackers:
    """Which trackers the sandbox runs comes from the registry alone."""

    def test_each_sandbox_part_builds_a_tracker_of_its_own_kind(self) -> None:
        """GitHub and Asana (and any tracker registered with a part) name a factory of a tracker of their kind."""
        built = {d.kind: d.sandbox.load_tracker()().kind for d in registry().descriptors if d.sandbox is not None}
        assert built.keys() >= {"github", "asana"}
        assert all(kind == built_kind for kind, built_kind in built.items())

    def test_a_tracker_without_a_sandbox_part_is_left_out_with_one_line(self) -> None:
        """The sandbox still runs the others, and says in one line which tracker it left out and why."""
        trackers = sandbox_sources("Acme", [GITHUB, replace(ASANA, sandbox=None)])
        assert [source.name for source in trackers.sources] == ["acme-github"]
        assert trackers.left_out == ("Asana is left out of the sandbox: its tracker names no sandbox part",)

    def test_secrets_are_generated_for_every_registered_tracker(self) -> None:
        """`sandbox.env` holds each tracker's own variables, in registry order, GitHub's and Asana's among them."""
        names = [name for source in sandbox_sources("Acme").sources for name in source.tracker.secret_names()]
        assert list(new_secrets()) == [*names, VIEWER_TOKEN_ENV]
        assert {
            "SYNCD_SANDBOX_GITHUB_TOKEN",
            "SYNCD_SANDBOX_GITHUB_WEBHOOK_SECRET",
            "SYNCD_SANDBOX_ASANA_TOKEN",
        } <= set(names)


class TestSpread:
    """The seeded company is dealt out over the trackers, deterministically, KR by KR."""

    def test_each_tracker_gets_a_share_of_every_kr_it_can_hold(self) -> None:
        """With GitHub and Asana, both hold tasks of every task-measured KR; number tasks go to Asana only."""
        company = acme(TODAY)
        github, asana = spread(company.items, [s.tracker for s in sandbox_sources("Acme", [GITHUB, ASANA]).sources])
        assert not [item for item in github if item.numbers]
        assert len(github) + len(asana) == len(company.items)
        counts = Counter(_kr(item.labels) for item in company.items if not item.numbers)
        shared = {f"kr:{kr_id}" for kr_id in company.key_result_ids if counts[f"kr:{kr_id}"] >= 2}
        assert shared == {"kr:ENG-1.1", "kr:ENG-1.2", "kr:ENG-2.1", "kr:ENG-2.2", "kr:GTM-1.1"}
        assert {_kr(item.labels) for item in github} >= shared
        assert {_kr(item.labels) for item in asana} >= shared

    def test_one_krs_tasks_go_round_the_trackers_in_registry_order(self) -> None:
        """ENG-1.1's tasks alternate GitHub, Asana, GitHub, ... so each run deals the same share to the same tracker."""
        company = acme(TODAY)
        trackers = [source.tracker for source in sandbox_sources("Acme", [GITHUB, ASANA]).sources]
        shares = spread(company.items, trackers)
        signup = [item.title for item in company.items if _kr(item.labels) == "kr:ENG-1.1"]
        placed = [
            next(t.kind for t, share in zip(trackers, shares, strict=True) if title in {i.title for i in share})
            for title in signup
        ]
        assert placed == ["github", "asana"] * (len(signup) // 2) + ["github"] * (len(signup) % 2)

    def test_a_newly_registered_tracker_shows_up_and_the_numbers_stay_the_same(self) -> None:
        """A third tracker registered beside GitHub and Asana gets its share and its source, with no sandbox
        edit; the seed's progress is still what the formulas give by hand."""
        company = acme(TODAY)
        sources = sandbox_sources(company.name, [GITHUB, ASANA, FORGE]).sources
        seed(company, sources)
        shares = Counter(source.name for source in sources for _ in source.tracker.task_records(_follows(source)))
        assert set(shares) == {"acme-github", "acme-asana", "acme-forge"}
        assert sum(shares.values()) == len(company.items)
        raw = sandbox_config(company, sources, fake_endpoints(sources), Path("x.db"))
        assert [source["name"] for source in raw["sources"]] == ["acme-github", "acme-asana", "acme-forge"]
        checkins = [CheckIn(item.kr_id, NOW, item.value) for item in company.checkins]
        truth = ground_truth(resolved_config(company, sources), sources, checkins, NOW)
        assert truth.progress == pytest.approx(SEEDED)


def _follows(source: SandboxSource) -> dict[str, object]:
    """What a source follows, as its config entry says (repositories, projects)."""
    return source.tracker.source_config(source.name, "http://127.0.0.1:1/api", "4s")
