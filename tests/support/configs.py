"""Helpers for tests that write admin config files: the contract config and its environment."""

from __future__ import annotations

import textwrap
from pathlib import Path

from adapters.registry import BUILT_IN

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "tests" / "fixtures" / "contract.yaml"
EXAMPLE = REPO / "config" / "example.yaml"
SCHEMA = REPO / "config" / "syncd.schema.json"

#: The variables the contract config refers to, with fake values.
CONTRACT_ENV = {
    "GITHUB_TOKEN": "ghp_contract-token-0001",
    "GITHUB_WEBHOOK_SECRET": "contract-webhook-secret",
    "ASANA_TOKEN": "asana-contract-token-0002",
}

#: The smallest valid config: one cycle.
MINIMAL = """\
cycles:
  - {id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
"""


def write_config(directory: Path, text: str, name: str = "syncd.yaml") -> Path:
    """Write `text` (dedented) to `directory/name`, creating folders, and return the path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


#: The built-in tracker kinds as config errors list them ("known kinds: asana, github, ...").
KNOWN_KINDS = ", ".join(sorted(descriptor.kind for descriptor in BUILT_IN))
