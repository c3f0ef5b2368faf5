"""The one list of trackers: the built-in descriptors, then those of plug-ins found by their entry points.

A tracker declares itself in its own package (`adapters/<tracker>/descriptor.py`, see `TrackerDescriptor`).
A tracker installed as a separate package registers its descriptor under the entry-point group
`syncd.trackers`, named by its kind (README: "Writing a tracker plug-in"). The registry sits above the
config layer: the config layer never names a tracker, and gets the source models from here
(`config_model`, `load_config`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from adapters.asana.descriptor import ASANA
from adapters.descriptor import TrackerDescriptor
from adapters.github.descriptor import GITHUB
from adapters.gitlab.descriptor import GITLAB
from adapters.jira.descriptor import JIRA
from adapters.linear.descriptor import LINEAR
from adapters.okr_store import OkrStoreDescriptor
from adapters.quantive.descriptor import QUANTIVE
from adapters.standard_webhooks.descriptor import STANDARD_WEBHOOKS
from adapters.workboard.descriptor import WORKBOARD
from syncd.config import loader
from syncd.config.errors import ConfigError, ConfigProblem
from syncd.config.models import SyncdConfig
from syncd.config.models import config_model as config_model_of
from syncd.config.okr_store import OkrStoreConfig
from syncd.config.source import SourceConfig
from syncd.ports import OkrStore, RequestObserver, SourceAdapter, ignore_request

#: The entry-point group a tracker package registers its `TrackerDescriptor` under.
ENTRY_POINT_GROUP = "syncd.trackers"
#: The trackers that ship with syncd, in the order the schema, the reference and the messages list them.
BUILT_IN: tuple[TrackerDescriptor, ...] = (GITHUB, ASANA, JIRA, GITLAB, LINEAR)
#: The OKR stores that ship with syncd (`okr_stores:`), in the order the schema and the messages list them.
BUILT_IN_STORES: tuple[OkrStoreDescriptor, ...] = (QUANTIVE, WORKBOARD, STANDARD_WEBHOOKS)


class TrackerPluginError(ConfigError):
    """A tracker plug-in that cannot be used (it does not load, or is no descriptor); names the plug-in."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__([ConfigProblem(f"tracker plug-in {plugin!r}", None, "", message)])


class TrackerRegistry:
    """Every known tracker by kind, in a stable order (built-in first, then plug-ins by name)."""

    def __init__(self, descriptors: Iterable[TrackerDescriptor]) -> None:
        self.descriptors: tuple[TrackerDescriptor, ...] = tuple(descriptors)
        self._by_kind = {descriptor.kind: descriptor for descriptor in self.descriptors}
        if len(self._by_kind) != len(self.descriptors):
            kinds = [descriptor.kind for descriptor in self.descriptors]
            twice = sorted({kind for kind in kinds if kinds.count(kind) > 1})
            raise TrackerPluginError(twice[0], f"more than one tracker is registered as kind {twice[0]!r}")

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every registered kind, in order."""
        return tuple(self._by_kind)

    def get(self, kind: str) -> TrackerDescriptor | None:
        """The descriptor of `kind`, or None for a kind nobody registered."""
        return self._by_kind.get(kind)

    def descriptor(self, kind: str) -> TrackerDescriptor:
        """The descriptor of `kind`; KeyError naming the registered kinds when there is none."""
        found = self._by_kind.get(kind)
        if found is None:
            raise KeyError(f"no tracker of kind {kind!r} is registered (kinds: {', '.join(self.kinds)})")
        return found

    def config_model(self) -> type[SyncdConfig]:
        """The `SyncdConfig` that accepts a source of every registered tracker and every built-in OKR store."""
        return config_model_of(
            [descriptor.source_model for descriptor in self.descriptors],
            [store.config_model for store in BUILT_IN_STORES],
        )


def plugin_descriptors(
    found: Callable[[], Sequence[EntryPoint]] = lambda: tuple(entry_points(group=ENTRY_POINT_GROUP)),
) -> list[TrackerDescriptor]:
    """The descriptors the installed packages register under `syncd.trackers`, by entry-point name.

    Raises `TrackerPluginError` naming the plug-in when one cannot be imported, is no `TrackerDescriptor`,
    or is registered under a name other than its kind."""
    descriptors = []
    for point in sorted(found(), key=lambda point: point.name):
        try:
            loaded = point.load()
        except Exception as error:  # any failure of someone else's import is reported, naming the plug-in
            raise TrackerPluginError(
                point.name,
                f"cannot be loaded from {point.value}: {type(error).__name__}: {error}; "
                f"fix or uninstall the package that registers it under the entry-point group {ENTRY_POINT_GROUP}",
            ) from error
        if not isinstance(loaded, TrackerDescriptor):
            raise TrackerPluginError(
                point.name, f"{point.value} is a {type(loaded).__name__}, not an adapters.descriptor.TrackerDescriptor"
            )
        if loaded.kind != point.name:
            raise TrackerPluginError(
                point.name, f"its descriptor says kind {loaded.kind!r}; register it under its kind, {loaded.kind!r}"
            )
        descriptors.append(loaded)
    return descriptors


@functools.cache
def registry() -> TrackerRegistry:
    """The trackers of this process: built-in, then plug-ins (loaded on first use, not on import)."""
    return TrackerRegistry([*BUILT_IN, *plugin_descriptors()])


def descriptor(kind: str) -> TrackerDescriptor:
    """The registered tracker of `kind` (KeyError when none is)."""
    return registry().descriptor(kind)


def config_model() -> type[SyncdConfig]:
    """The `SyncdConfig` that accepts a source of every registered tracker."""
    return registry().config_model()


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> SyncdConfig:
    """Read, resolve and validate the config at `path` with every registered tracker (see `loader.load_config`)."""
    return loader.load_config(path, environ, model=config_model())


def build_adapter(config: SourceConfig, observer: RequestObserver = ignore_request) -> SourceAdapter:
    """Build the adapter for one source config (imports that tracker's SDK only now); `observer` is told of
    every request it makes."""
    return descriptor(config.kind).build_adapter(config, observer)


def store_descriptor(kind: str) -> OkrStoreDescriptor:
    """The built-in OKR store of `kind` (KeyError naming the kinds when there is none)."""
    for store in BUILT_IN_STORES:
        if store.kind == kind:
            return store
    raise KeyError(f"no OKR store of kind {kind!r} (kinds: {', '.join(store.kind for store in BUILT_IN_STORES)})")


def build_store(config: OkrStoreConfig) -> OkrStore:
    """Build the OKR store for one `okr_stores[]` item (no I/O until it is used)."""
    return store_descriptor(config.kind).build_store(config)
