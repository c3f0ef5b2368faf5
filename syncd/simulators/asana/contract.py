"""The Asana simulator as the contract suite drives it (`syncd.simulators.contract.SimulatedTracker`).

A thin driver over `AsanaSimulator`: the source follows project Web (sections To do, Doing, Won't do);
"in progress" is section Doing, "dropped" section Won't do, "moved away" a move to project Elsewhere;
labels are tags, and progress fields the percent field "KR progress" on Web.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from syncd.core.signatures import hmac_sha256_hex
from syncd.simulators.asana.render import iso, ref
from syncd.simulators.asana.simulator import AsanaSimulator
from syncd.simulators.contract import (
    ContractState,
    ContractTask,
    Feature,
    KnobFaults,
    SentDelivery,
    SimulatedTracker,
    TrackerComment,
    TrackerRequest,
    WebhookRequest,
)
from syncd.simulators.kit.fault_knobs import FaultKnobs

TOKEN = "sim-token-contract-0123456789"  # noqa: S105 - the simulator's fake credential
SECTIONS = ("To do", "Doing", "Won't do")
#: The section each state puts a task in (done is the task's own `completed`).
SECTION_OF: dict[str, str] = {"open": "To do", "in_progress": "Doing", "dropped": "Won't do", "done": "To do"}
FIELD = "KR progress"
#: The asana SDK's page size as syncd's client sets it (`limit=100`, Asana's largest).
PAGE_SIZE = 100


class AsanaContractTracker(KnobFaults):
    """`SimulatedTracker` over an `AsanaSimulator` with workspace Acme and projects Web and Elsewhere."""

    kind = "asana"
    page_size = PAGE_SIZE

    def __init__(self) -> None:
        self.sim = AsanaSimulator(token=TOKEN)
        self.workspace = self.web = self.elsewhere = self.field = ""

    def start(self) -> str:
        """Serve and seed the workspace; returns the API root (`.../api/1.0`)."""
        self.sim.start()
        self.workspace = self.sim.create_workspace("Acme").gid
        self.web = self.sim.create_project(self.workspace, "Web", sections=SECTIONS).gid
        self.elsewhere = self.sim.create_project(self.workspace, "Elsewhere", sections=("To do",)).gid
        self.field = self.sim.create_custom_field(self.workspace, FIELD, "number", number_format="percentage").gid
        self.sim.add_custom_field_to_project(self.web, self.field)
        return self.sim.base_url

    def stop(self) -> None:
        """Stop delivering and serving."""
        self.sim.stop()

    def next_moment(self) -> None:
        """Asana stamps `modified_at` in milliseconds: a change made now is already later."""
        time.sleep(0.002)

    def unsupported(self, feature: Feature) -> str | None:
        """Asana expresses every feature of the suite."""
        return None

    def source_config(self, name: str, *, field_write: bool = False) -> dict[str, Any]:
        """A `kind: asana` source on project Web (Doing = in progress, Won't do = dropped)."""
        entry: dict[str, Any] = {
            "name": name,
            "kind": "asana",
            "base_url": self.sim.base_url,
            "token": TOKEN,
            "workspace": self.workspace,
            "projects": [self.web],
            "in_progress": {"sections": ["Doing"]},
            "dropped": {"sections": ["Won't do"]},
            "timeout": "5s",
        }
        if field_write:
            entry["progress_field"] = FIELD
        return entry

    # -- what people do ---------------------------------------------------------------------------
    def create_task(self, title: str, *, labels: Sequence[str] = (), state: ContractState = "open") -> ContractTask:
        """A task of Web tagged `labels`, then moved to `state`."""
        section = self.sim.section(self.web, SECTION_OF.get(state, "To do")).gid
        task = self.sim.create_task(title, project=self.web, section=section, tags=list(labels))
        contract = ContractTask(task.gid)
        if state not in ("open", "in_progress", "dropped"):
            self.set_state(contract, state)
        return contract

    def seed_tasks(self, count: int, *, labels: Sequence[str] = ()) -> list[ContractTask]:
        """`count` tasks of Web in To do."""
        return [self.create_task(f"Task {index + 1}", labels=labels) for index in range(count)]

    def set_state(self, task: ContractTask, state: ContractState) -> None:
        """Move between sections, complete or reopen, delete, or move to project Elsewhere."""
        gid = task.external_id
        if state == "deleted":
            self.sim.delete_task(gid)
            return
        if state == "moved_away":
            self.sim.add_to_project(gid, self.elsewhere)
            self.sim.remove_from_project(gid, self.web)
            return
        if self.sim.task(gid)["completed"] != (state == "done"):
            self.sim.complete_task(gid, state == "done")
        self.sim.move_to_section(gid, self.sim.section(self.web, SECTION_OF[state]).gid)

    def add_label(self, task: ContractTask, label: str) -> None:
        """Tag the task (the tag is made when new)."""
        self.sim.add_tag(task.external_id, label)

    def remove_label(self, task: ContractTask, label: str) -> None:
        """Untag the task."""
        self.sim.remove_tag(task.external_id, self._tag(label))

    def rename_label(self, old: str, new: str) -> None:
        """Rename a tag: its tasks show the new name, and Web's followers hear of the tag's change."""
        state = self.sim.state
        with state.lock:
            tag = state.store.tags[self._tag(old)]
            tag.name = new
            event = {
                "user": ref(state.store.me, "user"),
                "created_at": iso(state.store.now()),
                "action": "changed",
                "resource": ref(tag.gid, "tag", new),
                "parent": None,
                "type": "tag",
                "change": {"field": "name", "action": "changed"},
            }
            state.events.append([self.web], event)

    def _tag(self, name: str) -> str:
        with self.sim.state.lock:
            tag = self.sim.state.store.tag_by_name(self.workspace, name)
        if tag is None:
            raise KeyError(f"workspace Acme has no tag {name!r}")
        return tag.gid

    # -- what syncd wrote -------------------------------------------------------------------------
    def comments(self, task: ContractTask) -> list[TrackerComment]:
        """The task's comment stories (their plain text)."""
        return [TrackerComment(str(c["gid"]), str(c["text"])) for c in self.sim.comments(task.external_id)]

    def field_value(self, task: ContractTask) -> float | str | None:
        """The percent field "KR progress" (a fraction: 0.5 is 50%)."""
        value: float | str | None = self.sim.field_value(task.external_id, FIELD)
        return value

    # -- faults and the request log ---------------------------------------------------------------
    @property
    def knobs(self) -> FaultKnobs:
        """The simulator's fault knobs (throttle, fail and clear_faults come from `KnobFaults`)."""
        return self.sim.faults

    def requests(self) -> list[TrackerRequest]:
        """Every API request under `/api/1.0`."""
        return [TrackerRequest(r.at, r.method, r.path, r.status) for r in self.sim.requests]

    def listing_requests(self) -> int:
        """Pages of `GET /projects/<Web>/tasks` answered."""
        path = f"/projects/{self.web}/tasks"
        return sum(1 for r in self.sim.requests if r.method == "GET" and r.path == path)

    # -- webhooks ---------------------------------------------------------------------------------
    def flush_webhooks(self) -> None:
        """Deliver every queued event now (deliveries are synchronous)."""
        self.sim.deliver_webhooks()

    def deliveries(self) -> list[SentDelivery]:
        """Event deliveries (not handshakes), with the `X-Hook-Signature` Asana put on them."""
        secrets = {hook["gid"]: self.sim.webhook_secret(hook["gid"]) for hook in self.sim.webhooks()}
        return [
            SentDelivery(d.target, self._signed(secrets[d.webhook], d.body), d.body, d.status)
            for d in self.sim.deliveries
            if not d.dropped and d.webhook in secrets
        ]

    def unknown_delivery(self) -> WebhookRequest:
        """A signed event about an attachment of Web (a resource syncd does not follow) to Web's webhook."""
        hook = next((h for h in self.sim.webhooks() if h["resource"]["gid"] == self.web), None)
        if hook is None:
            raise RuntimeError("project Web has no webhook; install syncd's webhooks first")
        event = {
            "user": ref(self.sim.me.gid, "user"),
            "created_at": iso(self.sim.state.store.now()),
            "action": "added",
            "resource": ref("1209999999999999", "attachment", "diagram.png"),
            "parent": ref(self.web, "project"),
        }
        body = json.dumps({"events": [event]}).encode()
        return WebhookRequest(hook["target"], self._signed(self.sim.webhook_secret(hook["gid"]), body), body)

    @staticmethod
    def _signed(secret: str, body: bytes) -> dict[str, str]:
        return {"content-type": "application/json", "x-hook-signature": hmac_sha256_hex(secret, body)}


def contract_tracker() -> SimulatedTracker:
    """The factory the Asana descriptor names as its `contract_simulator`."""
    return AsanaContractTracker()
