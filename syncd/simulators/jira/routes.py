"""The Jira REST routes syncd uses, answered from `JiraState` in Jira's shapes, in either flavour.

Cloud serves `/rest/api/3`: `POST /search/jql` (JQL subset, `nextPageToken` paging, explicit `fields`) and
ADF comment bodies. Data Center serves `/rest/api/2`: `POST`/`GET /search` (`startAt`, `maxResults`,
`total`) and wiki-markup comment bodies (strings). Both: `GET /myself`, `GET /field`, `GET /project/{key}`,
`GET /issue/{key}`, `GET /issue/{key}/editmeta`, `PUT /issue/{key}` (fields on the edit screen), the comment
endpoints (`expand=properties`), issue entity properties, `GET /rest/api/2/serverInfo` (`deploymentType`;
Cloud answers it under `/rest/api/3` too), and the admin webhooks of `/rest/webhooks/1.0/webhook`. Failures
raise `ApiError` with Jira's error body.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from syncd.simulators.jira import jql
from syncd.simulators.jira.render import comment_json, hook_json, issue_json, user_json
from syncd.simulators.jira.state import Issue, JiraState, NoSuchThing
from syncd.simulators.jira.write_limits import JIRA_CLOUD_LIMITS, REASON, IssueWriteLimits
from syncd.simulators.kit.paging import PageTokenError, offset_page

#: `deploymentType` of each flavour, as `serverInfo` answers it (Data Center may also say "Server").
CLOUD, DATA_CENTER = "Cloud", "DataCenter"

MAX_RESULTS = 5000
WRITES = frozenset({"POST", "PUT", "DELETE"})


class ApiError(Exception):
    """An error answer: status and Jira's `{"errorMessages": [...], "errors": {}}` body."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """Jira's error body."""
        return {"errorMessages": [str(self)], "errors": {}}


@dataclass(frozen=True)
class ApiRequest:
    """One API request as the routes see it."""

    method: str
    path: str
    query: Mapping[str, str]
    body: Any


@dataclass
class Site:
    """What the site says about itself and its API user."""

    url: str = "http://127.0.0.1"
    email: str = "syncd@acme.example"
    display_name: str = "syncd bot"
    time_zone: str = "America/Los_Angeles"
    custom_fields: dict[str, str] = field(
        default_factory=lambda: {"customfield_10016": "Story point estimate", "customfield_10050": "KR progress"}
    )
    #: "Cloud", or "DataCenter" / "Server" for a self-managed server (REST v2, wiki markup).
    deployment: str = CLOUD
    #: Custom fields on every issue's edit screen (None: all of them); Jira refuses to set the others.
    edit_screen: set[str] | None = None
    #: Per-issue write limits, (writes, seconds) on the site's clock (read when the simulator is built). Empty: none.
    issue_write_limits: tuple[tuple[int, float], ...] = JIRA_CLOUD_LIMITS

    @property
    def cloud(self) -> bool:
        """Whether the site is Jira Cloud."""
        return self.deployment == CLOUD

    @property
    def api(self) -> str:
        """The REST prefix the site's flavour serves."""
        return "/rest/api/3" if self.cloud else "/rest/api/2"

    @property
    def search_path(self) -> str:
        """Where the flavour's issue search is."""
        return f"{self.api}/search/jql" if self.cloud else f"{self.api}/search"

    def on_screen(self, field_id: str) -> bool:
        """Whether a custom field is on the edit screen."""
        return field_id in self.custom_fields and (self.edit_screen is None or field_id in self.edit_screen)


Handler = Callable[[ApiRequest, re.Match[str]], tuple[int, Any]]


class JiraApi:
    """Routes requests to the state (see the module docstring)."""

    def __init__(self, state: JiraState, site: Site) -> None:
        self.state = state
        self.site = site
        self._write_limits = IssueWriteLimits(site.issue_write_limits)
        api = re.escape(site.api)
        issue = f"{api}/issue/(?P<key>[^/]+)"
        search: list[tuple[str, re.Pattern[str], Handler]] = (
            [("POST", re.compile(f"^{api}/search/jql$"), self._search)]
            if site.cloud
            else [(method, re.compile(f"^{api}/search$"), self._search_by_offset) for method in ("POST", "GET")]
        )
        info = r"^/rest/api/[23]/serverInfo$" if site.cloud else r"^/rest/api/2/serverInfo$"
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            *search,
            ("GET", re.compile(f"^{api}/myself$"), self._myself),
            ("GET", re.compile(f"^{api}/field$"), self._fields),
            ("GET", re.compile(info), self._server_info),
            ("GET", re.compile(f"^{api}/project/(?P<key>[^/]+)$"), self._project),
            ("GET", re.compile(f"^{issue}$"), self._get_issue),
            ("PUT", re.compile(f"^{issue}$"), self._edit_issue),
            ("GET", re.compile(f"^{issue}/editmeta$"), self._edit_meta),
            ("GET", re.compile(f"^{issue}/comment$"), self._comments),
            ("POST", re.compile(f"^{issue}/comment$"), self._add_comment),
            ("PUT", re.compile(f"^{issue}/comment/(?P<id>[^/]+)$"), self._edit_comment),
            ("DELETE", re.compile(f"^{issue}/comment/(?P<id>[^/]+)$"), self._delete_comment),
            ("GET", re.compile(f"^{issue}/properties/(?P<name>[^/]+)$"), self._get_property),
            ("PUT", re.compile(f"^{issue}/properties/(?P<name>[^/]+)$"), self._set_property),
            ("GET", re.compile(r"^/rest/webhooks/1\.0/webhook$"), self._hooks),
            ("POST", re.compile(r"^/rest/webhooks/1\.0/webhook$"), self._add_hook),
            ("PUT", re.compile(r"^/rest/webhooks/1\.0/webhook/(?P<id>\d+)$"), self._edit_hook),
        ]

    def handle(self, request: ApiRequest) -> tuple[int, Any]:
        """Answer one request: (status, JSON body or None)."""
        for method, pattern, handler in self._routes:
            found = pattern.match(request.path)
            if found and method == request.method:
                try:
                    with self.state.lock:
                        if method in WRITES and "key" in found.groupdict():
                            self._count_write(self.state.issue(found["key"]).id)
                        return handler(request, found)
                except NoSuchThing as missing:
                    raise ApiError(404, str(missing)) from None
        raise ApiError(404, f"No {request.method} route for {request.path} in the Jira simulator")

    def _count_write(self, issue_id: int) -> None:
        """Note a write to an issue; 429 (`jira-per-issue-on-write`) past a per-issue limit, as Jira Cloud answers."""
        refused = self._write_limits.admit(issue_id, self.state.now())
        if refused is not None:
            headers = {"Retry-After": str(max(1, math.ceil(refused.seconds))), "RateLimit-Reason": REASON}
            message = f"Too many writes to this issue: at most {refused.limit} in {refused.seconds:g} s."
            raise ApiError(429, message, headers)

    # -- search and reads --------------------------------------------------------------------------
    def _found(self, text: object) -> list[Issue]:
        """The live issues a JQL query finds, in its order."""
        if not isinstance(text, str):
            raise ApiError(400, "The JQL query is required (bounded queries only).")
        try:
            query = jql.parse(text, ZoneInfo(self.site.time_zone))
        except jql.JqlError as error:
            raise ApiError(400, str(error)) from None
        return query.sort([issue for issue in self.state.live_issues() if query.matches(issue)])

    def _search_by_offset(self, request: ApiRequest, _: re.Match[str]) -> tuple[int, Any]:
        """Data Center's `/search`: a JSON body (POST) or query parameters (GET), `startAt` paging with `total`."""
        given: Mapping[str, Any] = _object(request.body) if request.method == "POST" else request.query
        fields = given.get("fields")
        if isinstance(fields, str):
            fields = fields.split(",")
        found = self._found(given.get("jql"))
        start, limit = int(given.get("startAt") or 0), max(1, min(int(given.get("maxResults") or 50), 1000))
        page = found[start : start + limit]
        return 200, {
            "expand": "schema,names", "startAt": start, "maxResults": limit, "total": len(found),
            "issues": [issue_json(self.site.url, issue, fields if isinstance(fields, list) else None) for issue in page],
        }  # fmt: skip

    def _search(self, request: ApiRequest, _: re.Match[str]) -> tuple[int, Any]:
        body = _object(request.body)
        found = self._found(body.get("jql"))
        limit = max(1, min(int(body.get("maxResults") or 50), MAX_RESULTS))
        fields = body.get("fields")
        try:
            page = offset_page(found, body.get("nextPageToken"), limit)
        except PageTokenError as error:
            raise ApiError(400, str(error)) from None
        answer: dict[str, Any] = {
            "issues": [
                issue_json(self.site.url, issue, fields if isinstance(fields, list) else ["id"]) for issue in page.items
            ],
            "isLast": page.next_token is None,
        }
        if page.next_token is not None:
            answer["nextPageToken"] = page.next_token
        return 200, answer

    def _myself(self, request: ApiRequest, _: re.Match[str]) -> tuple[int, Any]:
        me = user_json(self.site.url, self.site.display_name, self.site.email, self.site.time_zone)
        if not self.site.cloud:  # Data Center users have a name and a key, no account id
            me = {key: value for key, value in me.items() if key not in ("accountId", "accountType")}
            me |= {"self": f"{self.site.url}/rest/api/2/user?username=syncd", "key": "JIRAUSER10000", "name": "syncd"}
        return 200, me

    def _project(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        key = found["key"]
        if key not in self.state.projects:
            raise ApiError(404, f"No project could be found with key '{key}'.")
        return 200, {"self": f"{self.site.url}{self.site.api}/project/{key}", "id": str(10000 + sum(map(ord, key))),
                     "key": key, "name": key, "projectTypeKey": "software"}  # fmt: skip

    def _edit_meta(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        self.state.issue(found["key"])
        _, fields = self._fields(request, found)
        return 200, {
            "fields": {
                entry["id"]: {"required": False, "schema": entry["schema"], "name": entry["name"], "key": entry["id"],
                              "operations": ["set"]}
                for entry in fields
                if entry["id"] in ("summary", "labels") or self.site.on_screen(entry["id"])
            }
        }  # fmt: skip

    def _fields(self, request: ApiRequest, _: re.Match[str]) -> tuple[int, Any]:
        system = [{"id": name, "key": name, "name": name.title(), "custom": False, "navigable": True,
                   "orderable": True, "searchable": True, "clauseNames": [name], "schema": {"type": "string", "system": name}}
                  for name in ("summary", "labels", "status", "resolution", "updated")]  # fmt: skip
        custom = [
            {
                "id": field_id, "key": field_id, "name": name, "custom": True, "navigable": True, "orderable": True,
                "searchable": True, "clauseNames": [f"cf[{field_id.rpartition('_')[2]}]", name],
                "schema": {"type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
                           "customId": int(field_id.rpartition("_")[2])},
            }
            for field_id, name in self.site.custom_fields.items()
        ]  # fmt: skip
        return 200, system + custom

    def _server_info(self, request: ApiRequest, _: re.Match[str]) -> tuple[int, Any]:
        version = "1001.0.0-SNAPSHOT" if self.site.cloud else "9.12.2"
        return 200, {"baseUrl": self.site.url, "version": version, "versionNumbers": [int(version.split(".", maxsplit=1)[0]), 0, 0],
                     "deploymentType": self.site.deployment, "buildNumber": 100280, "scmInfo": "sim",
                     "serverTitle": "Jira"}  # fmt: skip

    def _get_issue(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        issue = self.state.issue(found["key"])
        fields = request.query.get("fields")
        return 200, issue_json(self.site.url, issue, fields.split(",") if fields else None)

    def _edit_issue(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        values = _object(request.body).get("fields")
        if not isinstance(values, dict):
            raise ApiError(400, "The request needs a `fields` object.")
        unknown = [name for name in values if not self.site.on_screen(name)]
        if unknown:
            raise ApiError(400, f"Field '{unknown[0]}' cannot be set. It is not on the appropriate screen, or unknown.")
        wrong = [name for name, value in values.items() if value is not None and not isinstance(value, int | float)]
        if wrong:
            raise ApiError(400, f"Operation value must be a number: {wrong[0]}")
        self.state.set_fields(found["key"], dict(values), author="api")
        return 204, None

    # -- comments ----------------------------------------------------------------------------------
    def _comments(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        issue = self.state.issue(found["key"])
        comments = self.state.issue_comments(issue)
        start, limit = int(request.query.get("startAt") or 0), int(request.query.get("maxResults") or 100)
        expanded = "properties" in (request.query.get("expand") or "").split(",")
        page = comments[start : start + min(limit, 100)]
        return 200, {
            "startAt": start, "maxResults": min(limit, 100), "total": len(comments),
            "comments": [comment_json(self.site.url, c, properties=expanded) for c in page],
        }  # fmt: skip

    def _add_comment(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        issue = self.state.issue(found["key"])
        body = _object(request.body)
        document = self._body(body)
        properties = {str(p["key"]): p.get("value") for p in body.get("properties") or () if isinstance(p, dict)}
        comment = self.state.add_comment(issue, document, "api", properties)
        return 201, comment_json(self.site.url, comment)

    def _edit_comment(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        issue = self.state.issue(found["key"])
        comment = self.state.edit_comment(issue, found["id"], self._body(_object(request.body)))
        return 200, comment_json(self.site.url, comment)

    def _body(self, body: Mapping[str, Any]) -> dict[str, Any] | str:
        """A comment's body in the flavour's format: ADF on Cloud, a wiki-markup string on Data Center."""
        if self.site.cloud:
            return _document(body)
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Comment body can not be empty! (Data Center takes wiki markup: a string)")
        return text

    def _delete_comment(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        self.state.delete_comment(self.state.issue(found["key"]), found["id"])
        return 204, None

    # -- entity properties -------------------------------------------------------------------------
    def _get_property(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        issue = self.state.issue(found["key"])
        if found["name"] not in issue.properties:
            raise ApiError(404, f"The property with key '{found['name']}' does not exist.")
        return 200, {"key": found["name"], "value": issue.properties[found["name"]]}

    def _set_property(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        issue = self.state.issue(found["key"])
        existed = found["name"] in issue.properties
        issue.properties[found["name"]] = request.body
        return (200 if existed else 201), None

    # -- admin webhooks ----------------------------------------------------------------------------
    def _hooks(self, request: ApiRequest, _: re.Match[str]) -> tuple[int, Any]:
        return 200, [hook_json(self.site.url, hook) for hook in self.state.hooks.values()]

    def _add_hook(self, request: ApiRequest, _: re.Match[str]) -> tuple[int, Any]:
        body = _object(request.body)
        if not isinstance(body.get("url"), str) or not isinstance(body.get("events"), list):
            raise ApiError(400, "A webhook needs a url and events.")
        filters = body.get("filters") or {}
        hook = self.state.add_hook(
            str(body.get("name") or "webhook"), body["url"], [str(e) for e in body["events"]],
            str(filters.get("issue-related-events-section") or ""), body.get("secret"),
        )  # fmt: skip
        return 201, hook_json(self.site.url, hook)

    def _edit_hook(self, request: ApiRequest, found: re.Match[str]) -> tuple[int, Any]:
        hook = self.state.hooks.get(int(found["id"]))
        if hook is None:
            raise ApiError(404, f"No webhook {found['id']}.")
        body = _object(request.body)
        hook.url = str(body.get("url", hook.url))
        hook.events = [str(e) for e in body.get("events", hook.events)]
        hook.jql = str((body.get("filters") or {}).get("issue-related-events-section", hook.jql))
        hook.secret = body.get("secret", hook.secret)
        hook.enabled = bool(body.get("enabled", True))
        return 200, hook_json(self.site.url, hook)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def _document(body: Mapping[str, Any]) -> dict[str, Any]:
    """A comment's ADF `body`; Jira refuses anything else (400)."""
    document = body.get("body")
    if not isinstance(document, dict) or document.get("type") != "doc" or document.get("version") != 1:
        raise ApiError(400, "Comment body is not valid: it must be an Atlassian Document Format document.")
    return document
