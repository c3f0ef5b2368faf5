"""Load the admin config: YAML with positions, includes, `${ENV}` references, validation, cross-references.

Every failure is a `ConfigError` listing all problems found, each with file, line and key path; a raw
pydantic or YAML error never escapes, and no secret value ever appears in a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, SecretStr

from syncd.config.environment import literal_secret_problems, short_secret_problems, substitute_environment
from syncd.config.errors import ConfigError, ConfigProblem
from syncd.config.fields import environment_paths, secret_paths
from syncd.config.includes import read_config_file
from syncd.config.models import SyncdConfig
from syncd.config.positions import LocatedDocument
from syncd.config.references import reference_problems
from syncd.config.validation import validate_document

CONFIG_ENV = "SYNCD_CONFIG"
DEFAULT_CONFIG = Path("syncd.yaml")


def default_config_path(option: str | Path | None) -> Path:
    """The config file in force: `--config`, else `$SYNCD_CONFIG`, else `./syncd.yaml`."""
    if option:
        return Path(option)
    from_environment = os.environ.get(CONFIG_ENV)
    return Path(from_environment) if from_environment else DEFAULT_CONFIG


def load_config(path: Path, environ: Mapping[str, str] | None = None, *, model: type[SyncdConfig]) -> SyncdConfig:
    """Read, resolve and validate the config at `path` as `model` (see `config_model`: it knows the trackers);
    raise `ConfigError` with every problem found."""
    document = read_config_file(path)
    if not isinstance(document.data, dict):
        shape = "empty" if document.data is None else "not a mapping of keys"
        message = f"the config is {shape}; it needs at least `cycles:` (see config/example.yaml)"
        raise ConfigError([ConfigProblem(document.file, 1 if document.data is not None else None, "", message)])
    return _resolve(document, os.environ if environ is None else environ, model)


def config_secrets(config: BaseModel) -> list[str]:
    """Every secret value in a validated config (tokens, webhook secrets, keys), for log redaction."""
    found: list[str] = []
    _collect_secrets(config, found)
    return [secret for secret in found if secret]


def _resolve(document: LocatedDocument, environ: Mapping[str, str], model: type[SyncdConfig]) -> SyncdConfig:
    secrets = list(secret_paths(model, document.data))
    problems = literal_secret_problems(document, secrets)
    allowed = environment_paths(model, document.data)
    substitution = substitute_environment(document, environ, secrets, allowed)
    problems += substitution.problems + short_secret_problems(document, substitution, secrets)
    resolved = LocatedDocument(document.file, substitution.data, document.positions)
    config, invalid = validate_document(model, resolved, secrets, substitution.from_environment)
    # One problem per key: a reference refused or unset says so, not also that its stand-in is not a duration.
    explained = {problem.key for problem in substitution.problems}
    problems += [problem for problem in invalid if problem.key not in explained] + reference_problems(resolved)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def _collect_secrets(value: object, found: list[str]) -> None:
    if isinstance(value, SecretStr):
        found.append(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for item in value.__dict__.values():
            _collect_secrets(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_secrets(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_secrets(item, found)
