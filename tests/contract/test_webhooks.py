"""The contract, webhook side: deliveries the tracker signs are taken, forged or unsigned ones refused,
redeliveries stored once, and events syncd does not use acknowledged and ignored.

The daemon's web app is served for real and the source's webhooks installed through it (`syncd webhooks
install`, with its handshake where the tracker has one); the tracker then sends its own deliveries.
"""

from __future__ import annotations

import pytest

from syncd.simulators.contract import SentDelivery
from tests.contract.bench import KR, ContractBench
from tests.contract.support import require

LINK = f"kr:{KR}"


@pytest.fixture
def served(bench: ContractBench) -> ContractBench:
    """A done and an open task backfilled (50%), webhooks installed against the served daemon."""
    require(bench.tracker, "webhooks")
    bench.tracker.create_task("Ship the signup form", labels=[LINK], state="done")
    bench.tracker.create_task("Add single sign-on", labels=[LINK])
    bench.backfill()
    bench.serve_webhooks()
    assert bench.progress() == pytest.approx(0.5)
    return bench


def a_change(bench: ContractBench) -> SentDelivery:
    """Complete a third linked task and return the last delivery the tracker sent about it (answered)."""
    before = len(bench.tracker.deliveries())
    bench.tracker.create_task("Polish the onboarding tour", labels=[LINK], state="done")
    bench.tracker.flush_webhooks()
    sent = bench.tracker.deliveries()[before:]
    assert sent, "the tracker sent no delivery for the change"
    return sent[-1]


class TestSignatures:
    """Only a delivery signed as the tracker signs it is stored; the others are refused with 401."""

    def test_a_signed_delivery_is_taken_and_applied(self, served: ContractBench) -> None:
        """The tracker's own delivery: answered 2xx, stored, and its change shows in the progress."""
        stored = served.deliveries()
        delivery = a_change(served)
        assert delivery.status is not None
        assert 200 <= delivery.status < 300
        assert served.deliveries() > stored
        served.settle()
        assert served.progress() == pytest.approx(2 / 3)

    def test_a_forged_delivery_is_refused(self, served: ContractBench) -> None:
        """The body changed after signing: 401, nothing stored."""
        delivery = a_change(served)
        stored = served.deliveries()
        forged = delivery.body.replace(b"}", b' , "forged": true}', 1) if delivery.body.endswith(b"}") else b"{}"
        answer = served.post(delivery.url, delivery.headers, forged)
        assert answer.status_code == 401, answer.text
        assert served.deliveries() == stored

    def test_a_delivery_with_another_signature_is_refused(self, served: ContractBench) -> None:
        """The signature header carries a signature made with another secret: 401, nothing stored."""
        delivery = a_change(served)
        stored = served.deliveries()
        header = served.descriptor.webhooks.signature_header.lower()
        signature = delivery.headers[header]
        wrong = {**delivery.headers, header: signature[:-4] + ("0000" if not signature.endswith("0000") else "1111")}
        answer = served.post(delivery.url, wrong, delivery.body)
        assert answer.status_code == 401, answer.text
        assert served.deliveries() == stored

    def test_an_unsigned_delivery_is_refused(self, served: ContractBench) -> None:
        """No signature header at all: 401, nothing stored."""
        delivery = a_change(served)
        stored = served.deliveries()
        header = served.descriptor.webhooks.signature_header.lower()
        unsigned = {key: value for key, value in delivery.headers.items() if key.lower() != header}
        assert len(unsigned) < len(delivery.headers), f"the delivery carries no {header} header"
        answer = served.post(delivery.url, unsigned, delivery.body)
        assert answer.status_code == 401, answer.text
        assert served.deliveries() == stored


class TestRedelivery:
    """A delivery sent twice (the tracker retried, an admin pressed "redeliver") is stored and applied once."""

    def test_a_redelivery_is_deduplicated(self, served: ContractBench) -> None:
        """The same delivery again: acknowledged, not stored twice, and no write follows it."""
        delivery = a_change(served)
        served.settle()
        stored, writes = served.deliveries(), len(served.tracker.requests())
        answer = served.post(delivery.url, delivery.headers, delivery.body)
        assert 200 <= answer.status_code < 300, answer.text
        assert served.deliveries() == stored
        served.settle()
        assert served.progress() == pytest.approx(2 / 3)
        assert served.unsynced_targets() == 0
        assert [r for r in served.tracker.requests()[writes:] if r.method != "GET"] == []


class TestUnknownEvents:
    """A verified delivery of an event syncd does not use is acknowledged and changes nothing."""

    def test_an_unknown_event_is_acknowledged_and_ignored(self, served: ContractBench) -> None:
        """2xx, then nothing: no failed delivery, no task, no progress change, no write."""
        served.settle()
        tasks, requests = served.mirrored_ids(), len(served.tracker.requests())
        unknown = served.tracker.unknown_delivery()
        answer = served.post(unknown.url, unknown.headers, unknown.body)
        assert 200 <= answer.status_code < 300, answer.text
        served.settle()
        assert served.deliveries("failed") == 0
        assert served.deliveries("pending") == 0
        assert served.mirrored_ids() == tasks
        assert served.progress() == pytest.approx(0.5)
        assert [r for r in served.tracker.requests()[requests:] if r.method != "GET"] == []
