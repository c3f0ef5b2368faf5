"""A config reload builds the OKR stores anew (an added store is pushed to, a removed one is closed), and the
pusher writes to whichever stores are configured now."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from adapters.registry import load_config
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.reload import ConfigReloader
from syncd.simulators.quantive import QuantiveSimulator
from syncd.store.okr import sync_config
from tests.okr_stores.bench import QUANTIVE_ACCOUNT, QUANTIVE_METRIC, QUANTIVE_TOKEN
from tests.support.daemon import base_config, write_config
from tests.support.webhooks import migrated_sqlite


@pytest.fixture
def quantive() -> Iterator[QuantiveSimulator]:
    """Quantive with ENG-1.1's metric."""
    sim = QuantiveSimulator(QUANTIVE_TOKEN, QUANTIVE_ACCOUNT)
    sim.add_metric(QUANTIVE_METRIC, "Ingest")
    with sim:
        yield sim


def test_reload_adds_and_removes_a_store(
    tmp_path: Path, quantive: QuantiveSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELOAD_QUANTIVE_TOKEN", QUANTIVE_TOKEN)
    path = write_config(tmp_path, base_config(f"sqlite:///{tmp_path / 'syncd.db'}"))
    engine = migrated_sqlite(tmp_path / "syncd.db")
    try:
        config = load_config(path)
        runtime = Runtime(loaded=LoadedConfig(config, path, {}), engine=engine)
        sync_config(engine, config, runtime.clock())
        reloader = ConfigReloader(runtime, path)
        data = yaml.safe_load(path.read_text())
        data["okr_stores"] = [{
            "name": "acme-quantive", "kind": "quantive", "base_url": quantive.url, "token": "${RELOAD_QUANTIVE_TOKEN}",
            "account_id": QUANTIVE_ACCOUNT, "metrics": {"ENG-1.1": QUANTIVE_METRIC},
        }]  # fmt: skip
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        assert reloader.reload()
        assert list(runtime.loaded.stores) == ["acme-quantive"]
        assert Pusher(runtime).destinations() == ["acme-quantive"]
        store = runtime.loaded.stores["acme-quantive"]
        del data["okr_stores"]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        assert reloader.reload()
        assert runtime.loaded.stores == {}
        reloader.close_retired()
        assert store.client.http.is_closed  # type: ignore[attr-defined]
        runtime.executor.shutdown(wait=True)
    finally:
        engine.dispose()
