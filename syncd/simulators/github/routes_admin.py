"""REST endpoints around the issues: the user, repositories, hooks, GitHub App installations, rate limit."""

from __future__ import annotations

from starlette.routing import Route

from syncd.simulators.github.http import API_PREFIX, Call, Reply
from syncd.simulators.github.paging import paginate
from syncd.simulators.github.parts import RouteGroup
from syncd.simulators.github.render import timestamp
from syncd.simulators.github.state import SimError

REPO = f"{API_PREFIX}/repos/{{owner}}/{{repo}}"


class AdminRoutes(RouteGroup):
    """The user, repositories, hooks, GitHub App installations and the rate limit."""

    def routes(self) -> list[Route]:
        """Starlette routes for these endpoints."""
        ep = self.parts.pipeline.endpoint
        return [
            Route(f"{API_PREFIX}/user", ep(self.user), methods=["GET"]),
            Route(f"{API_PREFIX}/rate_limit", ep(self.rate_limit), methods=["GET"]),
            Route(f"{API_PREFIX}/orgs/{{org}}/repos", ep(self.org_repos), methods=["GET"]),
            Route(REPO, ep(self.repository), methods=["GET"]),
            Route(f"{REPO}/hooks", ep(self.list_hooks), methods=["GET"]),
            Route(f"{REPO}/hooks", ep(self.create_hook), methods=["POST"]),
            Route(f"{REPO}/hooks/{{hook_id:int}}", ep(self.get_hook), methods=["GET"]),
            Route(f"{REPO}/hooks/{{hook_id:int}}", ep(self.update_hook), methods=["PATCH"]),
            Route(f"{REPO}/hooks/{{hook_id:int}}", ep(self.delete_hook), methods=["DELETE"]),
            Route(f"{REPO}/installation", ep(self.repo_installation, auth="app"), methods=["GET"]),
            Route(f"{API_PREFIX}/orgs/{{org}}/installation", ep(self.org_installation, auth="app"), methods=["GET"]),
            Route(
                f"{API_PREFIX}/app/installations/{{installation_id:int}}/access_tokens",
                ep(self.access_token, auth="app"),
                methods=["POST"],
            ),
        ]

    def user(self, call: Call) -> Reply:
        """`GET /user`: who the token speaks for."""
        return Reply(self.state.renderer.authenticated_user(self.parts.actor(call)))

    def rate_limit(self, call: Call) -> Reply:
        """`GET /rate_limit`."""
        headers = self.parts.pipeline.budget.headers()
        core = {key: int(headers[f"x-ratelimit-{key}"]) for key in ("limit", "remaining", "reset", "used")}
        return Reply({"resources": {"core": core}, "rate": core})

    def org_repos(self, call: Call) -> Reply:
        """`GET /orgs/{org}/repos`: the org's repositories the caller may see."""
        org = str(call.params["org"]).lower()
        with self.state.lock:
            repos = [r for r in self.state.repos.values() if r.owner.lower() == org]
            if call.grant is not None:
                repos = [r for r in repos if self.parts.credentials.may_access(call.grant, r.full_name)]
            rendered = [self.state.renderer.repository(r, rest=True) for r in sorted(repos, key=lambda r: r.id)]
        return paginate(call, rendered)

    def repository(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}`."""
        with self.state.lock:
            return Reply(self.state.renderer.repository(self.state.repo(self.parts.repo_name(call)), rest=True))

    def list_hooks(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/hooks`."""
        hooks = self.parts.hooks.of_repo(self.parts.repo_name(call))
        return paginate(call, [self.state.renderer.hook(h) for h in hooks])

    def create_hook(self, call: Call) -> Reply:
        """`POST /repos/{o}/{r}/hooks` (then a `ping` to the new hook)."""
        name = self.parts.repo_name(call)
        hook = self.parts.hooks.create(name, call.body if isinstance(call.body, dict) else {})
        rendered = self.state.renderer.hook(hook)
        self.parts.sender.ping(hook, self.state.payloads.ping(self.state.repo(name), rendered))
        return Reply(rendered, 201)

    def get_hook(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/hooks/{id}`."""
        return Reply(self.state.renderer.hook(self.parts.hooks.get(self.parts.repo_name(call), call.params["hook_id"])))

    def update_hook(self, call: Call) -> Reply:
        """`PATCH /repos/{o}/{r}/hooks/{id}`."""
        body = call.body if isinstance(call.body, dict) else {}
        hook = self.parts.hooks.update(self.parts.repo_name(call), call.params["hook_id"], body)
        return Reply(self.state.renderer.hook(hook))

    def delete_hook(self, call: Call) -> Reply:
        """`DELETE /repos/{o}/{r}/hooks/{id}`."""
        self.parts.hooks.delete(self.parts.repo_name(call), call.params["hook_id"])
        return Reply(status=204)

    def _installation(self, installation_id: int, app_id: int, owner: str) -> Reply:
        return Reply(self.state.renderer.installation(installation_id, app_id, owner))

    def repo_installation(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/installation` (app JWT)."""
        app = self.parts.credentials.app_for(call.authorization)
        full_name = self.state.repo(f"{call.params['owner']}/{call.params['repo']}").full_name
        installation_id = self.parts.credentials.installation_of(app, full_name)
        return self._installation(installation_id, app.app_id, full_name.partition("/")[0])

    def org_installation(self, call: Call) -> Reply:
        """`GET /orgs/{org}/installation` (app JWT): the installation covering any of the org's repos."""
        app = self.parts.credentials.app_for(call.authorization)
        org = str(call.params["org"]).lower()
        for installation_id, repos in app.installations.items():
            if any(repo.partition("/")[0] == org for repo in repos):
                return self._installation(installation_id, app.app_id, str(call.params["org"]))
        raise SimError(404, "Not Found")

    def access_token(self, call: Call) -> Reply:
        """`POST /app/installations/{id}/access_tokens` (app JWT): a fresh installation token."""
        app = self.parts.credentials.app_for(call.authorization)
        token, expires_at = self.parts.credentials.mint(app, call.params["installation_id"])
        permissions = {"issues": "write", "metadata": "read", "pull_requests": "write"}
        body = {"token": token, "expires_at": timestamp(expires_at), "permissions": permissions}
        return Reply({**body, "repository_selection": "selected"}, 201)
