"""Every captured Linear webhook payload in ../shared/vendor-data/linear-webhooks is normalized or deliberately
ignored by the adapter, never an exception (skipped with a reason when vendor data is absent). The captures
are from 2023 (workspace team `WEB`): each is checked with "now" at its own `webhookTimestamp`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.linear.webhook import intake, interpret
from syncd.core.model import TaskState
from syncd.ports import WebhookAccepted, WebhookIgnored
from tests.conftest import VENDOR_DATA
from tests.linear.support import linear_config, signed

FOLDER = VENDOR_DATA / "linear-webhooks"
CAPTURES = sorted(FOLDER.glob("*.json"))
CONFIG = linear_config(teams=["WEB"])


def sent_at(body: bytes) -> datetime:
    """The moment the capture says it was sent."""
    return datetime.fromtimestamp(json.loads(body)["webhookTimestamp"] / 1000, UTC)


@pytest.mark.skipif(not CAPTURES, reason=f"no Linear webhook captures at {FOLDER} (vendor data lives in ../shared)")
class TestVendorCaptures:
    """Real payloads, signed as a team webhook signs them."""

    @pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
    def test_each_capture_is_normalized_or_ignored(self, path: Path) -> None:
        """Issue events give a snapshot or a removal; comment events are ignored with a reason."""
        body = path.read_bytes()
        kind = json.loads(body)["type"]
        headers, body = signed(body, event=kind)
        answer = intake(CONFIG, headers, body, sent_at(body))
        if isinstance(answer, WebhookIgnored):
            assert kind == "Comment", answer
            return
        assert isinstance(answer, WebhookAccepted)
        effects = interpret(CONFIG, answer.event, body)
        assert effects.snapshots or effects.removed

    def test_the_captures_read_as_people_meant_them(self) -> None:
        """The created issue is open (Todo), the updated one in progress with no kr: link, the removed one gone."""
        found = {}
        for name in ("issue_create_simple.json", "issue_update.json"):
            (snapshot,) = interpret(CONFIG, "Issue", (FOLDER / name).read_bytes()).snapshots
            found[name] = (snapshot.external_id, snapshot.state, "Bug" in snapshot.labels)
        assert found == {
            "issue_create_simple.json": ("WEB-43", TaskState.OPEN, False),
            "issue_update.json": ("WEB-44", TaskState.IN_PROGRESS, True),
        }
        assert interpret(CONFIG, "Issue", (FOLDER / "issue_remove.json").read_bytes()).removed == ("WEB-44",)
