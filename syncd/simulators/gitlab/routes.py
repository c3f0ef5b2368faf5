"""The GitLab REST API v4 routes syncd uses, answered from `GitLabState` in GitLab's shapes.

Issues and merge requests (list with `state`/`order_by`/`sort`/`updated_after`, offset pages of `per_page` up
to 100 with `x-page`, `x-per-page`, `x-total`, `x-total-pages`, `x-next-page`, `x-prev-page` and `Link`), one by
iid, their notes (list, create, update, delete), project hooks (list, create, update), `GET /projects/:id`,
`GET /groups/:id/projects` (`include_subgroups`), `GET /user` and `GET /personal_access_tokens/self`. Failures
raise `ApiError` with GitLab's `{"message": ...}` (or `{"error": ...}` for a bad parameter) body.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncd.simulators.gitlab.render import hook_json, item_json, note_json, project_json, user_json
from syncd.simulators.gitlab.state import GitLabState, Item, NoSuchThing, apply_hook_settings
from syncd.simulators.kit.paging import link_header, numbered_page

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
Query = Sequence[tuple[str, str]]
Answer = tuple[int, Any, dict[str, str]]


class ApiError(Exception):
    """An error answer: status and GitLab's body."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None, *, key: str = "message"):
        super().__init__(message)
        self.status = status
        self.key = key
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """GitLab's error body."""
        return {self.key: str(self)}


@dataclass(frozen=True)
class ApiRequest:
    """One API request as the routes see it: the path under `/api/v4` with its segments decoded."""

    method: str
    segments: tuple[str, ...]
    query: Query
    body: Any
    url: str  # the request's URL without query, for Link headers

    def param(self, name: str) -> str | None:
        """The first value of a query or body parameter."""
        found = next((v for k, v in self.query if k == name), None)
        if found is None and isinstance(self.body, dict) and name in self.body:
            return str(self.body[name])
        return found


@dataclass
class Instance:
    """What the instance says about itself and its API user."""

    url: str = "http://127.0.0.1"
    username: str = "syncd-bot"
    scopes: tuple[str, ...] = ("api",)
    access_level: int = 30  # Developer


Handler = Callable[[ApiRequest, re.Match[str]], Answer]
_PROJECT = r"projects/(?P<project>[^/]+)"
_ITEM = _PROJECT + r"/(?P<kind>issues|merge_requests)/(?P<iid>\d+)"
KINDS = {"issues": "issue", "merge_requests": "merge_request"}


class GitLabApi:
    """Routes requests to the state (see the module docstring)."""

    def __init__(self, state: GitLabState, instance: Instance) -> None:
        self.state = state
        self.instance = instance
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"^user$"), self._user),
            ("GET", re.compile(r"^personal_access_tokens/self$"), self._token),
            ("GET", re.compile(r"^groups/(?P<group>[^/]+)/projects$"), self._group_projects),
            ("GET", re.compile(f"^{_PROJECT}$"), self._project),
            ("GET", re.compile(f"^{_PROJECT}/(?P<kind>issues|merge_requests)$"), self._list_items),
            ("GET", re.compile(f"^{_ITEM}$"), self._get_item),
            ("GET", re.compile(f"^{_ITEM}/notes$"), self._notes),
            ("POST", re.compile(f"^{_ITEM}/notes$"), self._add_note),
            ("PUT", re.compile(f"^{_ITEM}/notes/(?P<note>\\d+)$"), self._edit_note),
            ("DELETE", re.compile(f"^{_ITEM}/notes/(?P<note>\\d+)$"), self._delete_note),
            ("GET", re.compile(f"^{_PROJECT}/hooks$"), self._hooks),
            ("POST", re.compile(f"^{_PROJECT}/hooks$"), self._add_hook),
            ("PUT", re.compile(f"^{_PROJECT}/hooks/(?P<hook>\\d+)$"), self._edit_hook),
        ]

    def handle(self, request: ApiRequest) -> Answer:
        """Answer one request: (status, JSON body or None, headers)."""
        path = "/".join(urllib.parse.quote(s, safe="") for s in request.segments)
        for method, pattern, handler in self._routes:
            found = pattern.match(path)
            if found and method == request.method:
                try:
                    with self.state.lock:
                        return handler(request, found)
                except NoSuchThing as missing:
                    raise ApiError(404, str(missing)) from None
        raise ApiError(404, "404 Not Found")

    # -- helpers -----------------------------------------------------------------------------------
    def _paged(self, request: ApiRequest, items: Sequence[Any]) -> Answer:
        per_page = _int(request.param("per_page"), DEFAULT_PER_PAGE, "per_page")
        page_number = _int(request.param("page"), 1, "page")
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = numbered_page(items, max(1, page_number), per_page)
        headers = {"x-page": str(page.page), "x-per-page": str(per_page), "x-total": str(len(items)),
                   "x-total-pages": str(page.last),
                   "x-next-page": str(page.page + 1) if page.page < page.last else "",
                   "x-prev-page": str(page.page - 1) if page.page > 1 else ""}  # fmt: skip
        link = link_header(request.url, list(request.query), page)
        if link:
            headers["link"] = link
        return 200, list(page.items), headers

    def _item_of(self, found: re.Match[str]) -> tuple[Any, Item]:
        project = self.state.project(urllib.parse.unquote(found["project"]))
        return project, self.state.item(project, KINDS[found["kind"]], int(found["iid"]))

    # -- identity, projects, groups ----------------------------------------------------------------
    def _user(self, request: ApiRequest, _: re.Match[str]) -> Answer:
        return 200, user_json(self.instance.url, self.instance.username) | {"bot": True}, {}

    def _token(self, request: ApiRequest, _: re.Match[str]) -> Answer:
        return 200, {"id": 1, "name": "syncd", "revoked": False, "active": True, "scopes": list(self.instance.scopes),
                     "user_id": 1, "expires_at": None}, {}  # fmt: skip

    def _project(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        project = self.state.project(urllib.parse.unquote(found["project"]))
        return 200, project_json(self.instance.url, project, self.instance.access_level), {}

    def _group_projects(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        subgroups = (request.param("include_subgroups") or "false").lower() == "true"
        projects = self.state.group_projects(urllib.parse.unquote(found["group"]), subgroups=subgroups)
        if not projects:
            raise ApiError(404, "404 Group Not Found")
        rendered = [project_json(self.instance.url, p, self.instance.access_level) for p in projects]
        return self._paged(request, rendered)

    # -- issues and merge requests -----------------------------------------------------------------
    def _list_items(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        project = self.state.project(urllib.parse.unquote(found["project"]))
        kind = KINDS[found["kind"]]
        items = self.state.project_items(project, kind)
        state = request.param("state") or "all"
        if state not in ("all", "opened", "closed", "merged", "locked"):
            raise ApiError(400, "state does not have a valid value", key="error")
        if state != "all":
            items = [i for i in items if i.state == state]
        after = request.param("updated_after")
        if after is not None:
            moment = _moment(after, "updated_after")
            items = [i for i in items if i.updated_at >= moment]
        order = request.param("order_by") or "created_at"
        if order not in ("created_at", "updated_at"):
            raise ApiError(400, "order_by does not have a valid value", key="error")
        reverse = (request.param("sort") or "desc") == "desc"
        items.sort(key=lambda i: (getattr(i, order), i.id), reverse=reverse)
        status, page, headers = self._paged(request, items)
        return status, [item_json(self.instance.url, project, i) for i in page], headers

    def _get_item(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        project, item = self._item_of(found)
        return 200, item_json(self.instance.url, project, item), {}

    # -- notes -------------------------------------------------------------------------------------
    def _notes(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        _, item = self._item_of(found)
        notes = self.state.item_notes(item)
        order = request.param("order_by") or "created_at"
        reverse = (request.param("sort") or "desc") == "desc"
        notes.sort(key=lambda n: (n.updated_at if order == "updated_at" else n.created_at, n.id), reverse=reverse)
        return self._paged(request, [note_json(self.instance.url, n, item) for n in notes])

    def _add_note(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        _, item = self._item_of(found)
        body = _body_text(request)
        note = self.state.add_note(item, body, self.instance.username)
        return 201, note_json(self.instance.url, note, item), {}

    def _edit_note(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        _, item = self._item_of(found)
        note = self.state.edit_note(item, int(found["note"]), _body_text(request))
        return 200, note_json(self.instance.url, note, item), {}

    def _delete_note(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        _, item = self._item_of(found)
        self.state.delete_note(item, int(found["note"]))
        return 204, None, {}

    # -- hooks -------------------------------------------------------------------------------------
    def _hooks(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        project = self.state.project(urllib.parse.unquote(found["project"]))
        hooks = [hook_json(project, h) for h in self.state.hooks.values() if h.project_id == project.id]
        return self._paged(request, hooks)

    def _add_hook(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        project = self.state.project(urllib.parse.unquote(found["project"]))
        settings = request.body if isinstance(request.body, dict) else {}
        if not isinstance(settings.get("url"), str):
            raise ApiError(400, "url is missing", key="error")
        _check_signing_token(settings)
        hook = self.state.add_hook(project, settings)
        return 201, hook_json(project, hook), {}

    def _edit_hook(self, request: ApiRequest, found: re.Match[str]) -> Answer:
        project = self.state.project(urllib.parse.unquote(found["project"]))
        hook = self.state.hooks.get(int(found["hook"]))
        if hook is None or hook.project_id != project.id:
            raise ApiError(404, "404 Not found")
        settings = request.body if isinstance(request.body, dict) else {}
        _check_signing_token(settings)
        apply_hook_settings(hook, settings)
        return 200, hook_json(project, hook), {}


def _check_signing_token(settings: Mapping[str, Any]) -> None:
    token = settings.get("signing_token")
    if token is not None and not str(token).startswith("whsec_"):
        raise ApiError(400, "signing_token must be in whsec_<base64> format", key="error")


def _body_text(request: ApiRequest) -> str:
    body = request.param("body")
    if not body:
        raise ApiError(400, "body is missing", key="error")
    if len(body) > 1_000_000:
        raise ApiError(400, "Note is too long (maximum is 1000000 characters)")
    return body


def _int(value: str | None, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"{name} is invalid", key="error") from None


def _moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{name} is invalid", key="error") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
