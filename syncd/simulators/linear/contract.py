"""The Linear simulator as the contract suite drives it (`syncd.simulators.contract.SimulatedTracker`).

A thin driver over `LinearSimulator`: the source follows team `ENG`; "in progress" is a state of type
`started`, "done" `completed`, "dropped" `canceled`, "deleted" the trash, "moved away" a move to team
`ELSE`. The progress "field" is the issue's progress attachment (`attachment: true`), whose `metadata`
holds the fraction `field_value` reads back.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

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
from syncd.simulators.linear.hooks import SIGNER
from syncd.simulators.linear.simulator import LinearSimulator

TEAM = "ENG"
ELSEWHERE = "ELSE"
TOKEN = "lin_api_sim_contract_0123456789"  # noqa: S105 - the simulator's fake credential
WEBHOOK_SECRET = "sim-linear-webhook-secret-contract"  # noqa: S105 - the simulator's fake credential
#: Issues per `issues` page as syncd's client asks for them.
PAGE_SIZE = 100
_MUTATION = re.compile(r"^\s*mutation\b", re.MULTILINE)
_STATES = {"open": "unstarted", "in_progress": "started", "done": "completed", "dropped": "canceled"}


class LinearContractTracker(KnobFaults):
    """`SimulatedTracker` over a `LinearSimulator`."""

    kind = "linear"
    page_size = PAGE_SIZE

    def __init__(self) -> None:
        self.sim = LinearSimulator(token=TOKEN)

    def start(self) -> str:
        """Serve, with teams ENG and ELSE; returns the API root."""
        url = self.sim.start()
        self.sim.create_team(TEAM, "Engineering")
        self.sim.create_team(ELSEWHERE, "Elsewhere")
        return url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def next_moment(self) -> None:
        """Nothing to wait for: the workspace stamps every change a millisecond or more after the one before."""

    def unsupported(self, feature: Feature) -> str | None:
        """Everything the suite walks through has a Linear counterpart."""
        return None

    def source_config(self, name: str, *, field_write: bool = False) -> dict[str, Any]:
        """A `kind: linear` source on team ENG, signed webhooks, the progress attachment when asked."""
        entry: dict[str, Any] = {"name": name, "kind": "linear", "base_url": self.sim.url, "token": TOKEN,
                                 "teams": [TEAM], "webhook_secret": WEBHOOK_SECRET}  # fmt: skip
        if field_write:
            entry["attachment"] = True
        return entry

    # -- what people do ---------------------------------------------------------------------------
    def create_task(self, title: str, *, labels: Sequence[str] = (), state: ContractState = "open") -> ContractTask:
        """An issue of ENG, then moved to `state`."""
        task = ContractTask(self.sim.create_issue(TEAM, title, labels=labels))
        if state != "open":
            self.set_state(task, state)
        return task

    def seed_tasks(self, count: int, *, labels: Sequence[str] = ()) -> list[ContractTask]:
        """`count` open issues, without webhooks."""
        return [ContractTask(self.sim.create_issue(TEAM, f"Task {i}", labels=labels, emit=False)) for i in range(count)]

    def set_state(self, task: ContractTask, state: ContractState) -> None:
        """A state of the matching type, the trash, or a move to ELSE."""
        if state == "deleted":
            self.sim.trash_issue(task.external_id)
        elif state == "moved_away":
            self.sim.move_issue(task.external_id, ELSEWHERE)
        else:
            self.sim.set_state(task.external_id, _STATES[state])

    def add_label(self, task: ContractTask, label: str) -> None:
        """Label the issue."""
        self.sim.add_label(task.external_id, label)

    def remove_label(self, task: ContractTask, label: str) -> None:
        """Unlabel the issue."""
        self.sim.remove_label(task.external_id, label)

    def rename_label(self, old: str, new: str) -> None:
        """Rename the label object."""
        self.sim.rename_label(old, new)

    # -- what syncd wrote -------------------------------------------------------------------------
    def comments(self, task: ContractTask) -> list[TrackerComment]:
        """The issue's comments (Markdown as people read it)."""
        return [TrackerComment(c.id, c.body.replace("**", "")) for c in self.sim.comments(task.external_id)]

    def field_value(self, task: ContractTask) -> float | str | None:
        """The progress attachment's fraction (`metadata.progress`)."""
        attachments = self.sim.attachments(task.external_id)
        if not attachments:
            return None
        value = attachments[-1].metadata.get("progress")
        return float(value) if isinstance(value, int | float) else None

    # -- faults and the request log ---------------------------------------------------------------
    @property
    def knobs(self) -> FaultKnobs:
        """The simulator's fault knobs (throttle, fail and clear_faults come from `KnobFaults`)."""
        return self.sim.faults

    def requests(self) -> list[TrackerRequest]:
        """Every request answered; mutations are logged as POSTs, queries as GETs (they change nothing)."""
        return [
            TrackerRequest(r.at, "POST" if _is_mutation(r.body) else "GET", r.path, r.status) for r in self.sim.requests
        ]

    def listing_requests(self) -> int:
        """Pages of a full listing of ENG (`issues` without an `updatedAt` bound)."""
        return sum(
            1
            for r in self.sim.requests
            if r.operation == "Issues" and "updatedAt" not in (r.variables.get("filter") or {})
        )

    # -- webhooks ---------------------------------------------------------------------------------
    def flush_webhooks(self) -> None:
        """Wait until the sender's queue is empty."""
        if not self.sim.wait_for_deliveries():
            raise TimeoutError("the Linear simulator did not finish sending webhooks")

    def deliveries(self) -> list[SentDelivery]:
        """Deliveries to the team webhooks (what syncd's `webhooks install` registered)."""
        return [
            SentDelivery(d.url, {k.lower(): v for k, v in d.headers.items()}, d.body, d.status)
            for d in self.sim.deliveries
            if not d.dropped
        ]

    def unknown_delivery(self) -> WebhookRequest:
        """A signed `Project` delivery (syncd does not use projects) to the team webhook."""
        hooks = list(self.sim.state.hooks.values())
        if not hooks:
            raise RuntimeError("the workspace has no webhook; install syncd's webhooks first")
        body = {"action": "update", "type": "Project", "data": {"id": str(uuid.uuid4()), "name": "Roadmap"},
                "createdAt": "2026-01-01T00:00:00.000Z", "organizationId": "org", "webhookId": hooks[0].id,
                "webhookTimestamp": int(time.time() * 1000)}  # fmt: skip
        raw = json.dumps(body).encode()
        headers = {"content-type": "application/json", "linear-delivery": str(uuid.uuid4()), "linear-event": "Project"}
        headers |= {k.lower(): v for k, v in SIGNER(hooks[0].secret or "", raw).items()}
        return WebhookRequest(hooks[0].url, headers, raw)


def _is_mutation(body: Any) -> bool:
    query = body.get("query") if isinstance(body, dict) else None
    return isinstance(query, str) and _MUTATION.search(query) is not None


def contract_tracker() -> SimulatedTracker:
    """The factory the Linear descriptor names as its `contract_simulator`."""
    return LinearContractTracker()
