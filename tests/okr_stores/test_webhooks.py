"""Outbound Standard Webhooks through the pusher, verified by the independent `standardwebhooks` package in a real
receiver: one signed event per change, none when idle, the same webhook-id on a retry, a wrong secret refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.standard_webhooks.store import WebhookStore
from syncd.core.model import TaskState
from syncd.runtime.context import LoadedConfig
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.recompute.dirty import Recompute
from tests.okr_stores.bench import WEBHOOK_SECRET, change, later, settle, store_bench, webhook_item
from tests.okr_stores.receiver import Receiver, receiving
from tests.support.worker_env import WorkerEnv

PROGRESS = "key_result.progress_changed:ENG-1.1"


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A receiver that verifies with the store's secret."""
    with receiving(WEBHOOK_SECRET) as served:
        yield served


def _warm(env: WorkerEnv, receiver: Receiver) -> Pusher:
    """Push the first standing of every KR (a store's first sight of them), then forget those deliveries."""
    change(env, "acme/web#1", labels=["kr:ENG-1.1"])
    pusher = Pusher(env.runtime)
    settle(env, pusher)
    receiver.clear()
    return pusher


def _events(receiver: Receiver, event_type: str) -> list[dict[str, object]]:
    return [d.body for d in receiver.deliveries() if d.body["type"] == event_type]


class TestOneEventPerChange:
    """A KR's progress change is one signed event of each configured type that it changes."""

    def test_progress_change_makes_one_verified_event(self, tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
        got, url = receiver
        with store_bench(tmp_path, [webhook_item(url)]) as env:
            pusher = _warm(env, got)
            change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            settle(env, pusher)
            for _idle in range(3):
                settle(env, pusher, 60)
        (event,) = _events(got, "key_result.progress_changed")
        assert all(d.verified for d in got.deliveries())
        data = event["data"]
        assert isinstance(data, dict)
        assert (data["key_result"]["id"], data["progress"], data["done"], data["total"]) == ("ENG-1.1", 0.5, 1, 2)
        assert {"expected", "status", "cycle", "sources"} <= set(data)
        (objective,) = _events(got, "objective.progress_changed")
        assert objective["data"]["objective"]["id"] == "ENG-1"  # type: ignore[index]

    def test_idle_days_send_nothing_but_a_status_change(self, tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
        got, url = receiver
        with store_bench(tmp_path, [webhook_item(url)]) as env:
            pusher = _warm(env, got)
            for _day in range(20):
                later(env, 1)  # expected progress moves every day; ENG-1.1 stays at 0
                change(env, "acme/web#1", labels=["kr:ENG-1.1"], title="still open")
                Recompute(env.runtime).run_once()
                settle(env, pusher)
        assert _events(got, "key_result.progress_changed") == []
        assert _events(got, "objective.progress_changed") == []
        statuses = [e["data"]["status"] for e in _events(got, "key_result.status_changed")]  # type: ignore[index]
        assert len(statuses) == len(set(statuses))  # one event per status reached, none for an unchanged status


class TestRetries:
    """A failed delivery is sent again with the same webhook-id and a fresh signature, until a 2xx."""

    def test_retry_after_500_keeps_the_webhook_id(self, tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
        got, url = receiver
        with store_bench(tmp_path, [webhook_item(url, events=["key_result.progress_changed"])]) as env:
            pusher = _warm(env, got)
            got.answers = [500]
            change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            settle(env, pusher)
            (target,) = [t for t in env.targets(source="okr-events") if t["key"] == PROGRESS]
            assert "500" in target["last_error"]
            for _wait in range(5):
                settle(env, pusher, 60)
            (target,) = [t for t in env.targets(source="okr-events") if t["key"] == PROGRESS]
        first, second = [d for d in got.deliveries() if d.body["data"]["key_result"]["id"] == "ENG-1.1"]  # type: ignore[index]
        assert (first.answered, second.answered) == (500, 204)
        assert first.webhook_id == second.webhook_id
        assert first.body == second.body
        assert first.verified
        assert second.verified
        assert target["applied_hash"] == target["desired_hash"]
        assert target["last_error"] is None

    def test_a_new_change_is_a_new_webhook_id(self, tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
        got, url = receiver
        with store_bench(tmp_path, [webhook_item(url, events=["key_result.progress_changed"])]) as env:
            pusher = _warm(env, got)
            change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            settle(env, pusher)
            change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            settle(env, pusher)
        ids = [d.webhook_id for d in got.deliveries()]
        assert len(ids) == 2
        assert ids[0] != ids[1]

    def test_gives_up_after_a_day_and_shows_the_answer(self, tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
        got, url = receiver
        with store_bench(tmp_path, [webhook_item(url, events=["key_result.progress_changed"])]) as env:
            (config,) = env.runtime.config.okr_stores
            store = WebhookStore(config, clock=env.clock)  # type: ignore[arg-type]
            env.runtime.loaded = LoadedConfig(
                env.runtime.config, None, env.runtime.loaded.adapters, {store.name: store}
            )
            pusher = _warm(env, got)
            got.answers = [503] * 10_000
            change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            for _hour in range(26):
                settle(env, pusher, 3600)
            (target,) = [t for t in env.targets(source="okr-events") if t["key"] == PROGRESS]
            attempts = len(got.deliveries())
            settle(env, pusher, 3600)
            store.close()
        assert target["failed_permanently"]
        assert "gave up" in target["last_error"]
        assert "503" in target["last_error"]
        assert 10 < attempts < 200  # backed off, not hammered
        assert len(got.deliveries()) == attempts  # nothing more once given up


class TestSignature:
    """A receiver with another secret refuses every delivery: the signature is really checked."""

    def test_wrong_secret_fails_verification(self, tmp_path: Path) -> None:
        other = "whsec_" + base64.b64encode(b"another-secret-entirely-0123456").decode()
        with receiving(other) as (got, url), store_bench(tmp_path, [webhook_item(url)]) as env:
            change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            settle(env, Pusher(env.runtime))
            (target,) = [t for t in env.targets(source="okr-events") if t["key"] == PROGRESS]
        assert got.deliveries()
        assert not any(d.verified for d in got.deliveries())
        assert "401" in target["last_error"]
        assert "whsec_" not in json.dumps(target["last_error"])
