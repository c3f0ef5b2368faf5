"""The sandbox's OKR store: a simulated Quantive Results beside the trackers, with one metric per KR of the
company, fed by syncd like a real account (`okr_stores:` in the generated config)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from syncd.sandbox.company import Company
from syncd.simulators.quantive import QuantiveSimulator

QUANTIVE_TOKEN_ENV = "SANDBOX_QUANTIVE_TOKEN"  # noqa: S105 - the variable's name, not its value
QUANTIVE_ACCOUNT_ENV = "SANDBOX_QUANTIVE_ACCOUNT_ID"
#: The store's name in the generated config.
STORE_NAME = "acme-quantive"


def quantive_secrets() -> dict[str, str]:
    """Fresh credentials of the simulated Quantive (by environment variable name)."""
    return {QUANTIVE_TOKEN_ENV: secrets.token_hex(16), QUANTIVE_ACCOUNT_ENV: secrets.token_hex(12)}


def metric_id(kr_id: str) -> str:
    """The simulated Quantive metric (key result) id of a KR: 24 hex digits, like Quantive's."""
    return hashlib.sha256(kr_id.encode()).hexdigest()[:24]


def start_quantive(company: Company, credentials: Mapping[str, str], cleanup: ExitStack) -> QuantiveSimulator:
    """Quantive with a metric per KR, accepting this run's token and account id; stopped by `cleanup`."""
    sim = QuantiveSimulator(credentials[QUANTIVE_TOKEN_ENV], credentials[QUANTIVE_ACCOUNT_ENV])
    for objective in company.objectives:
        for kr in objective["key_results"]:
            sim.add_metric(metric_id(kr["id"]), kr["title"])
    sim.start()
    cleanup.callback(sim.stop)
    return sim


def quantive_item(company: Company, url: str) -> dict[str, Any]:
    """The `okr_stores:` item feeding the simulated Quantive every KR's progress."""
    metrics = {kr["id"]: metric_id(kr["id"]) for objective in company.objectives for kr in objective["key_results"]}
    return {
        "name": STORE_NAME,
        "kind": "quantive",
        "base_url": url,
        "token": f"${{{QUANTIVE_TOKEN_ENV}}}",
        "account_id": f"${{{QUANTIVE_ACCOUNT_ENV}}}",
        "metrics": metrics,
        "value": "progress",
    }
