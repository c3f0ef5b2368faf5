"""A Data Center server that sends no `X-Atlassian-Webhook-Identifier`: the daemon, served for real, stores its
signed delivery once even when it comes twice (deduped on the digest of the body), and keeps one per change; with
the header (as Cloud sends it) a redelivery is still deduped on the identifier."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.jira.descriptor import JIRA
from syncd.simulators.contract import SentDelivery
from syncd.simulators.jira.contract import JiraContractTracker
from syncd.store.tables import DELIVERIES
from tests.contract.bench import KR, ContractBench, contract_bench

DATA_CENTER = dataclasses.replace(JIRA, contract_simulator="syncd.simulators.jira.contract:data_center_tracker")
LINK = f"kr:{KR}"


def delivery_ids(bench: ContractBench) -> list[str]:
    """The stored deliveries' ids, in id order."""
    with bench.engine.connect() as conn:
        return list(conn.execute(select(DELIVERIES.c.delivery_id).order_by(DELIVERIES.c.id)).scalars())


def expected_id(delivery: SentDelivery, *, identifier: bool) -> str:
    """The id a delivery is stored under: its identifier when sent, else the digest of its body."""
    if identifier:
        return delivery.headers["x-atlassian-webhook-identifier"]
    return "sha256:" + hashlib.sha256(delivery.body).hexdigest()


@pytest.mark.parametrize("identifier", [False, True], ids=["without identifier", "with identifier"])
def test_a_signed_delivery_sent_twice_is_stored_once(identifier: bool, tmp_path: Path) -> None:
    """A change's deliveries (created, updated), the last posted again as Jira retries it: 2xx both times, one
    row each, the progress applied once; the next change is a new row."""
    with contract_bench(DATA_CENTER, tmp_path) as bench:
        tracker = bench.tracker
        assert isinstance(tracker, JiraContractTracker)
        tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        tracker.create_task("Add single sign-on", labels=[LINK])
        bench.backfill()
        bench.serve_webhooks()
        tracker.sim.hooks.send_identifier = identifier
        before = len(tracker.deliveries())
        tracker.create_task("Polish the onboarding tour", labels=[LINK], state="done")  # created, then updated
        tracker.flush_webhooks()
        sent = tracker.deliveries()[before:]
        assert len(sent) == 2
        assert all(("x-atlassian-webhook-identifier" in d.headers) is identifier for d in sent)
        assert all(d.status is not None and 200 <= d.status < 300 for d in sent)
        stored = delivery_ids(bench)
        assert stored[-2:] == [expected_id(d, identifier=identifier) for d in sent]
        again = bench.post(sent[-1].url, sent[-1].headers, sent[-1].body)
        assert 200 <= again.status_code < 300, again.text
        assert delivery_ids(bench) == stored
        bench.settle()
        assert bench.progress() == pytest.approx(2 / 3)

        tracker.create_task("Write the release notes", labels=[LINK])  # another change: another body, another row
        tracker.flush_webhooks()
        assert len(set(delivery_ids(bench))) == len(stored) + 1
        bench.settle()
        assert bench.progress() == pytest.approx(2 / 4)
