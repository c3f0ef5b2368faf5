"""The admin's YAML file as pydantic models: the public contract of `syncd.yaml`.

Sources are a union discriminated on `kind`; each tracker owns its model, so the config layer never names
one: `config_model(source_models)` builds the `SyncdConfig` that accepts exactly the trackers it is given
(the registry above this layer, `adapters.registry`, gives it every registered tracker's). Cross-references (a KR's cycle, duplicate ids) are checked here so errors name the offending key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal, Self, Union

from pydantic import ConfigDict, Field, SecretStr, ValidationInfo, create_model, field_validator, model_validator

from syncd.config.okr_store import OkrStoreConfig
from syncd.config.source import SourceConfig, StrictModel
from syncd.config.types import Duration, EnvironmentHttpUrl, EnvironmentUrl

KR_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class StoreConfig(StrictModel):
    """Where the OKR store lives; `SYNCD_DATABASE_URL` overrides `url`."""

    url: EnvironmentUrl = Field(
        default="sqlite:///syncd.db", description="SQLAlchemy URL: sqlite:///FILE or postgresql://..."
    )
    pool_size: int = Field(default=5, ge=1, description="Connections per process (PostgreSQL).")


class ServerConfig(StrictModel):
    """The HTTP side of `syncd run`."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: EnvironmentHttpUrl | None = Field(
        default=None, description="URL trackers reach us at, for `webhooks install`."
    )
    max_body_bytes: int = Field(default=26_214_400, ge=1024, description="Webhook body limit (413 past it).")
    api_token: SecretStr | None = Field(default=None, description="Bearer token of /api/v1 (use ${ENV}).")
    viewer_token: SecretStr | None = Field(
        default=None, description="Token the dashboard's /login trades for a session cookie (use ${ENV})."
    )
    trusted_user_header: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="Header an authenticating proxy sets to the user (X-Forwarded-User); the dashboard refuses requests without it.",
    )
    public_badges: bool = Field(default=False, description="Serve /badge/<id>.svg of objectives and KRs without login.")


class CycleConfig(StrictModel):
    """A period; `end` is inclusive."""

    id: str = Field(pattern=KR_ID)
    start: date
    end: date
    title: str = ""

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if isinstance(start, date) and end < start:
            raise ValueError(f"the cycle ends ({end}) before it starts ({start}); swap or fix the dates")
        return end


class KeyResultConfig(StrictModel):
    """A measurable milestone of one objective."""

    id: str = Field(pattern=KR_ID, description="Unique across the config, e.g. ENG-1.2; labels use it.")
    title: str
    measure: Literal["tasks", "count", "metric"] = "tasks"
    weight: float = Field(default=1.0, gt=0, description="Weight in the objective's progress.")
    task_weight: Literal["one", "points"] | None = Field(
        default=None, description="What a task weighs: 1 each, or its points (defaults to progress.task_weight)."
    )
    default_points: float | None = Field(default=None, gt=0)
    in_progress_credit: float | None = Field(default=None, ge=0, le=1)
    start: float | None = Field(default=None, description="Metric KRs: the starting value.")
    target: float | None = Field(
        default=None, validate_default=True, description="Metric and count KRs: the value that means done."
    )
    unit: str = ""
    aggregate: Literal["checkins", "sum", "avg"] = Field(
        default="checkins", description="Metric KRs: current value from check-ins, or sum/avg of a task field."
    )
    field: str | None = Field(
        default=None, validate_default=True, description="Metric KRs with sum/avg: the task number field."
    )

    @field_validator("target")
    @classmethod
    def _target_fits_measure(cls, target: float | None, info: ValidationInfo) -> float | None:
        measure = info.data.get("measure")
        if measure == "metric":
            if target is None:
                raise ValueError("a metric key result needs a target (the value that means done)")
            start = info.data.get("start")
            start = 0.0 if start is None else start
            if target == start:
                raise ValueError(f"target equals start ({start:g}), so progress is undefined; change one of them")
        elif measure == "count" and (target is None or target <= 0):
            raise ValueError("a count key result needs a positive target (how many tasks mean done)")
        return target

    @field_validator("field")
    @classmethod
    def _aggregate_names_field(cls, field: str | None, info: ValidationInfo) -> str | None:
        aggregate = info.data.get("aggregate")
        if info.data.get("measure") == "metric" and aggregate in ("sum", "avg") and not field:
            raise ValueError(f"aggregate {aggregate} needs the task number field to {aggregate}; add field: NAME")
        return field


class ObjectiveConfig(StrictModel):
    """The qualitative 'what' of a cycle, with its key results."""

    id: str = Field(pattern=KR_ID)
    title: str
    cycle: str
    parent: str | None = Field(default=None, description="Id of the objective this one aligns to.")
    weight: float = Field(default=1.0, gt=0, description="Weight when a parent rolls up its children.")
    rollup: bool = Field(default=False, description="Include child objectives' progress in this one's.")
    owner: str = ""
    key_results: list[KeyResultConfig] = Field(default_factory=list)


class MatchRule(StrictModel):
    """An explicit mapping from a label (exact, case-insensitive) or a regex to KRs, optionally scoped."""

    label: str | None = None
    regex: str | None = None
    key_results: list[str] = Field(min_length=1)
    source: str | None = Field(default=None, description="Only tasks of this source.")
    container: str | None = Field(default=None, description="Only tasks of this repo (owner/name) or project gid.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str | None) -> str | None:
        if regex is not None:
            try:
                re.compile(regex)
            except re.error as error:
                raise ValueError(f"invalid regular expression: {error}") from None
        return regex

    @model_validator(mode="after")
    def _one_selector(self) -> Self:
        if (self.label is None) == (self.regex is None):
            raise ValueError("a matching rule needs exactly one of label or regex")
        return self


class MatchingConfig(StrictModel):
    """How labels and tags link tasks to KRs."""

    label_prefix: str = Field(default="kr:", min_length=1, description="`kr:` makes `kr:ENG-1.2` link to ENG-1.2.")
    points_prefix: str = Field(default="points:", min_length=1, description="`points:3` gives a task 3 points.")
    rules: list[MatchRule] = Field(default_factory=list)


class ProgressConfig(StrictModel):
    """Defaults of the progress formulas and status thresholds (DESIGN.md, progress semantics)."""

    task_weight: Literal["one", "points"] = "one"
    default_points: float = Field(default=1.0, gt=0)
    in_progress_credit: float = Field(default=0.0, ge=0, le=1)
    tolerance: float = Field(default=0.10, ge=0, le=1, description="Behind expected by at most this: on_track.")
    at_risk: float = Field(
        default=0.25, ge=0, le=1, validate_default=True, description="Behind by at most this: at_risk; else off_track."
    )

    @field_validator("at_risk")
    @classmethod
    def _not_below_tolerance(cls, at_risk: float, info: ValidationInfo) -> float:
        tolerance = info.data.get("tolerance")
        if isinstance(tolerance, int | float) and at_risk < tolerance:
            raise ValueError(f"at_risk ({at_risk:g}) must be at least tolerance ({tolerance:g})")
        return at_risk


class PushConfig(StrictModel):
    """What syncd writes back to the trackers."""

    comments: bool = True
    fields: bool = True
    goals: bool = True
    coalesce_window: Duration = Field(default=timedelta(seconds=2), description="Bursts within it make one write.")
    dry_run: bool = Field(default=False, description="Compute and record, but write nothing to trackers.")


def _document_include(schema: dict[str, Any]) -> None:
    """`include:` is read by the loader before validation; the schema lists it so editors accept it."""
    schema.setdefault("properties", {})["include"] = {
        "description": (
            "Files (relative to this one) that add cycles, objectives, sources and matching.rules; they must be "
            "inside the main config's directory unless include_outside is true."
        ),
        "items": {"type": "string"},
        "type": "array",
    }


class SyncdConfig(StrictModel):
    """The whole admin config."""

    # Each source is validated as its tracker's own subclass of `SourceConfig`: see `config_model`.

    model_config = ConfigDict(**StrictModel.model_config, json_schema_extra=_document_include)

    store: StoreConfig = Field(default_factory=StoreConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    cycles: list[CycleConfig] = Field(min_length=1)
    objectives: list[ObjectiveConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)
    okr_stores: list[OkrStoreConfig] = Field(
        default_factory=list,
        description="OKR tools syncd pushes each KR's progress into (Quantive, WorkBoard, webhooks).",
    )
    matching: MatchingConfig = Field(default_factory=MatchingConfig)
    progress: ProgressConfig = Field(default_factory=ProgressConfig)
    push: PushConfig = Field(default_factory=PushConfig)
    include_outside: bool = Field(
        default=False,
        description="Let include: read files outside this config's directory (checked after symlinks). Main file only.",
    )


def config_model(
    source_models: Sequence[type[SourceConfig]], store_models: Sequence[type[OkrStoreConfig]] = ()
) -> type[SyncdConfig]:
    """`SyncdConfig` whose `sources` accept exactly these trackers' models and whose `okr_stores` these stores'
    models, each told apart by their `kind`."""
    if not source_models:
        raise ValueError("no tracker is registered, so no source could be configured")
    return _config_model(tuple(source_models), tuple(store_models))


@functools.cache
def _config_model(
    source_models: tuple[type[SourceConfig], ...], store_models: tuple[type[OkrStoreConfig], ...]
) -> type[SyncdConfig]:
    """One class per set of trackers and stores: pydantic builds a validator per class, and configs compare by
    class."""
    members: Any = Union[source_models]  # noqa: UP007 - a union of the trackers known only at run time
    source: Any = Annotated[members, Field(discriminator="kind")]
    fields: dict[str, Any] = {"sources": (list[source], Field(default_factory=list))}
    if store_models:
        stores: Any = Union[store_models]  # noqa: UP007 - a union of the stores known only at run time
        store: Any = Annotated[stores, Field(discriminator="kind")]
        fields["okr_stores"] = (list[store], Field(default_factory=list, description=_STORES_DOC))
    return create_model("SyncdConfig", __base__=SyncdConfig, __module__=__name__, __doc__=SyncdConfig.__doc__, **fields)


_STORES_DOC = "OKR tools syncd pushes each KR's progress into (Quantive, WorkBoard, webhooks)."
