"""Every captured Jira Cloud webhook payload in ../shared/vendor-data/jira-webhooks is normalized or
deliberately ignored by the adapter, never an exception (skipped with a reason when vendor data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.jira.webhook import intake, interpret
from syncd.ports import WebhookAccepted, WebhookIgnored
from tests.conftest import VENDOR_DATA
from tests.jira.support import jira_config, signed

FOLDER = VENDOR_DATA / "jira-webhooks"
CAPTURES = sorted(FOLDER.glob("*.json"))
#: Every project the captures name, so the issue events among them are kept and interpreted.
CONFIG = jira_config(projects=["TES", "KT", "IDT", "TEST"])


@pytest.mark.skipif(not CAPTURES, reason=f"no Jira webhook captures at {FOLDER} (vendor data lives in ../shared)")
class TestVendorCaptures:
    """Real payloads, signed as the admin webhook signs them."""

    @pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
    def test_each_capture_is_normalized_or_ignored(self, path: Path) -> None:
        """Issue events give a snapshot, a fetch or a removal; comment events are ignored with a reason."""
        headers, body = signed(path.read_bytes())
        answer = intake(CONFIG, headers, body)
        event = json.loads(body)["webhookEvent"]
        if isinstance(answer, WebhookIgnored):
            assert event.startswith("comment_"), answer
            return
        assert isinstance(answer, WebhookAccepted)
        effects = interpret(CONFIG, answer.event, body)
        assert effects.snapshots or effects.refetch or effects.removed

    def test_the_resolved_capture_is_done_and_in_progress_one_is_in_progress(self) -> None:
        """The captured transitions read as people meant them."""
        states = {}
        for name in ("webhook-issue-updated-resolved.json", "webhook-issue-updated-started-working.json"):
            _, body = signed((FOLDER / name).read_bytes())
            (snapshot,) = interpret(CONFIG, "jira:issue_updated", body).snapshots
            states[name] = snapshot.state.value
        assert states == {
            "webhook-issue-updated-resolved.json": "done",
            "webhook-issue-updated-started-working.json": "in_progress",
        }
