"""`syncd check --online` and `syncd webhooks install` for an Asana source.

Installing a webhook is interactive on Asana's side: `POST /webhooks` makes Asana POST a handshake
(`X-Hook-Secret`) to the target and create the webhook only if the target echoes it at once. So the
daemon (`syncd run`, web role) must already be running and reachable at the public URL, and it must
store the secret before answering: it signs every later delivery. The target carries a one-time nonce
(`&install=`) so the daemon accepts only the handshake of the webhook this install creates, and keeps its
secret pending until the create's answer (gid, resource, target, secret) confirms it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial

from adapters.asana.client import AsanaClient
from adapters.asana.config import AsanaSourceConfig
from adapters.asana.push import AsanaPusher
from adapters.asana.webhook import NONCE_PARAM, RESOURCE_PARAM
from syncd.core.errors import NotFound, Permanent, TrackerError
from syncd.ports import CreatedWebhook, OnlineCheck, WebhookAction, WebhookHandshakes

WEBHOOK_FIELDS = "active,resource,target"


def webhook_target(public_url: str, source: str, project: str) -> str:
    """Where Asana delivers a project's events: `<public>/webhooks/<source>?resource=<project gid>`; a webhook
    created by `syncd webhooks install` adds `&install=<nonce>`, the one-time nonce of its handshake."""
    return f"{public_url.rstrip('/')}/webhooks/{source}?{RESOURCE_PARAM}={project}"


def delivers_to(target: str, base: str) -> bool:
    """Whether a webhook's `target` is `base` (a `webhook_target`), with or without an install nonce."""
    return target == base or target.startswith(f"{base}&{NONCE_PARAM}=")


class AsanaOnline:
    """Online checks and webhook installation for one source."""

    def __init__(
        self, client: AsanaClient, config: AsanaSourceConfig, projects: Callable[[], Sequence[str]], pusher: AsanaPusher
    ) -> None:
        self._client = client
        self._config = config
        self._projects = projects
        self._pusher = pusher

    def check(self, public_url: str | None) -> list[OnlineCheck]:
        """Token, workspace, projects, progress field, goals, webhooks and budget, one line each."""
        lines = [self._check_token()]
        if not lines[0].ok:
            return lines
        lines.extend(self._check_projects())
        if self._config.progress_field:
            lines.append(
                self._attempt("progress field", self._describe_field, "fix progress_field or the field in Asana")
            )
        for kr, goal in self._config.goals.items():
            lines.append(
                self._attempt(f"goal of {kr}", partial(self._describe_goal, goal), "fix the goal gid under goals")
            )
        lines.extend(self._check_webhooks(public_url))
        budget = self._client.budget()
        lines.append(
            self._line(
                "rate limit", True, f"{budget.remaining} of {budget.limit} requests/min left (plan {self._config.plan})"
            )
        )
        return lines

    def install(
        self, public_url: str, *, dry_run: bool, handshakes: WebhookHandshakes | None = None
    ) -> list[WebhookAction]:
        """One webhook per project delivering to us; an existing active one whose secret the daemon holds
        confirmed is kept. Creating needs `handshakes`, which binds each creation's handshake to this install."""
        if not dry_run and handshakes is None:
            raise Permanent(
                f"asana webhooks of source {self._config.name!r} are created through `syncd webhooks install`, "
                "which binds Asana's handshake to the install"
            )
        return [self._install_one(public_url, project, dry_run, handshakes) for project in self._projects()]

    def _install_one(
        self, public_url: str, project: str, dry_run: bool, handshakes: WebhookHandshakes | None
    ) -> WebhookAction:
        base = webhook_target(public_url, self._config.name, project)
        hooks = self._client.webhooks(self._config.workspace, project, WEBHOOK_FIELDS)
        ours = [h for h in hooks if delivers_to(str(h.get("target") or ""), base)]
        active = [h for h in ours if h.get("active", True)]
        kept = handshakes.confirmed(project) if handshakes is not None else None
        current = next((h for h in active if dry_run or str(h.get("gid")) == kept), None)
        if current is not None:
            return WebhookAction(
                self._config.name, project, "unchanged", f"webhook {current['gid']} already delivers to {base}"
            )
        inactive = [h for h in ours if h not in active]
        stale = f" (webhook {inactive[0]['gid']} to the same target is inactive and is left alone)" if inactive else ""
        if dry_run or handshakes is None:
            detail = f"would create a webhook delivering to {base}{stale}; syncd must be running and reachable there to answer Asana's handshake"
            return WebhookAction(self._config.name, project, "create", detail)
        created = self._create(public_url, project, base, handshakes)
        replaced = [str(h["gid"]) for h in active]
        for gid in replaced:
            self._delete(gid)
        if replaced:
            detail = (
                f"created webhook {created.gid} delivering to {base} and deleted webhook {', '.join(replaced)}, "
                f"whose handshake secret this daemon had not confirmed; the daemon answered the handshake{stale}"
            )
            return WebhookAction(self._config.name, project, "update", detail)
        detail = f"created webhook {created.gid} delivering to {base}; the daemon answered the handshake{stale}"
        return WebhookAction(self._config.name, project, "create", detail)

    def _create(self, public_url: str, project: str, base: str, handshakes: WebhookHandshakes) -> CreatedWebhook:
        """Create one webhook whose target carries a fresh install nonce, then have its handshake confirmed."""
        target = f"{base}&{NONCE_PARAM}={handshakes.expect(project)}"
        try:
            data, secret = self._client.create_webhook(project, target, WEBHOOK_FIELDS)
        except Permanent as error:
            handshakes.confirm(project, None)
            raise Permanent(
                f"asana could not create the webhook of project {project} delivering to {base}: {error}. Asana "
                f"handshakes with the target before creating a webhook, so `syncd run` must be running and reachable "
                f"from Asana at {public_url} (check server.public_url, TLS and firewalls), then run `syncd webhooks install` again",
                status=error.status,
            ) from error
        except BaseException:
            handshakes.confirm(project, None)
            raise
        created = CreatedWebhook(
            gid=str(data.get("gid") or ""),
            resource=str((data.get("resource") or {}).get("gid") or ""),
            target=str(data.get("target") or ""),
            secret=secret,
        )
        if not handshakes.confirm(project, created):
            self._delete(created.gid)
            raise Permanent(
                f"asana created webhook {created.gid or '(no gid)'} for project {project}, but its handshake did not "
                f"reach the daemon at {base} with this install's nonce (or the answer named another resource or "
                "target); the webhook was deleted and no secret kept. Check that server.public_url reaches this "
                "store's daemon, then run `syncd webhooks install` again"
            )
        return created

    def _delete(self, gid: str) -> None:
        """Delete one of our webhooks (already gone is fine)."""
        if not gid:
            return
        with contextlib.suppress(NotFound):
            self._client.delete_webhook(gid)

    def _check_token(self) -> OnlineCheck:
        try:
            me = self._client.me()
        except TrackerError as error:
            return self._line(
                "token", False, str(error), "set the source's token to a valid Asana personal access or OAuth token"
            )
        workspaces = {str(w.get("gid")) for w in me.get("workspaces") or []}
        if self._config.workspace not in workspaces:
            detail = f"the token's user {me.get('name')!r} is not in workspace {self._config.workspace}"
            return self._line("workspace", False, detail, "fix `workspace` or use a token of a member of it")
        return self._line(
            "token", True, f"authenticated as {me.get('name')!r}, member of workspace {self._config.workspace}"
        )

    def _check_projects(self) -> list[OnlineCheck]:
        lines = []
        try:
            projects = list(self._projects())
        except TrackerError as error:
            return [self._line("team", False, str(error), "fix `team` or the token's access to it")]
        for project in projects:
            lines.append(
                self._attempt(
                    f"project {project}",
                    partial(self._describe_project, project),
                    "fix `projects` or share the project with the token's user",
                )
            )
        return lines

    def _describe_project(self, project: str) -> str:
        record = self._client.project(project, "name,workspace,archived")
        workspace = str((record.get("workspace") or {}).get("gid"))
        if workspace != self._config.workspace:
            raise Permanent(f"project {record.get('name')!r} is in workspace {workspace}, not {self._config.workspace}")
        return f"{record.get('name')!r} is readable" + (" (archived)" if record.get("archived") else "")

    def _describe_field(self) -> str:
        target = self._pusher.progress_field()
        return f"{target.name!r} ({target.gid}) is a {target.kind} field; progress is written there"

    def _describe_goal(self, goal: str) -> str:
        record = self._client.goal(goal, "name,metric,metric.unit")
        if not record.get("metric"):
            raise Permanent(f"goal {record.get('name')!r} has no metric; add a number metric to it in Asana")
        return f"{record.get('name')!r} has a {record['metric'].get('unit', 'none')} metric"

    def _check_webhooks(self, public_url: str | None) -> list[OnlineCheck]:
        if not public_url:
            return [self._line("webhooks", True, "not checked: server.public_url is unset, so syncd relies on polling")]
        lines = []
        for project in self._projects():
            target = webhook_target(public_url, self._config.name, project)
            lines.append(
                self._attempt(
                    f"webhook of {project}",
                    partial(self._describe_hook, project, target),
                    "run `syncd webhooks install`",
                )
            )
        return lines

    def _describe_hook(self, project: str, target: str) -> str:
        hooks = self._client.webhooks(self._config.workspace, project, WEBHOOK_FIELDS)
        ours = [h for h in hooks if delivers_to(str(h.get("target") or ""), target)]
        if not ours:
            raise Permanent(f"no webhook delivers project {project} to {target}")
        if not any(h.get("active", True) for h in ours):
            raise Permanent(f"the webhook to {target} is inactive (Asana gave up delivering)")
        return f"webhook {ours[0]['gid']} delivers to {target}"

    def _attempt(self, check: str, describe: Callable[[], str], fix: str) -> OnlineCheck:
        try:
            return self._line(check, True, describe())
        except TrackerError as error:
            return self._line(check, False, str(error), fix)

    def _line(self, check: str, ok: bool, detail: str, fix: str = "") -> OnlineCheck:
        return OnlineCheck(self._config.name, check, ok, detail, "" if ok else fix)
