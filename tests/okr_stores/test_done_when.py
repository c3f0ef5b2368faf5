"""Issue 22's "done when", in the simulators: one progress change is exactly one Quantive check-in, one WorkBoard
metric update and one signed event; nothing changed, none; after an outage of all three, exactly one each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from syncd.core.model import TaskState
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.recompute.dirty import Recompute
from syncd.simulators.quantive import QuantiveSimulator
from syncd.simulators.workboard import WorkBoardSimulator
from tests.okr_stores.bench import (
    QUANTIVE_ACCOUNT,
    QUANTIVE_METRIC,
    QUANTIVE_TOKEN,
    WEBHOOK_SECRET,
    WORKBOARD_METRIC,
    WORKBOARD_TOKEN,
    change,
    later,
    quantive_item,
    settle,
    store_bench,
    webhook_item,
    workboard_item,
)
from tests.okr_stores.receiver import Receiver, receiving
from tests.support.worker_env import WorkerEnv


@dataclass
class Stores:
    """The three stores of one test, and the bench writing to them."""

    env: WorkerEnv
    quantive: QuantiveSimulator
    workboard: WorkBoardSimulator
    receiver: Receiver

    def counts(self) -> tuple[int, int, int]:
        """(Quantive check-ins, WorkBoard updates, verified ENG-1.1 progress events) so far."""
        events = [
            d for d in self.receiver.deliveries()
            if d.verified and d.answered < 300 and d.body["type"] == "key_result.progress_changed"
            and d.body["data"]["key_result"]["id"] == "ENG-1.1"  # type: ignore[index]
        ]  # fmt: skip
        return (len(self.quantive.updates(QUANTIVE_METRIC)), len(self.workboard.updates(WORKBOARD_METRIC)), len(events))


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    """Simulated Quantive and WorkBoard, a verifying receiver, and a bench feeding all three."""
    quantive = QuantiveSimulator(QUANTIVE_TOKEN, QUANTIVE_ACCOUNT)
    quantive.add_metric(QUANTIVE_METRIC, "Ship self-serve onboarding")
    workboard = WorkBoardSimulator(WORKBOARD_TOKEN)
    workboard.add_metric(WORKBOARD_METRIC, "Ship self-serve onboarding")
    with quantive, workboard, receiving(WEBHOOK_SECRET) as (receiver, url):
        items = [quantive_item(quantive.url), workboard_item(workboard.url, value="current"), webhook_item(url)]
        with store_bench(tmp_path, items) as env:
            yield Stores(env, quantive, workboard, receiver)


def _first_sight(stores: Stores) -> Pusher:
    """ENG-1.1 linked (0 of 1 done): each store gets its first value; returns the pusher."""
    change(stores.env, "acme/web#1", labels=["kr:ENG-1.1"])
    pusher = Pusher(stores.env.runtime)
    settle(stores.env, pusher)
    assert stores.counts() == (1, 1, 1)
    return pusher


class TestDoneWhen:
    """The acceptance of issue 22 across the three store kinds at once."""

    def test_one_change_is_one_write_in_each_store(self, stores: Stores) -> None:
        pusher = _first_sight(stores)
        change(stores.env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        settle(stores.env, pusher)
        for _idle in range(3):
            settle(stores.env, pusher, 60)
        assert stores.counts() == (2, 2, 2)
        assert stores.quantive.updates(QUANTIVE_METRIC)[-1]["actual"] == 50.0
        last = stores.workboard.updates(WORKBOARD_METRIC)[-1]
        assert last == {"metric_data": 1.0, "metric_comment": "syncd: 1 of 2 tasks done in fake (50%)"}

    def test_nothing_changed_is_no_write_anywhere(self, stores: Stores) -> None:
        pusher = _first_sight(stores)
        for _day in range(5):
            later(stores.env, 1)
            change(stores.env, "acme/web#1", labels=["kr:ENG-1.1"], title="edited, still open")
            Recompute(stores.env.runtime).run_once()
            settle(stores.env, pusher)
        assert stores.counts() == (1, 1, 1)

    def test_after_an_outage_of_every_store_each_converges_with_one_write(self, stores: Stores) -> None:
        pusher = _first_sight(stores)
        stores.quantive.faults.server_error(count=None, status=503)
        stores.workboard.faults.server_error(count=None, status=502)
        stores.receiver.answers = [500] * 8
        change(stores.env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        for _minute in range(8):
            settle(stores.env, pusher, 60)
        assert stores.counts() == (1, 1, 1)
        failing = {t["source"] for t in stores.env.targets() if t["last_error"]}
        assert {"acme-quantive", "acme-workboard", "okr-events"} <= failing
        stores.quantive.faults.clear()
        stores.workboard.faults.clear()
        stores.receiver.answers = []
        for _minute in range(15):
            settle(stores.env, pusher, 60)
        assert stores.counts() == (2, 2, 2)
        store_targets = [t for t in stores.env.targets() if t["source"] != "fake"]
        assert all(t["applied_hash"] == t["desired_hash"] and t["last_error"] is None for t in store_targets)
