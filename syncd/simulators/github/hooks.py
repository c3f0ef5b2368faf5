"""Repository webhooks of the simulated GitHub (REST CRUD); the sender delivers changes to them."""

from __future__ import annotations

from typing import Any

from syncd.simulators.github.entities import SimHook
from syncd.simulators.github.state import GitHubState, SimError

DEFAULT_EVENTS = ("push",)


class Hooks:
    """Hook create/list/update/delete over the shared state."""

    def __init__(self, state: GitHubState) -> None:
        self.state = state

    def create(self, full_name: str, body: dict[str, Any]) -> SimHook:
        """Create a hook from a `POST /repos/{o}/{r}/hooks` body; 422 without `config.url`."""
        config = body.get("config") or {}
        if not isinstance(config, dict) or not config.get("url"):
            raise SimError(422, "Validation Failed: config.url is required")
        state = self.state
        with state.lock:
            repo = state.repo(full_name)
            now = state.clock()
            hook = SimHook(
                id=state.next_id(),
                repo=repo.full_name,
                url=str(config["url"]),
                secret=config.get("secret") or None,
                events=list(body.get("events") or DEFAULT_EVENTS),
                active=bool(body.get("active", True)),
                content_type=str(config.get("content_type", "form")),
                insecure_ssl=str(config.get("insecure_ssl", "0")),
                created_at=now,
                updated_at=now,
            )
            repo.hooks[hook.id] = hook
            return hook

    def get(self, full_name: str, hook_id: int) -> SimHook:
        """A hook of that repository, or 404."""
        hook = self.state.repo(full_name).hooks.get(hook_id)
        if hook is None:
            raise SimError(404, "Not Found")
        return hook

    def update(self, full_name: str, hook_id: int, body: dict[str, Any]) -> SimHook:
        """Apply a `PATCH /repos/{o}/{r}/hooks/{id}` body (config, events, active)."""
        with self.state.lock:
            hook = self.get(full_name, hook_id)
            config = body.get("config")
            if isinstance(config, dict):
                hook.url = str(config.get("url", hook.url))
                hook.content_type = str(config.get("content_type", hook.content_type))
                hook.insecure_ssl = str(config.get("insecure_ssl", hook.insecure_ssl))
                if "secret" in config:
                    hook.secret = config["secret"] or None
            if "events" in body:
                hook.events = list(body["events"])
            if "active" in body:
                hook.active = bool(body["active"])
            hook.updated_at = self.state.clock()
            return hook

    def delete(self, full_name: str, hook_id: int) -> None:
        """Delete a hook."""
        with self.state.lock:
            self.get(full_name, hook_id)
            del self.state.repo(full_name).hooks[hook_id]

    def of_repo(self, full_name: str) -> list[SimHook]:
        """A repository's hooks, oldest first."""
        with self.state.lock:
            return sorted(self.state.repo(full_name).hooks.values(), key=lambda h: h.id)
