"""`okr_stores:` as `syncd check` reads it: unknown KR ids with a suggestion, names apart from sources, secrets
only as `${ENV}`, a Standard Webhooks secret that starts with whsec_, unknown keys refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.registry import load_config
from syncd.cli.check import summary_lines
from syncd.config.errors import ConfigError
from tests.support.configs import write_config

HEAD = """\
cycles:
  - {id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
objectives:
  - id: ENG-1
    title: Delight
    cycle: 2026-Q4
    key_results:
      - {id: ENG-1.1, title: Ship}
      - {id: ENG-1.2, title: Fix}
sources:
  - {name: acme-github, kind: github, token: '${GITHUB_TOKEN}', repos: [acme/web]}
okr_stores:
"""
ENV = {
    "GITHUB_TOKEN": "ghp_0123456789abcdef",
    "QUANTIVE_TOKEN": "quantive-0123456789",
    "QUANTIVE_ACCOUNT_ID": "5be26318e5274a0007f17f61",
    "WORKBOARD_TOKEN": "workboard-0123456789",
    "SYNCD_OUTBOUND_SECRET": "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}
QUANTIVE = (
    "  - {name: acme-quantive, kind: quantive, token: '${QUANTIVE_TOKEN}', account_id: '${QUANTIVE_ACCOUNT_ID}', "
)
WEBHOOK = "  - {name: okr-events, kind: webhook, url: 'https://hooks.example.com/okr', "


def _problems(tmp_path: Path, stores: str, env: dict[str, str] | None = None) -> list[str]:
    path = write_config(tmp_path, HEAD + stores)
    with pytest.raises(ConfigError) as caught:
        load_config(path, ENV if env is None else env)
    return [str(problem) for problem in caught.value.problems]


class TestValidStores:
    """The issue's example section is accepted, each item as its own kind."""

    def test_the_three_kinds_load(self, tmp_path: Path) -> None:
        text = HEAD + QUANTIVE + "metrics: {ENG-1.1: 6512f0c2a1b2c3d4e5f60718}, value: progress}\n"
        text += "  - {name: acme-workboard, kind: workboard, token: '${WORKBOARD_TOKEN}', metrics: {ENG-1.2: '381920'}, value: current}\n"
        text += WEBHOOK + "secret: '${SYNCD_OUTBOUND_SECRET}', events: [key_result.progress_changed]}\n"
        config = load_config(write_config(tmp_path, text), ENV)
        assert [(s.name, s.kind) for s in config.okr_stores] == [
            ("acme-quantive", "quantive"), ("acme-workboard", "workboard"), ("okr-events", "webhook"),
        ]  # fmt: skip


class TestRefused:
    """Each mistake is named at its key, with what to do."""

    def test_unknown_kr_id_with_a_suggestion(self, tmp_path: Path) -> None:
        (problem,) = _problems(tmp_path, QUANTIVE + "metrics: {ENG-1.3: abc}}\n")
        assert "okr_stores[0].metrics.ENG-1.3" in problem
        assert 'unknown key result "ENG-1.3"' in problem
        assert "ENG-1.1" in problem

    def test_a_store_named_like_a_source(self, tmp_path: Path) -> None:
        text = QUANTIVE.replace("acme-quantive", "acme-github") + "metrics: {ENG-1.1: abc}}\n"
        (problem,) = _problems(tmp_path, text)
        assert 'OKR store "acme-github" has the name of a source' in problem

    def test_literal_token_is_refused(self, tmp_path: Path) -> None:
        text = QUANTIVE.replace("'${QUANTIVE_TOKEN}'", "literally-a-token-123") + "metrics: {ENG-1.1: abc}}\n"
        (problem,) = _problems(tmp_path, text)
        assert "okr_stores[0].token" in problem
        assert "literally-a-token-123" not in problem

    def test_webhook_secret_must_be_whsec(self, tmp_path: Path) -> None:
        env = {**ENV, "SYNCD_OUTBOUND_SECRET": "not-a-standard-webhooks-secret"}
        (problem,) = _problems(tmp_path, WEBHOOK + "secret: '${SYNCD_OUTBOUND_SECRET}'}\n", env)
        assert "okr_stores[0].secret" in problem
        assert "whsec_" in problem
        assert "not-a-standard" not in problem

    def test_unknown_key_and_unknown_event(self, tmp_path: Path) -> None:
        problems = _problems(
            tmp_path, WEBHOOK + "secret: '${SYNCD_OUTBOUND_SECRET}', events: [kr.moved], retries: 3}\n"
        )
        assert any("retries" in p and "unknown key" in p for p in problems)
        assert any("okr_stores[0].events" in p for p in problems)

    def test_unknown_kind(self, tmp_path: Path) -> None:
        (problem,) = _problems(tmp_path, "  - {name: x, kind: lattice}\n")
        assert "lattice" in problem
        assert "quantive" in problem


class TestCheckSummary:
    """`syncd check` names each store, its kind and the KRs it feeds."""

    def test_summary_lists_the_stores(self, tmp_path: Path) -> None:
        text = HEAD + QUANTIVE + "metrics: {ENG-1.1: abc, ENG-1.2: def}}\n"
        text += WEBHOOK + "secret: '${SYNCD_OUTBOUND_SECRET}', enabled: false}\n"
        path = write_config(tmp_path, text)
        lines = list(summary_lines(load_config(path, ENV), path))
        at = lines.index("okr stores (2):")
        assert lines[at + 1 : at + 3] == [
            "  acme-quantive  quantive  KRs ENG-1.1, ENG-1.2",
            "  okr-events  webhook  every KR and objective  (disabled)",
        ]
