"""`${ENV_VAR}` references: allowed in secrets and URL keys only, and the rule that secrets are given only that way.

Elsewhere a reference would copy an environment value into titles, comments, the API and error messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.config.errors import ConfigProblem
from syncd.config.positions import KeyPath, LocatedDocument, format_path, value_at

#: `${NAME}` is replaced by the variable's value; `$${NAME}` is written as a literal `${NAME}`.
_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WHOLE_REFERENCE = re.compile(r"^\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*$")
#: Tokens and secrets shorter than this are refused: no tracker issues one, and a guess would find it.
MIN_SECRET_LENGTH = 16
#: Said when a reference is written where it may not be (the keys are marked in the models).
_WHERE_ALLOWED = (
    "only secrets (tokens, webhook secrets, keys) and URLs (store.url, server.public_url, base_url, graphql_url) "
    "may be ${NAME} references: write the value itself (or $${NAME} for the literal text)"
)


@dataclass
class Substitution:
    """The data with references replaced, the variables used at each path (name -> value), and problems."""

    data: Any
    secrets: frozenset[KeyPath] = frozenset()
    allowed: frozenset[KeyPath] | None = None
    from_environment: dict[KeyPath, dict[str, str]] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)


def substitute_environment(
    document: LocatedDocument,
    environ: Mapping[str, str],
    secrets: Iterable[KeyPath] = (),
    allowed: Iterable[KeyPath] | None = None,
) -> Substitution:
    """Replace every `${NAME}` in string values at `allowed` paths (default: everywhere).

    A reference anywhere else is a problem and stays unresolved (its value must not reach a title, a comment or
    an error); so is a missing variable, or an empty one for a secret.
    """
    result = Substitution(
        data=None, secrets=frozenset(secrets), allowed=None if allowed is None else frozenset(allowed)
    )
    result.data = _substitute(document, environ, document.data, (), result)
    return result


def literal_secret_problems(document: LocatedDocument, secrets: Iterable[KeyPath]) -> list[ConfigProblem]:
    """A secret field written as a literal (not a single `${NAME}`) is a problem; the value is never shown."""
    problems = []
    for path in secrets:
        value = value_at(document.data, path)
        if value is None or (isinstance(value, str) and _WHOLE_REFERENCE.match(value)):
            continue
        message = (
            "a secret must not be written in the config file; put it in an environment variable "
            f"and write ${{{suggested_variable(path, document.data)}}} here"
        )
        problems.append(_problem_at(document, path, message))
    return problems


def short_secret_problems(
    document: LocatedDocument, substitution: Substitution, secrets: Iterable[KeyPath]
) -> list[ConfigProblem]:
    """A resolved secret shorter than `MIN_SECRET_LENGTH` is a problem naming its key and variable, never its value.

    A toy secret opens the API to a guess, and as a redaction pattern it would rewrite every log line.
    """
    problems = []
    for path in secrets:
        value, names = value_at(substitution.data, path), substitution.from_environment.get(path)
        if names is None or not isinstance(value, str) or not value or len(value) >= MIN_SECRET_LENGTH:
            continue  # a literal is refused as such; an unset or empty variable is reported already
        message = (
            f"this secret (from {', '.join(f'${{{name}}}' for name in names)}) is shorter than "
            f"{MIN_SECRET_LENGTH} characters, too short to be real; use the credential the tracker issued, "
            "or a random one (openssl rand -hex 32)"
        )
        problems.append(_problem_at(document, path, message))
    return problems


def suggested_variable(path: KeyPath, data: Any) -> str:
    """A variable name for a secret, e.g. `ACME_GITHUB_TOKEN` for `sources[0].token` of source acme-github."""
    owner = value_at(data, path[:2]) if path[:1] == ("sources",) else None
    prefix = owner.get("name") if isinstance(owner, dict) else None
    parts = [str(prefix)] if isinstance(prefix, str) else []
    parts += [part for part in path if isinstance(part, str) and part != "sources"]
    return re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").upper()


def _substitute(
    document: LocatedDocument, environ: Mapping[str, str], value: Any, path: KeyPath, out: Substitution
) -> Any:
    if isinstance(value, dict):
        return {key: _substitute(document, environ, item, (*path, key), out) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(document, environ, item, (*path, index), out) for index, item in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    return _REFERENCE.sub(lambda match: _replacement(document, environ, match, path, out), value)


def _replacement(
    document: LocatedDocument, environ: Mapping[str, str], match: re.Match[str], path: KeyPath, out: Substitution
) -> str:
    escaped, name = match.group(1), match.group(2)
    if escaped:
        return "${" + name + "}"
    if _NAME.match(name) and out.allowed is not None and path not in out.allowed:
        _add_problem(document, path, out, f"${{{name}}} is not allowed here; {_WHERE_ALLOWED}")
        return match.group(0)
    out.from_environment.setdefault(path, {})[name] = environ.get(name, "")
    message = _reference_problem(name, environ, secret=path in out.secrets)
    if message is not None:
        _add_problem(document, path, out, message)
    return environ.get(name, "")


def _add_problem(document: LocatedDocument, path: KeyPath, out: Substitution, message: str) -> None:
    out.problems.append(_problem_at(document, path, message))


def _problem_at(document: LocatedDocument, path: KeyPath, message: str) -> ConfigProblem:
    position = document.position_of(path)
    return ConfigProblem(position.file, position.line, format_path(path), message)


def _reference_problem(name: str, environ: Mapping[str, str], *, secret: bool) -> str | None:
    """What is wrong with `${name}` (never its value), or None."""
    if not _NAME.match(name):
        return f"${{{name}}} is not a valid environment variable reference; write ${{NAME}} (letters, digits, _)"
    if name not in environ:
        return f"environment variable {name} is not set; export {name} before starting syncd"
    if secret and not environ[name]:
        return f"environment variable {name} is empty; set it to the secret before starting syncd"
    return None
