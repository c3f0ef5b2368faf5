"""Fixtures of the sandbox's unit tests: the seeded company spread over simulators that are never started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.core.model import CheckIn
from syncd.sandbox.company import Company, acme
from syncd.sandbox.config import Endpoints, sandbox_config
from syncd.sandbox.seed import seed
from syncd.sandbox.tracker import SandboxSource, sandbox_sources

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class SeededCompany:
    """The company seeded into unstarted simulators (their Python APIs work without a server)."""

    company: Company
    sources: tuple[SandboxSource, ...]
    config: SyncdConfig

    def seeded_checkins(self) -> list[CheckIn]:
        """The company's seed check-ins, as recorded at NOW."""
        return [CheckIn(item.kr_id, NOW, item.value) for item in self.company.checkins]

    def holder(self, key: str) -> SandboxSource:
        """The source holding a seeded item."""
        return next(source for source in self.sources if key in source.tracker.story_keys())

    def external_id(self, key: str) -> str:
        """The external id of a seeded item."""
        return self.holder(key).tracker.external_id(key)


def fake_endpoints(sources: tuple[SandboxSource, ...]) -> Endpoints:
    """Endpoints on ports nobody serves (the files only name them)."""
    return Endpoints({source.name: f"http://127.0.0.1:{n}/api" for n, source in enumerate(sources, 1)}, 99)


def resolved_config(company: Company, sources: tuple[SandboxSource, ...]) -> SyncdConfig:
    """The generated config with its `${ENV}` secrets replaced by fake values, validated."""
    raw = sandbox_config(company, sources, fake_endpoints(sources), Path("x.db"))
    for source in raw["sources"]:
        source["token"] = "fake-token"
        if "webhook_secret" in source:
            source["webhook_secret"] = "fake-secret"
    return config_model().model_validate(raw)


@pytest.fixture
def seeded() -> SeededCompany:
    """Acme on 2026-11-22, seeded."""
    company = acme(TODAY)
    sources = sandbox_sources(company.name).sources
    seed(company, sources)
    return SeededCompany(company, sources, resolved_config(company, sources))
