"""The pieces of one simulated GitHub that routes and the Python API share, and the base of the route groups."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from starlette.routing import Route

from syncd.simulators.github.apps import Credentials
from syncd.simulators.github.comments import Comments
from syncd.simulators.github.hooks import Hooks
from syncd.simulators.github.http import Call, Pipeline
from syncd.simulators.github.projects import Projects
from syncd.simulators.github.state import GitHubState, SimError
from syncd.simulators.github.webhooks import WebhookSender


@dataclass
class SimParts:
    """State, its operations, credentials, the webhook sender and the request pipeline."""

    state: GitHubState
    comments: Comments
    hooks: Hooks
    projects: Projects
    credentials: Credentials
    sender: WebhookSender
    pipeline: Pipeline

    def repo_name(self, call: Call) -> str:
        """`owner/name` from the path, after checking the caller may see that repository (404 otherwise)."""
        full_name = f"{call.params['owner']}/{call.params['repo']}"
        repo = self.state.repo(full_name)
        if call.grant is not None and not self.credentials.may_access(call.grant, repo.full_name):
            raise SimError(404, "Not Found")
        return repo.full_name

    def actor(self, call: Call) -> str:
        """The login a request acts as."""
        return call.grant.login if call.grant is not None else "octocat"


class RouteGroup(ABC):
    """Handlers bound to one simulator's parts."""

    def __init__(self, parts: SimParts) -> None:
        self.parts = parts
        self.state = parts.state

    @abstractmethod
    def routes(self) -> list[Route]:
        """Starlette routes for these endpoints (each handler wrapped by `parts.pipeline.endpoint`)."""
