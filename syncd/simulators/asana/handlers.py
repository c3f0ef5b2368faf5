"""The simulated endpoints (paths relative to `/api/1.0`), answering in Asana's shapes and envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syncd.simulators.asana.api import JSON, ApiAnswer, ApiRequest, Router, answer, paginate
from syncd.simulators.asana.batch import batch_handler
from syncd.simulators.asana.render import (
    custom_field_definition,
    goal_json,
    ref,
    select,
    story_json,
    task_json,
    webhook_json,
)
from syncd.simulators.asana.state import AsanaState
from syncd.simulators.asana.store import ApiError
from syncd.simulators.asana.webhooks import WebhookHub


class AsanaApi:
    """Every endpoint of the simulator, bound to one state and one webhook hub."""

    def __init__(self, state: AsanaState, hub: WebhookHub) -> None:
        self.state = state
        self.hub = hub
        self.router = Router()
        self._register()

    def handle(self, request: ApiRequest) -> ApiAnswer:
        """Answer one request under the state lock (the webhook handshake runs outside it)."""
        if request.method == "POST" and request.path == "/webhooks":
            return self._create_webhook(request)
        with self.state.lock:
            return self.router.handle(request)

    def _register(self) -> None:
        add = self.router.add
        add("GET", "/users/{user_gid}", self._user)
        add("GET", "/projects/{project_gid}", self._project)
        add("GET", "/teams/{team_gid}/projects", self._team_projects)
        add("GET", "/projects/{project_gid}/sections", self._sections)
        add("GET", "/projects/{project_gid}/tasks", self._project_tasks)
        add("GET", "/projects/{project_gid}/custom_field_settings", self._field_settings)
        add("GET", "/custom_fields/{custom_field_gid}", self._custom_field)
        add("GET", "/tasks", self._tasks)
        add("POST", "/tasks", self._create_task)
        add("GET", "/tasks/{task_gid}", self._task)
        add("PUT", "/tasks/{task_gid}", self._update_task)
        add("DELETE", "/tasks/{task_gid}", self._delete_task)
        add("GET", "/tasks/{task_gid}/subtasks", self._subtasks)
        add("POST", "/tasks/{task_gid}/addTag", lambda r: self._task_op(r, "tag", self.state.add_tag))
        add("POST", "/tasks/{task_gid}/removeTag", lambda r: self._task_op(r, "tag", self.state.remove_tag))
        add(
            "POST",
            "/tasks/{task_gid}/removeProject",
            lambda r: self._task_op(r, "project", self.state.remove_from_project),
        )
        add("POST", "/sections/{section_gid}/addTask", self._add_task_to_section)
        add("GET", "/tasks/{task_gid}/stories", self._stories)
        add("POST", "/tasks/{task_gid}/stories", self._create_story)
        add("GET", "/stories/{story_gid}", self._story)
        add("PUT", "/stories/{story_gid}", self._update_story)
        add("DELETE", "/stories/{story_gid}", self._delete_story)
        add("GET", "/goals/{goal_gid}", self._goal)
        add("POST", "/goals/{goal_gid}/setMetricCurrentValue", self._set_goal_metric)
        add("GET", "/events", self._events)
        add("GET", "/webhooks", self._webhooks)
        add("GET", "/webhooks/{webhook_gid}", self._webhook)
        add("DELETE", "/webhooks/{webhook_gid}", self._delete_webhook)
        add("POST", "/batch", batch_handler(self.router))

    # --- users, projects, fields ---
    def _user(self, r: ApiRequest) -> ApiAnswer:
        user = self.state.store.user(r.params["user_gid"])
        workspaces = [ref(w.gid, "workspace", w.name) for w in self.state.store.workspaces.values()]
        full = {**ref(user.gid, "user", user.name), "email": user.email, "workspaces": workspaces}
        return answer(select(full, r.opt_fields))

    def _project(self, r: ApiRequest) -> ApiAnswer:
        return answer(select(self._project_json(r.params["project_gid"]), r.opt_fields))

    def _team_projects(self, r: ApiRequest) -> ApiAnswer:
        team = self.state.store.team(r.params["team_gid"])
        archived = r.query.get("archived")
        projects = [
            p
            for p in self.state.store.projects.values()
            if p.team == team.gid and (archived is None or str(p.archived).lower() == archived)
        ]
        return paginate(r, projects, lambda p: select(self._project_json(p.gid), r.opt_fields, compact="project"))

    def _sections(self, r: ApiRequest) -> ApiAnswer:
        project = self.state.store.project(r.params["project_gid"])
        sections = [self.state.store.sections[g] for g in project.sections]
        full = [
            {**ref(s.gid, "section", s.name), "project": ref(project.gid, "project", project.name)} for s in sections
        ]
        return paginate(r, full, lambda s: select(s, r.opt_fields, compact="section"))

    def _field_settings(self, r: ApiRequest) -> ApiAnswer:
        project = self.state.store.project(r.params["project_gid"])
        settings = [
            {
                "gid": f"{project.gid}{field_gid}",
                "resource_type": "custom_field_setting",
                "is_important": True,
                "project": ref(project.gid, "project", project.name),
                "parent": ref(project.gid, "project", project.name),
                "custom_field": custom_field_definition(self.state.store.custom_field(field_gid)),
            }
            for field_gid in project.custom_fields
        ]
        return paginate(r, settings, lambda s: select(s, r.opt_fields, compact="custom_field_setting"))

    def _custom_field(self, r: ApiRequest) -> ApiAnswer:
        field = self.state.store.custom_field(r.params["custom_field_gid"])
        return answer(select(custom_field_definition(field), r.opt_fields))

    def _project_json(self, gid: str) -> JSON:
        project = self.state.store.project(gid)
        team = self.state.store.teams.get(project.team) if project.team else None
        return {
            **ref(project.gid, "project", project.name),
            "archived": project.archived,
            "created_at": project.created_at.isoformat(),
            "modified_at": project.modified_at.isoformat(),
            "workspace": ref(project.workspace, "workspace", self.state.store.workspaces[project.workspace].name),
            "team": ref(team.gid, "team", team.name) if team else None,
            "permalink_url": f"{self.state.store.public_url}/0/{project.gid}",
        }

    # --- tasks ---
    def _project_tasks(self, r: ApiRequest) -> ApiAnswer:
        project = self.state.store.project(r.params["project_gid"])
        tasks = [t for t in self.state.store.live_tasks() if project.gid in t.projects]
        return self._task_page(r, _completed_since(tasks, r.query.get("completed_since")))

    def _tasks(self, r: ApiRequest) -> ApiAnswer:
        project, section = r.query.get("project"), r.query.get("section")
        if not project and not section:
            raise ApiError(
                400,
                "project: Must specify exactly one of project, tag, section, user task list, or assignee + workspace",
            )
        tasks = self.state.store.live_tasks()
        if project:
            self.state.store.project(project)
            tasks = [t for t in tasks if project in t.projects]
        if section:
            tasks = [t for t in tasks if section in t.memberships.values()]
        since = r.query.get("modified_since")
        if since:
            moment = _parse_time(since, "modified_since")
            tasks = [t for t in tasks if t.modified_at >= moment]
        return self._task_page(r, _completed_since(tasks, r.query.get("completed_since")))

    def _subtasks(self, r: ApiRequest) -> ApiAnswer:
        parent = self.state.store.task(r.params["task_gid"])
        return self._task_page(r, self.state.store.subtasks(parent.gid))

    def _task_page(self, r: ApiRequest, tasks: list[Any]) -> ApiAnswer:
        return paginate(r, tasks, lambda t: select(task_json(self.state.store, t), r.opt_fields, compact="task"))

    def _task(self, r: ApiRequest) -> ApiAnswer:
        task = self.state.store.task(r.params["task_gid"])
        return answer(select(task_json(self.state.store, task), r.opt_fields))

    def _create_task(self, r: ApiRequest) -> ApiAnswer:
        body = r.body()
        projects = body.get("projects") or []
        task = self.state.create_task(
            str(body.get("name", "")),
            project=projects[0] if projects else None,
            parent=body.get("parent"),
            tags=body.get("tags") or (),
            custom_fields=body.get("custom_fields"),
            completed=bool(body.get("completed", False)),
        )
        return answer(select(task_json(self.state.store, task), r.opt_fields), 201)

    def _update_task(self, r: ApiRequest) -> ApiAnswer:
        task = self.state.update_task(r.params["task_gid"], r.body())
        return answer(select(task_json(self.state.store, task), r.opt_fields))

    def _delete_task(self, r: ApiRequest) -> ApiAnswer:
        self.state.delete_task(r.params["task_gid"])
        return answer({})

    def _task_op(self, r: ApiRequest, key: str, operation: Any) -> ApiAnswer:
        value = r.body().get(key)
        if not value:
            raise ApiError(400, f"{key}: Missing input")
        operation(r.params["task_gid"], str(value))
        return answer({})

    def _add_task_to_section(self, r: ApiRequest) -> ApiAnswer:
        task = str(r.body().get("task") or "")
        self.state.move_to_section(task, r.params["section_gid"])
        return answer({})

    # --- stories ---
    def _stories(self, r: ApiRequest) -> ApiAnswer:
        stories = self.state.stories.of_task(r.params["task_gid"])
        return paginate(r, stories, lambda s: select(story_json(self.state.store, s), r.opt_fields, compact="story"))

    def _create_story(self, r: ApiRequest) -> ApiAnswer:
        body = r.body()
        story = self.state.stories.comment(r.params["task_gid"], html_text=body.get("html_text"), text=body.get("text"))
        return answer(select(story_json(self.state.store, story), r.opt_fields), 201)

    def _story(self, r: ApiRequest) -> ApiAnswer:
        story = self.state.store.story(r.params["story_gid"])
        return answer(select(story_json(self.state.store, story), r.opt_fields))

    def _update_story(self, r: ApiRequest) -> ApiAnswer:
        body = r.body()
        story = self.state.stories.edit(r.params["story_gid"], html_text=body.get("html_text"), text=body.get("text"))
        return answer(select(story_json(self.state.store, story), r.opt_fields))

    def _delete_story(self, r: ApiRequest) -> ApiAnswer:
        self.state.stories.delete(r.params["story_gid"])
        return answer({})

    # --- goals, events, webhooks ---
    def _goal(self, r: ApiRequest) -> ApiAnswer:
        return answer(select(goal_json(self.state.store.goal(r.params["goal_gid"])), r.opt_fields))

    def _set_goal_metric(self, r: ApiRequest) -> ApiAnswer:
        value = r.body().get("current_number_value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ApiError(400, "current_number_value: Number expected")
        goal = self.state.set_goal_metric(r.params["goal_gid"], value)
        return answer(select(goal_json(goal), r.opt_fields))

    def _events(self, r: ApiRequest) -> ApiAnswer:
        return ApiAnswer(200, self.state.events.read(r.required("resource"), r.query.get("sync")))

    def _webhooks(self, r: ApiRequest) -> ApiAnswer:
        workspace, resource = r.required("workspace"), r.query.get("resource")
        store = self.state.store
        hooks = [
            h
            for h in store.webhooks.values()
            if (resource is None or h.resource == resource) and _workspace_of(store, h.resource) == workspace
        ]
        return paginate(r, hooks, lambda h: select(webhook_json(store, h), r.opt_fields, compact="webhook"))

    def _webhook(self, r: ApiRequest) -> ApiAnswer:
        hook = self.state.store.webhook(r.params["webhook_gid"])
        return answer(select(webhook_json(self.state.store, hook), r.opt_fields))

    def _delete_webhook(self, r: ApiRequest) -> ApiAnswer:
        self.hub.delete(r.params["webhook_gid"])
        return answer({})

    def _create_webhook(self, r: ApiRequest) -> ApiAnswer:
        body = r.body()
        resource, target = str(body.get("resource") or ""), str(body.get("target") or "")
        if not resource or not target:
            raise ApiError(400, "resource, target: Missing input")
        hook = self.hub.create(resource, target)
        with self.state.lock:
            return ApiAnswer(
                201, {"data": select(webhook_json(self.state.store, hook), r.opt_fields), "X-Hook-Secret": hook.secret}
            )


def _workspace_of(store: Any, resource: str) -> str | None:
    for records in (store.projects, store.tasks, store.goals):
        if resource in records:
            return str(records[resource].workspace)
    return None


def _completed_since(tasks: list[Any], since: str | None) -> list[Any]:
    if since is None:
        return tasks
    if since == "now":
        return [t for t in tasks if not t.completed]
    moment = _parse_time(since, "completed_since")
    return [t for t in tasks if not t.completed or (t.completed_at is not None and t.completed_at >= moment)]


def _parse_time(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ApiError(400, f"{name}: {text!r} is not an ISO 8601 date-time") from error
    if moment.tzinfo is None:
        raise ApiError(400, f"{name}: {text!r} needs a time zone (Z or +00:00)")
    return moment
