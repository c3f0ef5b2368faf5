"""`AsanaSimulator`: a stateful Asana on 127.0.0.1 that the real `asana` SDK talks to, with a Python API.

    sim = AsanaSimulator(token="sim-token")
    sim.start()                       # base_url for the SDK: sim.base_url (".../api/1.0")
    ws = sim.create_workspace("Acme")
    project = sim.create_project(ws.gid, "Web", sections=("To do", "Doing", "Won't do"))
    task = sim.create_task("Ship onboarding", project=project.gid, tags=["kr:ENG-1.1"])
    sim.deliver_webhooks()            # or sim.start_auto_delivery()
    sim.stop()

Everything Asana does to a client (envelopes, pagination, opt_fields, sync tokens, webhooks with the
handshake, `/batch`, 429s) happens over real HTTP; faults are set with `sim.faults`, the request log
is `sim.requests`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from syncd.simulators.asana.app import API_PREFIX, SimulatorApp
from syncd.simulators.asana.faults import Faults
from syncd.simulators.asana.handlers import AsanaApi
from syncd.simulators.asana.records import (
    SimCustomField,
    SimGoal,
    SimProject,
    SimSection,
    SimStory,
    SimTag,
    SimTask,
    SimTeam,
    SimUser,
    SimWorkspace,
)
from syncd.simulators.asana.render import goal_json, story_json, task_json, webhook_json
from syncd.simulators.asana.state import AsanaState
from syncd.simulators.asana.store import utc_now
from syncd.simulators.asana.traffic import LoggedRequest
from syncd.simulators.asana.webhooks import Delivery, WebhookHub
from syncd.simulators.kit.request_log import RequestLog
from syncd.simulators.kit.server import BackgroundServer, Served


class AsanaSimulator(Served):
    """The simulator: state, webhooks, faults and request log, served by a background uvicorn."""

    # The default token is the simulator's own fake credential, not a secret of anyone's.
    def __init__(self, *, token: str = "sim-token", clock: Callable[[], datetime] = utc_now) -> None:  # noqa: S107
        self.token = token
        self.state = AsanaState(clock)
        self.hub = WebhookHub(self.state)
        self.faults = Faults()
        self.log: RequestLog[LoggedRequest] = RequestLog()
        self.api = AsanaApi(self.state, self.hub)
        self._server: BackgroundServer | None = None
        self._auto_stop = threading.Event()
        self._auto_thread: threading.Thread | None = None

    # --- lifecycle ---
    def app(self) -> Any:
        """The ASGI app (to serve it yourself)."""
        return SimulatorApp(self.api, self.faults, self.log, self.token).starlette()

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port unless given); returns the root URL."""
        self._server = BackgroundServer(self.app(), port=port)
        url = self._server.start()
        self.state.store.public_url = url
        return url

    def stop(self) -> None:
        """Stop delivering and serving."""
        self.stop_auto_delivery()
        if self._server is not None:
            self._server.stop()
        self.hub.close()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` (once started)."""
        if self._server is None:
            raise RuntimeError("the Asana simulator is not started; call start() first")
        return self._server.url

    @property
    def base_url(self) -> str:
        """What a client configures as Asana's API root: `<url>/api/1.0`."""
        return self.url + API_PREFIX

    @property
    def me(self) -> SimUser:
        """The token's owner."""
        return self.state.store.user("me")

    # --- workspace structure ---
    def create_workspace(self, name: str) -> SimWorkspace:
        """A workspace."""
        return self.state.create_workspace(name)

    def create_team(self, workspace: str, name: str) -> SimTeam:
        """A team."""
        return self.state.create_team(workspace, name)

    def create_project(
        self, workspace: str, name: str, *, team: str | None = None, sections: Iterable[str] = ("Untitled section",)
    ) -> SimProject:
        """A project with sections."""
        return self.state.create_project(workspace, name, team=team, sections=sections)

    def create_section(self, project: str, name: str) -> SimSection:
        """A section at the end of a project."""
        return self.state.create_section(project, name)

    def section(self, project: str, name: str) -> SimSection:
        """A project's section by name."""
        with self.state.lock:
            sections = [self.state.store.sections[g] for g in self.state.store.project(project).sections]
        found = next((s for s in sections if s.name == name), None)
        if found is None:
            raise KeyError(f"project {project} has no section named {name!r}")
        return found

    def create_tag(self, workspace: str, name: str) -> SimTag:
        """A tag."""
        return self.state.create_tag(workspace, name)

    def create_custom_field(
        self,
        workspace: str,
        name: str,
        subtype: str,
        *,
        number_format: str = "none",
        precision: int = 0,
        options: Iterable[str] = (),
    ) -> SimCustomField:
        """A custom field (`number` with format `none`/`percentage`, `text`, `enum`)."""
        return self.state.create_custom_field(
            workspace, name, subtype, number_format=number_format, precision=precision, options=options
        )

    def add_custom_field_to_project(self, project: str, field: str) -> None:
        """Add a custom field to a project."""
        self.state.add_custom_field_to_project(project, field)

    def create_goal(
        self, workspace: str, name: str, *, unit: str = "none", initial: float = 0.0, target: float = 100.0
    ) -> SimGoal:
        """A goal with a number metric."""
        return self.state.create_goal(workspace, name, unit=unit, initial=initial, target=target)

    # --- what people do to tasks (each emits events) ---
    def create_task(self, name: str, **options: Any) -> SimTask:
        """A task (`project=`, `section=`, `tags=`, `custom_fields=`, `completed=`) or subtask (`parent=`)."""
        return self.state.create_task(name, **options)

    def complete_task(self, task: str, completed: bool = True) -> SimTask:
        """Complete a task (or reopen it with `completed=False`)."""
        return self.state.complete_task(task, completed)

    def add_tag(self, task: str, tag: str) -> SimTask:
        """Tag a task (tag gid or name)."""
        return self.state.add_tag(task, tag)

    def remove_tag(self, task: str, tag: str) -> SimTask:
        """Untag a task."""
        return self.state.remove_tag(task, tag)

    def move_to_section(self, task: str, section: str) -> SimTask:
        """Move a task to another section of its project."""
        return self.state.move_to_section(task, section)

    def set_custom_field(self, task: str, field: str, value: Any) -> SimTask:
        """Set a custom field value (field gid or name; enum by option name or gid)."""
        return self.state.set_custom_field(task, field, value)

    def add_to_project(self, task: str, project: str, section: str | None = None) -> SimTask:
        """Add a task to another project."""
        return self.state.add_to_project(task, project, section)

    def remove_from_project(self, task: str, project: str) -> SimTask:
        """Remove a task from a project."""
        return self.state.remove_from_project(task, project)

    def delete_task(self, task: str) -> None:
        """Delete a task."""
        self.state.delete_task(task)

    def rename_section(self, section: str, name: str) -> SimSection:
        """Rename a section."""
        return self.state.rename_section(section, name)

    def add_comment(self, task: str, text: str, *, by: str | None = None) -> SimStory:
        """A person's plain-text comment."""
        with self.state.lock:
            return self.state.stories.comment(task, text=text, by=by)

    # --- what tests read back ---
    def task(self, gid: str) -> dict[str, Any]:
        """A live task's full JSON record (as `GET /tasks/{gid}` without opt_fields)."""
        with self.state.lock:
            return task_json(self.state.store, self.state.store.task(gid))

    def stories(self, task: str) -> list[dict[str, Any]]:
        """Every story of a task, oldest first (comments and system stories)."""
        with self.state.lock:
            return [story_json(self.state.store, s) for s in self.state.stories.of_task(task)]

    def comments(self, task: str) -> list[dict[str, Any]]:
        """A task's comments only."""
        return [story for story in self.stories(task) if story["type"] == "comment"]

    def field_value(self, task: str, field: str) -> Any:
        """A task's custom field value by field gid or name (number, text, or enum option name)."""
        record = self.task(task)
        found = next((f for f in record["custom_fields"] if field in {f["gid"], f["name"]}), None)
        if found is None:
            raise KeyError(f"task {task} has no custom field {field!r}")
        if found["type"] == "enum":
            return found["enum_value"]["name"] if found["enum_value"] else None
        return found.get("number_value") if found["type"] == "number" else found.get("text_value")

    def goal(self, gid: str) -> dict[str, Any]:
        """A goal's JSON with its metric."""
        with self.state.lock:
            return goal_json(self.state.store.goal(gid))

    @property
    def requests(self) -> list[LoggedRequest]:
        """The API request log, in arrival order."""
        return self.log.entries()

    # --- events and webhooks ---
    def expire_sync_tokens(self, resource: str | None = None) -> int:
        """Expire Events API sync tokens (the next read answers 412 with a fresh one)."""
        with self.state.lock:
            return self.state.events.expire(resource)

    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook as JSON."""
        with self.state.lock:
            return [webhook_json(self.state.store, h) for h in self.state.store.webhooks.values()]

    def webhook_secret(self, gid: str) -> str:
        """The secret agreed in a webhook's handshake (what the receiver should have stored)."""
        with self.state.lock:
            return self.state.store.webhook(gid).secret

    def deliver_webhooks(self, events_per_delivery: int = 50) -> int:
        """Send queued events now; returns how many deliveries were accepted."""
        return self.hub.deliver(events_per_delivery)

    def pending_events(self) -> int:
        """Events queued on webhooks, not yet delivered."""
        return self.hub.pending()

    def send_heartbeat(self, webhook: str | None = None) -> int:
        """Send `{"events": []}`; returns how many targets accepted it."""
        return self.hub.heartbeat(webhook)

    def drop_deliveries(self, count: int) -> None:
        """Lose the next `count` deliveries."""
        self.hub.drop_next(count)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery attempt so far."""
        return list(self.hub.deliveries)

    def start_auto_delivery(self, interval: float = 0.05) -> None:
        """Deliver queued events every `interval` seconds in a background thread (the sandbox's mode)."""
        if self._auto_thread is not None:
            return
        self._auto_stop.clear()
        self._auto_thread = threading.Thread(
            target=self._auto_deliver, args=(interval,), name="asana-sim-webhooks", daemon=True
        )
        self._auto_thread.start()

    def stop_auto_delivery(self) -> None:
        """Stop the background delivery thread."""
        self._auto_stop.set()
        if self._auto_thread is not None:
            self._auto_thread.join(5.0)
            self._auto_thread = None

    def _auto_deliver(self, interval: float) -> None:
        while not self._auto_stop.wait(interval):
            self.hub.deliver()
