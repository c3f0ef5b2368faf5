"""Asana's part in `syncd sandbox` (`syncd.simulators.sandbox.SandboxTracker`) over an `AsanaSimulator`.

Its share of the company is one project in one workspace, with sections "To do", "Doing" (in progress)
and "Won't do" (dropped); done is completed. The project carries the company's number fields and a
percent field syncd writes each task's progress to; the company's goal is an Asana goal. Labels are tags.
Webhooks are delivered by a background thread while the sandbox runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from syncd.simulators.asana.simulator import AsanaSimulator
from syncd.simulators.sandbox import SandboxTracker, SeedCompany, SeedItem, SeedState

# The name of an environment variable (its value is generated per run), not a secret itself.
TOKEN_ENV = "SYNCD_SANDBOX_ASANA_TOKEN"  # noqa: S105
TEAM = "Operations"
SECTIONS = ("To do", "Doing", "Won't do")
SECTION_OF: Mapping[SeedState, str] = {"open": "To do", "in_progress": "Doing", "dropped": "Won't do"}
PROGRESS_FIELD = "OKR progress"
#: The marker syncd's comments carry (`AsanaRichText.marker`).
MARKER = "[syncd "


class AsanaSandboxTracker:
    """`SandboxTracker` over an `AsanaSimulator`."""

    kind = "asana"
    title = "Asana"
    holds_numbers = True
    writes_progress_field = True

    def __init__(self) -> None:
        self.sim = AsanaSimulator()
        self.workspace = self.project = ""
        self.goals: dict[str, str] = {}
        self.items: dict[str, str] = {}
        self._web = ""

    def secret_names(self) -> tuple[str, ...]:
        """The token (Asana hands each webhook's secret over in its handshake)."""
        return (TOKEN_ENV,)

    def start(self, credentials: Mapping[str, str]) -> str:
        """Serve, accepting the run's token; returns the API root (`/api/1.0`)."""
        self.sim.token = credentials[TOKEN_ENV]
        self.sim.start()
        self._web = self.sim.base_url.removesuffix("/api/1.0")
        return self.sim.base_url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def seed(self, company: SeedCompany, items: Sequence[SeedItem]) -> None:
        """The workspace, the project with its sections and fields, the goal, then each item as a task."""
        self.workspace = self.sim.create_workspace(company.name).gid
        team = self.sim.create_team(self.workspace, TEAM).gid
        self.project = self.sim.create_project(self.workspace, f"{company.name} OKRs", team=team, sections=SECTIONS).gid
        progress = self.sim.create_custom_field(self.workspace, PROGRESS_FIELD, "number", number_format="percentage")
        numbers = [self.sim.create_custom_field(self.workspace, name, "number").gid for name in company.number_fields]
        for field in (progress.gid, *numbers):
            self.sim.add_custom_field_to_project(self.project, field)
        if company.goal is not None:
            goal = company.goal
            self.goals[goal.kr_id] = self.sim.create_goal(self.workspace, goal.name, target=goal.target).gid
        for item in items:
            gid = self._create(item)
            self.items[item.key or f"#{gid}"] = gid

    def _create(self, item: SeedItem) -> str:
        section = self.sim.section(self.project, SECTION_OF.get(item.state, SECTIONS[0])).gid
        created = self.sim.create_task(
            item.title,
            project=self.project,
            section=section,
            tags=list(item.labels),
            custom_fields=dict(item.numbers),
            completed=item.state == "done",
        )
        return created.gid

    def after_seed(self) -> None:
        """Deliver queued events in the background, as Asana does."""
        self.sim.start_auto_delivery()

    def source_config(self, name: str, api_root: str, poll_interval: str) -> dict[str, Any]:
        """The project, its section rules, the progress field, the goal, a short poll."""
        return {
            "name": name,
            "kind": "asana",
            "base_url": api_root,
            "token": f"${{{TOKEN_ENV}}}",
            "workspace": self.workspace,
            "projects": [self.project],
            "in_progress": {"sections": [SECTION_OF["in_progress"]]},
            "dropped": {"sections": [SECTION_OF["dropped"]]},
            "progress_field": PROGRESS_FIELD,
            "goals": dict(self.goals),
            "poll_interval": poll_interval,
        }

    def config_note(self) -> str:
        """Nothing differs but the poll interval."""
        return ""

    def web_root(self) -> str:
        """The simulator's root (its API is under `/api/1.0`); kept once stopped, for pages printed later."""
        return self._web

    def story_keys(self) -> tuple[str, ...]:
        """The story keys it holds."""
        return tuple(key for key in self.items if not key.startswith("#"))

    def page(self, key: str | None = None) -> str:
        """The plain-text page of a task (add `?format=json` for JSON)."""
        gid = self.items[key] if key is not None else next(iter(self.items.values()))
        return f"{self.web_root()}/_sim/tasks/{gid}"

    def external_id(self, key: str) -> str:
        """The task's gid."""
        return self.items[key]

    def settle(self, key: str) -> float:
        """Asana stamps milliseconds: no wait."""
        return 0.0

    def set_state(self, key: str, state: SeedState) -> None:
        """Complete the task, or move it to its state's section (not completed)."""
        gid = self.items[key]
        if state == "done":
            self.sim.complete_task(gid)
            return
        self.sim.move_to_section(gid, self.sim.section(self.project, SECTION_OF[state]).gid)
        if self.sim.task(gid)["completed"]:
            self.sim.complete_task(gid, completed=False)

    def add_label(self, key: str, label: str) -> None:
        """Tag the task (a new name creates the tag)."""
        self.sim.add_tag(self.items[key], label)

    def remove_label(self, key: str, label: str) -> None:
        """Untag the task."""
        self.sim.remove_tag(self.items[key], label)

    def set_number(self, key: str, name: str, value: float) -> None:
        """Set a number field."""
        self.sim.set_custom_field(self.items[key], name, value)

    def lose_next_webhook(self) -> None:
        """Drop the next delivery."""
        self.sim.drop_deliveries(1)

    def lost_webhook(self) -> bool:
        """Whether a delivery was dropped."""
        return any(delivery.dropped for delivery in self.sim.deliveries)

    def task_records(self, source: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The live tasks of the source's projects, as `GET /tasks/{gid}` serves them."""
        projects = set(source["projects"])
        with self.sim.state.lock:
            tasks = self.sim.state.store.tasks.values()
            gids = [task.gid for task in tasks if not task.deleted and set(task.projects) & projects]
            return [self.sim.task(gid) for gid in gids]

    def syncd_comments(self, external_id: str) -> list[str]:
        """The task's comments that carry syncd's marker, as rich text."""
        stories = self.sim.comments(external_id)
        return [str(story.get("html_text") or story["text"]) for story in stories if MARKER in story["text"]]

    def progress_field(self, external_id: str) -> float | None:
        """The percent field (0.67 for 67%), or None when unset."""
        value = self.sim.field_value(external_id, PROGRESS_FIELD)
        return None if value is None else float(value)

    def idle(self) -> bool:
        """No event waits to be delivered."""
        return self.sim.pending_events() == 0


def sandbox_tracker() -> SandboxTracker:
    """The factory `TrackerDescriptor.sandbox` names (typed as the protocol, so mypy holds the class to it)."""
    return AsanaSandboxTracker()
