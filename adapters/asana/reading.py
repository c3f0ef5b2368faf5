"""Reading tasks from Asana: batched fetches by gid and full project listings (with subtasks if asked).

Fetches go through `POST /batch` (10 `GET /tasks/{gid}` actions per request, each with the opt_fields
the engine needs), so N changed tasks cost about N/10 requests. Subtasks have no project of their
own, so their container is the configured project of their nearest ancestor (one more batched read
per level of nesting, only when subtasks are included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from adapters.asana.client import JSON, AsanaClient, map_status
from adapters.asana.normalize import TASK_FIELDS, TASK_OPT_FIELDS, TaskRules, own_container, snapshot
from syncd.core.errors import NotFound, Permanent, TrackerError
from syncd.core.model import TaskSnapshot
from syncd.ports import FetchResult

BATCH_ACTIONS = 10
MAX_DEPTH = 4
ANCESTRY_FIELDS = ("projects", "parent")


class TaskReader:
    """Fetches and lists tasks for one source; `rules()` gives the current normalization rules."""

    def __init__(self, client: AsanaClient, rules: Callable[[], TaskRules]) -> None:
        self._client = client
        self._rules = rules

    def fetch(self, gids: Sequence[str]) -> FetchResult:
        """Snapshots of the tasks still known, and the gids Asana answers 404/403 for."""
        rules = self._rules()
        found, missing = self.get_many(dict.fromkeys(gids), TASK_OPT_FIELDS)
        containers = self._inherited_containers(found.values(), rules)
        snapshots = tuple(
            snapshot(task, rules, inherited_container=containers.get(gid, "")) for gid, task in found.items()
        )
        return FetchResult(snapshots=snapshots, missing=tuple(missing))

    def list_project(self, project: str) -> list[TaskSnapshot]:
        """Every task of a project (and its subtasks, nested, when configured)."""
        rules = self._rules()
        tasks = self._client.project_tasks(project, TASK_FIELDS)
        snapshots = [snapshot(task, rules) for task in tasks]
        if rules.include_subtasks:
            snapshots.extend(snapshot(t, rules, inherited_container=project) for t in self._descendants(tasks))
        return snapshots

    def get_many(self, gids: Iterable[str], fields: Sequence[str]) -> tuple[dict[str, JSON], list[str]]:
        """Tasks by gid through `/batch`: (found by gid, missing gids). Retriable failures raise."""
        actions = [_get(f"/tasks/{gid}", fields) for gid in gids]
        found: dict[str, JSON] = {}
        missing: list[str] = []
        for action, result in zip(actions, self._run(actions), strict=True):
            gid = action["relative_path"].rsplit("/", 1)[-1]
            data = _result_data(action, result)
            if data is None:
                missing.append(gid)
            else:
                found[gid] = data
        return found, missing

    def _run(self, actions: Sequence[JSON]) -> list[JSON]:
        results: list[JSON] = []
        for start in range(0, len(actions), BATCH_ACTIONS):
            results.extend(self._client.batch(list(actions[start : start + BATCH_ACTIONS])))
        return results

    def _descendants(self, tasks: Sequence[JSON]) -> list[JSON]:
        found: list[JSON] = []
        parents = [t for t in tasks if t.get("num_subtasks")]
        for _ in range(MAX_DEPTH):
            if not parents:
                break
            children = self._subtasks_of([str(p["gid"]) for p in parents])
            found.extend(children)
            parents = [c for c in children if c.get("num_subtasks")]
        return found

    def _subtasks_of(self, gids: Sequence[str]) -> list[JSON]:
        actions = [_get(f"/tasks/{gid}/subtasks", TASK_OPT_FIELDS, limit=100) for gid in gids]
        children: list[JSON] = []
        for gid, action, result in zip(gids, actions, self._run(actions), strict=True):
            body = result.get("body") or {}
            if (body.get("next_page") or {}).get("offset"):
                children.extend(self._client.subtasks(gid, TASK_FIELDS))
            else:
                children.extend(_result_list(action, result))
        return children

    def _inherited_containers(self, tasks: Iterable[JSON], rules: TaskRules) -> dict[str, str]:
        """gid -> configured project of the nearest ancestor, for subtasks outside every configured project."""
        if not rules.include_subtasks:
            return {}
        orphans = {
            str(t["gid"]): str(t["parent"]["gid"]) for t in tasks if t.get("parent") and not own_container(t, rules)
        }
        ancestor_of = dict(orphans)
        containers: dict[str, str] = {}
        for _ in range(MAX_DEPTH):
            if not ancestor_of:
                break
            ancestors, _ = self.get_many(set(ancestor_of.values()), ANCESTRY_FIELDS)
            next_round: dict[str, str] = {}
            for gid, ancestor in ancestor_of.items():
                record = ancestors.get(ancestor)
                if record is None:
                    continue
                if project := own_container(record, rules):
                    containers[gid] = project
                elif record.get("parent"):
                    next_round[gid] = str(record["parent"]["gid"])
            ancestor_of = next_round
        return containers


def _get(path: str, fields: Sequence[str], **options: Any) -> JSON:
    return {"method": "get", "relative_path": path, "options": {"fields": list(fields), **options}}


def _result_data(action: Mapping[str, Any], result: Mapping[str, Any]) -> JSON | None:
    """The action's `data`, None for a task that is gone (404/410) or out of reach (403)."""
    try:
        body = _checked_body(action, result)
    except NotFound:
        return None
    except Permanent as error:
        if error.status == 403:
            return None
        raise
    data = body.get("data")
    return data if isinstance(data, dict) else None


def _result_list(action: Mapping[str, Any], result: Mapping[str, Any]) -> list[JSON]:
    try:
        data = _checked_body(action, result).get("data")
    except NotFound:
        return []
    return [item for item in data or [] if isinstance(item, dict)]


def _checked_body(action: Mapping[str, Any], result: Mapping[str, Any]) -> Mapping[str, Any]:
    status = int(result.get("status_code") or 0)
    body = result.get("body") if isinstance(result.get("body"), Mapping) else {}
    assert isinstance(body, Mapping)
    if 200 <= status < 300:
        return body
    errors = body.get("errors") or []
    message = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, Mapping))
    headers = result.get("headers") or {}
    failure: TrackerError = map_status(
        f"batch GET {action['relative_path']}",
        status,
        headers.get("Retry-After") or headers.get("retry-after"),
        message,
    )
    raise failure
