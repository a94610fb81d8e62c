"""Dotted config keys (`city.teams.floorball.attractiveness`): read, set, flatten and nest them.

A key walks dataclass fields and mapping entries alike, so the same helpers serve the composed
`SimConfig`, plain YAML mappings (scenario files, calibrated values) and the command line's
overrides. Checking a value against the schema is `sim.model.checks`'s job, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import Field, fields, is_dataclass
from typing import Any


class UnknownKey(KeyError):
    """A key that names nothing: `where` is the key up to its first unknown part, `options` the
    names allowed there, `entity` whether that part was looked up among named entities (a mapping)."""

    def __init__(self, key: str, where: str, options: list[str], entity: bool) -> None:
        super().__init__(key)
        self.key, self.where, self.options, self.entity = key, where, options, entity


def _child(obj: Any, part: str, key: str, where: str) -> Any:
    if isinstance(obj, Mapping):
        if part not in obj:
            raise UnknownKey(key, where, [str(k) for k in obj], entity=True)
        return obj[part]
    names = [f.name for f in fields(obj)] if is_dataclass(obj) else []
    if part not in names:
        raise UnknownKey(key, where, names, entity=False)
    return getattr(obj, part)


def get_key(obj: Any, key: str) -> Any:
    """The value at a dotted key; `UnknownKey` (a KeyError) if a part names nothing."""
    parts = key.split(".")
    for i, part in enumerate(parts):
        obj = _child(obj, part, key, ".".join(parts[: i + 1]))
    return obj


def set_key(obj: Any, key: str, value: Any) -> None:
    """Set the value at a dotted key in place; every part but the last must exist (`UnknownKey`)."""
    *path, last = key.split(".")
    holder = get_key(obj, ".".join(path)) if path else obj
    if isinstance(holder, MutableMapping):
        holder[last] = value
    else:
        _child(holder, last, key, key)  # the field must exist
        setattr(holder, last, value)


def field_of(obj: Any, key: str) -> tuple[Any, Field]:
    """(the dataclass holding the key's last part, the schema field it names); `UnknownKey` if the
    key does not end in a dataclass field (an entity, an entry of a mapping, a typo)."""
    *path, last = key.split(".")
    holder = get_key(obj, ".".join(path)) if path else obj
    by_name = {f.name: f for f in fields(holder)} if is_dataclass(holder) else {}
    if last not in by_name:
        raise UnknownKey(key, key, list(by_name), entity=False)
    return holder, by_name[last]


def flatten_keys(mapping: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf of a nested mapping (an empty mapping is a leaf)."""
    for name, value in mapping.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, Mapping) and value:
            yield from flatten_keys(value, key)
        else:
            yield key, value


def nest_keys(flat: Mapping[str, Any], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dotted keys as a nested mapping (the inverse of `flatten_keys`), merged `into` a mapping if
    one is given (missing parents are created)."""
    out: dict[str, Any] = {} if into is None else into
    for key, value in flat.items():
        *path, last = key.split(".")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Field, Any]]:
    """(dotted key, field, value) of every leaf field of a dataclass tree; the city's mappings of
    entities (`city.teams.<name>`) are walked by name."""
    for f in fields(obj):
        value, key = getattr(obj, f.name), f"{prefix}{f.name}"
        if is_dataclass(value):
            yield from leaves(value, key + ".")
        elif isinstance(value, dict) and value and is_dataclass(next(iter(value.values()))):
            for name, item in value.items():
                yield from leaves(item, f"{key}.{name}.")
        else:
            yield key, f, value
