"""Which model governs a key path of the raw YAML data: for key suggestions and for finding secret fields."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

from syncd.config.positions import KeyPath, value_at
from syncd.config.types import EnvironmentAllowed


def model_at(root: type[BaseModel], data: Any, path: KeyPath) -> type[BaseModel] | None:
    """The model class that validates the mapping found at `path` in `data` (None if it is not a model)."""
    annotation: Any = root
    for segment in path:
        annotation = _child(annotation, data, segment)
        data = value_at(data, (segment,))
        if annotation is None:
            return None
    return _as_model(annotation, data)


def secret_paths(root: type[BaseModel], data: Any) -> Iterator[KeyPath]:
    """Every key path in `data` whose field is a `SecretStr` (token, webhook_secret, private_key, ...)."""
    yield from _secrets(root, data, (), urls=False)


def environment_paths(root: type[BaseModel], data: Any) -> Iterator[KeyPath]:
    """Every key path in `data` that may be a `${NAME}` reference: secrets, and URLs marked `EnvironmentAllowed`."""
    yield from _secrets(root, data, (), urls=True)


def known_kinds(root: type[BaseModel], list_field: str) -> list[str]:
    """The `kind` tags a discriminated list field accepts, e.g. `["asana", "github"]` for `sources`."""
    item = _child(root, {}, list_field)
    item = _child(item, [], 0)
    return sorted(tag for member in _members(item) for tag in _kind_tags(member))


def _secrets(annotation: Any, data: Any, path: KeyPath, *, urls: bool) -> Iterator[KeyPath]:
    if SecretStr in _members(annotation) or (urls and _allows_environment(annotation)):
        yield path
        return
    children: list[str | int] = []
    if isinstance(data, dict):
        children = [key for key in data if isinstance(key, str)]
    elif isinstance(data, list):
        children = list(range(len(data)))
    for segment in children:
        child = _child(annotation, data, segment)
        if child is not None:
            yield from _secrets(child, value_at(data, (segment,)), (*path, segment), urls=urls)


def _child(annotation: Any, data: Any, segment: str | int) -> Any:
    """The annotation of `segment` inside a value of `annotation` (the value is `data`)."""
    model = _as_model(annotation, data)
    if model is not None:
        field = model.model_fields.get(segment) if isinstance(segment, str) else None
        if field is None:
            return None
        # pydantic moves a field's own `Annotated[...]` metadata onto the FieldInfo; put it back for the walkers.
        return Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    for member in _members(annotation):
        origin, args = get_origin(member), get_args(member)
        if origin is list and isinstance(segment, int):
            return args[0]
        if origin is dict and isinstance(segment, str):
            return args[1]
    return None


def _as_model(annotation: Any, data: Any) -> type[BaseModel] | None:
    """The model among `annotation`'s members; a union on `kind` picks the member whose tag `data` names."""
    models = [member for member in _members(annotation) if isinstance(member, type) and issubclass(member, BaseModel)]
    kind = data.get("kind") if isinstance(data, dict) else None
    tagged = [model for model in models if kind in _kind_tags(model)]
    if tagged:
        return tagged[0]
    return models[0] if len(models) == 1 else None


def _allows_environment(annotation: Any) -> bool:
    """Whether `annotation` (or a member of its union) carries the `EnvironmentAllowed` marker."""
    if get_origin(annotation) is Annotated:
        _, *metadata = get_args(annotation)
        return any(isinstance(item, EnvironmentAllowed) for item in metadata) or _allows_environment(
            get_args(annotation)[0]
        )
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_allows_environment(arg) for arg in get_args(annotation))
    return False


def _members(annotation: Any) -> list[Any]:
    """`A | B | None` -> [A, B, NoneType]; `Annotated[X, ...]` -> X's members; anything else -> [it]."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def _kind_tags(model: type[BaseModel]) -> list[str]:
    field = model.model_fields.get("kind")
    if field is None or get_origin(field.annotation) is not Literal:
        return []
    return [str(tag) for tag in get_args(field.annotation)]
