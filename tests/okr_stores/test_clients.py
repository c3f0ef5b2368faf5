"""The Quantive and WorkBoard clients against their simulators: documented shapes, auth, failures mapped once,
and `check --online`'s probes (metric exists, token accepted)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from adapters.quantive.config import QuantiveStoreConfig
from adapters.quantive.store import QuantiveStore
from adapters.registry import config_model
from adapters.workboard.config import WorkBoardStoreConfig
from adapters.workboard.store import WorkBoardStore
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.quantive import QuantiveSimulator
from syncd.simulators.workboard import WorkBoardSimulator
from tests.okr_stores.bench import (
    QUANTIVE_ACCOUNT,
    QUANTIVE_METRIC,
    QUANTIVE_TOKEN,
    WORKBOARD_METRIC,
    WORKBOARD_TOKEN,
    quantive_item,
    workboard_item,
)

WRITE = PushWrite(WriteKind.METRIC, "ENG-1.1", text="syncd: 1 of 2 tasks done (50%)", number=50.0)


def _config(item: dict[str, object]) -> object:
    data = {"cycles": [{"id": "Q", "start": "2026-10-01", "end": "2026-12-31"}], "okr_stores": [item]}
    return config_model().model_validate(data).okr_stores[0]


@pytest.fixture
def quantive() -> Iterator[QuantiveSimulator]:
    """Quantive with ENG-1.1's metric."""
    sim = QuantiveSimulator(QUANTIVE_TOKEN, QUANTIVE_ACCOUNT)
    sim.add_metric(QUANTIVE_METRIC, "Onboarding")
    with sim:
        yield sim


@pytest.fixture
def workboard() -> Iterator[WorkBoardSimulator]:
    """WorkBoard with ENG-1.1's metric."""
    sim = WorkBoardSimulator(WORKBOARD_TOKEN)
    sim.add_metric(WORKBOARD_METRIC, "Onboarding")
    with sim:
        yield sim


def _quantive(url: str, **extra: object) -> QuantiveStore:
    config = _config(quantive_item(url, **extra))
    assert isinstance(config, QuantiveStoreConfig)
    return QuantiveStore(config)


def _workboard(url: str, **extra: object) -> WorkBoardStore:
    config = _config(workboard_item(url, **extra))
    assert isinstance(config, WorkBoardStoreConfig)
    return WorkBoardStore(config)


class TestQuantiveClient:
    """Check-ins as documented, failures mapped, an unknown write not repeated once it landed."""

    def test_429_is_rate_limited_with_retry_after(self, quantive: QuantiveSimulator) -> None:
        quantive.faults.rate_limit(retry_after=7)
        store = _quantive(quantive.url)
        with pytest.raises(RateLimited) as caught:
            store.apply(WRITE)
        assert caught.value.delay == 7
        store.close()

    def test_5xx_is_retriable_and_404_permanent(self, quantive: QuantiveSimulator) -> None:
        quantive.faults.server_error(status=503)
        store = _quantive(quantive.url, metrics={"ENG-1.1": "nope"})
        with pytest.raises(Retriable):
            store.apply(WRITE)
        with pytest.raises(NotFound):
            store.apply(WRITE)
        store.close()

    def test_missing_account_header_is_refused(self, quantive: QuantiveSimulator) -> None:
        store = _quantive(quantive.url, account_id="someone-else")
        with pytest.raises(Permanent, match="403"):
            store.apply(WRITE)
        store.close()

    def test_unknown_outcome_that_landed_is_not_checked_in_twice(self, quantive: QuantiveSimulator) -> None:
        store = _quantive(quantive.url)
        store.apply(WRITE)
        store.apply(PushWrite(WRITE.kind, WRITE.key, WRITE.text, WRITE.number, unknown=True))
        store.close()
        assert len(quantive.updates(QUANTIVE_METRIC)) == 1

    def test_online_checks_name_the_metric_and_the_fix(self, quantive: QuantiveSimulator) -> None:
        store = _quantive(quantive.url, metrics={"ENG-1.1": QUANTIVE_METRIC, "ENG-1.2": "deadbeef"})
        good, missing = store.check_online()
        store.close()
        assert good.ok
        assert "Onboarding" in good.detail
        assert not missing.ok
        assert "deadbeef" in missing.detail
        assert "metrics:" in missing.fix

    def test_online_check_says_when_the_token_is_refused(self, quantive: QuantiveSimulator) -> None:
        quantive.token = "rotated"
        store = _quantive(quantive.url)
        (check,) = store.check_online()
        store.close()
        assert not check.ok
        assert "401" in check.detail
        assert QUANTIVE_TOKEN not in check.detail


class TestWorkBoardClient:
    """Metric updates as documented; the same failure mapping."""

    def test_update_sends_metric_data_and_comment(self, workboard: WorkBoardSimulator) -> None:
        store = _workboard(workboard.url)
        store.apply(WRITE)
        store.close()
        (write,) = workboard.writes()
        assert (write.method, write.path) == ("PUT", f"/metric/{WORKBOARD_METRIC}")
        assert write.body == {"metric_data": 50.0, "metric_comment": "syncd: 1 of 2 tasks done (50%)"}

    def test_wrong_token_is_permanent(self, workboard: WorkBoardSimulator) -> None:
        workboard.token = "rotated"
        store = _workboard(workboard.url)
        with pytest.raises(Permanent, match="401"):
            store.apply(WRITE)
        store.close()

    def test_online_checks(self, workboard: WorkBoardSimulator) -> None:
        store = _workboard(workboard.url, metrics={"ENG-1.1": WORKBOARD_METRIC, "ENG-1.2": "1"})
        good, missing = store.check_online()
        store.close()
        assert good.ok
        assert not missing.ok
        assert "1" in missing.detail


class TestSimulatorBadInput:
    """The store simulators answer a body that is no JSON as the tools do: 400, logged, no metric touched."""

    def test_malformed_body_is_400_and_changes_nothing(self, quantive: QuantiveSimulator) -> None:
        headers = {
            "authorization": f"Bearer {QUANTIVE_TOKEN}",
            "gtmhub-accountId": QUANTIVE_ACCOUNT,
            "content-type": "application/json",
        }
        url = f"{quantive.url}/metrics/{QUANTIVE_METRIC}/checkin"
        answer = httpx.post(url, content=b"{not json", headers=headers)
        assert answer.status_code == 400
        assert "not JSON" in answer.json()["error"]
        assert quantive.updates(QUANTIVE_METRIC) == []
        assert [r.status for r in quantive.requests.entries()] == [400]
