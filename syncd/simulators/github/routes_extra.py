"""GraphQL (the Projects v2 operations syncd sends) and the simulator's own `/_sim` views."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from syncd.simulators.github.http import Call, Reply
from syncd.simulators.github.parts import RouteGroup
from syncd.simulators.github.state import SimError


class ExtraRoutes(RouteGroup):
    """GraphQL (Projects v2) and the simulator's own `/_sim` views."""

    def routes(self) -> list[Route]:
        """Starlette routes for these endpoints."""
        ep = self.parts.pipeline.endpoint
        return [
            Route("/api/graphql", ep(self.graphql, api="graphql"), methods=["POST"]),
            Route("/_sim/repos/{owner}/{repo}/issues/{number:int}", self.issue_view, methods=["GET"]),
        ]

    def graphql(self, call: Call) -> Reply:
        """`POST /api/graphql` with `{"query", "variables"}`."""
        body = call.body if isinstance(call.body, dict) else {}
        query = body.get("query")
        if not isinstance(query, str):
            raise SimError(400, "A query attribute must be specified and must be a string.")
        return Reply(self.parts.projects.execute(query, body.get("variables") or {}))

    async def issue_view(self, request: Request) -> Response:
        """`GET /_sim/repos/{o}/{r}/issues/{n}`: the issue and its comments as text (or JSON with ?format=json)."""
        full_name = f"{request.path_params['owner']}/{request.path_params['repo']}"
        number = int(request.path_params["number"])
        try:
            view = self.parts_view(full_name, number)
        except SimError as missing:
            return PlainTextResponse(f"{full_name}#{number}: {missing.message}\n", missing.status)
        if request.query_params.get("format") == "json":
            return Response(Reply(view).encoded(), media_type="application/json")
        return PlainTextResponse(render_text(view))

    def parts_view(self, full_name: str, number: int) -> dict[str, object]:
        """The issue (as the REST API renders it) with its comments."""
        with self.state.lock:
            issue, repo = self.state.issue(full_name, number), self.state.repo(full_name)
            rendered = self.state.renderer.issue(issue, repo.labels)
            comments = [self.state.renderer.comment(c) for c in self.parts.comments.of_issue(full_name, number)]
        return {"issue": rendered, "comments": comments}


def render_text(view: dict[str, object]) -> str:
    """A plain-text page: title, state, labels, then each comment."""
    issue = view["issue"]
    comments = view["comments"]
    assert isinstance(issue, dict)
    assert isinstance(comments, list)
    labels = ", ".join(label["name"] for label in issue["labels"]) or "(none)"
    reason = f" ({issue['state_reason']})" if issue.get("state_reason") else ""
    lines = [
        f"{issue['html_url']}",
        f"#{issue['number']} {issue['title']}",
        f"state: {issue['state']}{reason}   labels: {labels}   updated: {issue['updated_at']}",
        "",
    ]
    for comment in comments:
        lines += [
            f"--- comment {comment['id']} by {comment['user']['login']} at {comment['updated_at']}",
            comment["body"],
            "",
        ]
    return "\n".join(lines)
