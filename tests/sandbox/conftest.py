"""Fixtures of the sandbox's unit tests: the seeded company in simulators that are never started."""

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
from syncd.sandbox.seed import SeededIds, seed
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.github import GitHubSimulator

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class SeededCompany:
    """The company seeded into unstarted simulators (their Python APIs work without a server)."""

    company: Company
    github: GitHubSimulator
    asana: AsanaSimulator
    ids: SeededIds
    config: SyncdConfig

    def seeded_checkins(self) -> list[CheckIn]:
        """The company's seed check-ins, as recorded at NOW."""
        return [CheckIn(item.kr_id, NOW, item.value) for item in self.company.checkins]


def resolved_config(company: Company, ids: SeededIds) -> SyncdConfig:
    """The generated config with its `${ENV}` secrets replaced by fake values, validated."""
    raw = sandbox_config(
        company, ids, Endpoints("http://127.0.0.1:1/api/v3", "http://127.0.0.1:2/api/1.0", 3), Path("x.db")
    )
    for source in raw["sources"]:
        source["token"] = "fake-token"
        if "webhook_secret" in source:
            source["webhook_secret"] = "fake-secret"
    return config_model().model_validate(raw)


@pytest.fixture
def seeded() -> SeededCompany:
    """Acme on 2026-11-22, seeded."""
    company = acme(TODAY)
    github, asana = GitHubSimulator(), AsanaSimulator()
    ids = seed(company, github, asana)
    return SeededCompany(company, github, asana, ids, resolved_config(company, ids))
