"""What a tracker declares about itself, once, in its own package: `TrackerDescriptor`.

Each tracker's `descriptor.py` builds one; `adapters.registry` lists the built-in ones and loads those of
trackers installed as separate packages (entry-point group `syncd.trackers`). Nothing outside a tracker's
folder names it: the config layer gets its source model, the runtime its adapter factory and comment
renderer, `syncd explain` its task links, the webhook path and `check --online` how its deliveries are
verified, and tests and the sandbox its simulator, all from here.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.config.source import SourceConfig
from syncd.core.model import TaskSnapshot
from syncd.core.render import CommentRenderer
from syncd.ports import RequestObserver, SourceAdapter

#: Builds the adapter of one source (its own config model, checked by the factory); imports the SDK only now.
AdapterFactory = Callable[[SourceConfig, RequestObserver], SourceAdapter]


@dataclass(frozen=True)
class TaskLinks:
    """The task links `syncd explain TASK` reads for this tracker, and the form of its `SOURCE:REF`."""

    #: Searched in a link's path, in order; the first that matches gives the task's external id.
    url_paths: tuple[re.Pattern[str], ...]
    #: The mirror's external id of the task a matching path names (`acme/web#12`, `1200000000000001`).
    external_id: Callable[[re.Match[str]], str]
    #: A REF of `SOURCE:REF` (or a bare argument) that names a task of this tracker (the whole text).
    ref: re.Pattern[str]
    #: REF's form and an example, as the refusal of an unreadable argument shows them.
    ref_form: str
    ref_example: str
    #: The tracker's own task links in words, e.g. "a GitHub issue or pull request (https://github.com/...)".
    described: str
    #: The simulator's task page the sandbox prints, e.g. "http://127.0.0.1:PORT/_sim/tasks/GID".
    simulator_page: str

    def external_id_in(self, path: str) -> str | None:
        """The external id of the task a link with this `path` names, or None when it names none of ours."""
        for pattern in self.url_paths:
            if found := pattern.search(path):
                return self.external_id(found)
        return None


@dataclass(frozen=True)
class WebhookAuth:
    """How this tracker's webhook deliveries prove they come from it, and what `check --online` advises."""

    #: The tracker hands a secret over in a handshake when a webhook is created (Asana): the store keeps it,
    #: and `syncd webhooks install` opens a window for the handshake first.
    handshake: bool = False
    #: Else the source key of the shared secret the tracker signs deliveries with (GitHub: `webhook_secret`).
    signing_field: str | None = None
    #: More source keys any one of which, set, lets deliveries be verified as well (GitLab's
    #: `webhook_signing_token` beside `webhook_secret`): see `signing_fields`.
    other_signing_fields: tuple[str, ...] = ()
    #: The request header that carries the signature (documentation and messages).
    signature_header: str = ""
    #: What `check --online` tells an admin whose source leaves every one of `signing_fields` unset.
    unsigned_fix: str = ""
    #: The status a delivery stored (or ignored) is answered with. 202 says "accepted, applied later"; a
    #: tracker that counts only some statuses as delivered (Asana: 200 and 204) and retries the rest, until it
    #: disables the webhook, is answered one of those.
    accepted_status: int = 202

    @property
    def signing_fields(self) -> tuple[str, ...]:
        """Every source key that, set, lets deliveries be verified (`signing_field` first); any one is enough."""
        first = () if self.signing_field is None else (self.signing_field,)
        return first + tuple(name for name in self.other_signing_fields if name not in first)


#: The adapter's own reading of one task record as the tracker's API serves it, for the source it belongs to.
TaskReader = Callable[[SourceConfig, Mapping[str, Any]], TaskSnapshot]


@dataclass(frozen=True)
class SandboxPart:
    """How `syncd sandbox` takes this tracker in: its simulator side, and how its task records are read."""

    #: "module:callable" of its `syncd.simulators.sandbox.SandboxTracker` factory (in its simulator package);
    #: imported only by `load_tracker`, so the adapter never imports a simulator.
    tracker: str
    #: The adapter's normalizer over one record of `SandboxTracker.task_records`: the sandbox's ground truth
    #: reads the tracker's state as syncd does, not through a copy of its state rules.
    read_task: TaskReader

    def load_tracker(self) -> Callable[[], Any]:
        """The sandbox tracker factory named by `tracker` (ValueError when malformed)."""
        return _load(self.tracker, "a sandbox part names no tracker factory (module:callable)")


@dataclass(frozen=True)
class TrackerDescriptor:
    """One tracker: its `kind`, config model, adapter, comment markup, task links, webhooks and simulator.

    Its `check --online` probes are the adapter's own `check_online` (each with its advice); the webhook
    secret check that follows reads `webhooks`."""

    #: The config's `kind:` (lowercase), also the entry-point name of a plug-in.
    kind: str
    #: The tracker's name for people ("GitHub").
    title: str
    #: The pydantic model of one `sources[]` item: a `SourceConfig` subclass with `kind: Literal[<kind>]`.
    source_model: type[SourceConfig]
    build_adapter: AdapterFactory
    #: How its per-task progress records are written (Markdown, Asana rich text, Jira ADF, ...). How a record is
    #: found again after a lost id (a marker, an entity property, a client-chosen id) is the adapter's own
    #: business: see "A progress record per task" in `syncd.ports`.
    comment_renderer: CommentRenderer
    task_links: TaskLinks
    webhooks: WebhookAuth
    #: "module:callable" of its simulator factory (tests, the sandbox); imported only by `load_simulator`,
    #: so the adapter never imports a simulator.
    simulator: str = ""
    #: "module:callable" of its contract-suite driver (`syncd.simulators.contract.SimulatedTracker`): what
    #: puts the tracker through `tests/contract/`; imported only by `load_contract_simulator`.
    contract_simulator: str = ""
    #: Its part in `syncd sandbox` (None: the sandbox leaves the tracker out, and says so).
    sandbox: SandboxPart | None = None
    #: Source keys that say what a source follows, in the order `syncd check` shows them (`repos`, `org`).
    scope_keys: tuple[str, ...] = field(default=())
    #: What the tracker calls a task's container, as `syncd explain` names it ("repo", "project").
    container_word: str = "container"

    def load_simulator(self) -> Callable[..., Any]:
        """The simulator factory named by `simulator` (ValueError when the tracker names none)."""
        return _load(self.simulator, f"the {self.kind} tracker names no simulator (module:callable)")

    def load_contract_simulator(self) -> Callable[[], Any]:
        """The contract-suite driver factory named by `contract_simulator` (ValueError when there is none)."""
        return _load(self.contract_simulator, f"the {self.kind} tracker names no contract_simulator (module:callable)")


def _load(reference: str, missing: str) -> Callable[..., Any]:
    """The callable a "module:callable" reference names (imported now); ValueError `missing` when malformed."""
    module, _, name = reference.partition(":")
    if not module or not name:
        raise ValueError(missing)
    factory: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return factory
