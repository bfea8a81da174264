"""Frozen-dataclass configuration helpers shared by every paper (CONVENTIONS: Configuration).

A paper's experiment config is a frozen dataclass whose fields are themselves frozen dataclasses
("sections": ``model``, ``data``, ``train``...). Profiles and ``--set`` overrides are both dotted
assignments (``train.epochs=2``) applied with :func:`apply_overrides`, which checks every name
and converts every value to the field's type, so a typo is one clear error, never a silent no-op.
"""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Mapping


class ConfigError(ValueError):
    """An override names no field, or its value does not fit the field's type."""


def _field_type(cls: type, name: str) -> Any:
    hints = typing.get_type_hints(cls)
    return hints[name]


def _convert(value: Any, annotation: Any, where: str) -> Any:
    """Convert ``value`` (often a CLI string) to ``annotation``; raise ConfigError if impossible."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in args:
                return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: cannot read {value!r} as {annotation}")
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == str(value):
                return choice
        raise ConfigError(f"{where}: {value!r} is not one of {list(args)}")
    if origin in (tuple, list):
        items = value
        if isinstance(value, str):
            text = value.strip()
            try:
                items = json.loads(text if text.startswith("[") else f"[{text}]")
            except json.JSONDecodeError:
                items = [part.strip() for part in text.strip("()[]").split(",") if part.strip()]
        if not isinstance(items, (list, tuple)):
            raise ConfigError(f"{where}: expected a sequence, got {value!r}")
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], where) for v in items)
        if origin is tuple and args:
            if len(args) != len(items):
                raise ConfigError(f"{where}: expected {len(args)} values, got {value!r}")
            return tuple(_convert(v, a, where) for v, a in zip(items, args))
        return origin(items)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if annotation in (int, float, str):
        try:
            if annotation is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            return annotation(float(value)) if annotation is int and isinstance(value, str) and "." in value else annotation(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected {annotation.__name__}, got {value!r}") from None
    if annotation is Any:
        return value
    if dataclasses.is_dataclass(annotation):
        if dataclasses.is_dataclass(value):
            return value
        raise ConfigError(f"{where}: is a section; set one of its fields, e.g. {where}.<field>=...")
    return value


def apply_overrides(config: Any, overrides: Mapping[str, Any]) -> Any:
    """Return a copy of ``config`` with each dotted ``path=value`` applied (``dataclasses.replace``)."""
    for path, value in overrides.items():
        config = _set(config, path.split("."), value, path)
    return config


def _set(node: Any, parts: list[str], value: Any, path: str) -> Any:
    if not dataclasses.is_dataclass(node):
        raise ConfigError(f"--set {path}: {'.'.join(parts)} is not inside a config section")
    names = [f.name for f in dataclasses.fields(node)]
    head = parts[0]
    if head not in names:
        raise ConfigError(f"--set {path}: no field {head!r} in {type(node).__name__} (fields: {', '.join(names)})")
    if len(parts) == 1:
        return dataclasses.replace(node, **{head: _convert(value, _field_type(type(node), head), f"--set {path}")})
    return dataclasses.replace(node, **{head: _set(getattr(node, head), parts[1:], value, path)})


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["train.epochs=2", ...]`` -> ``{"train.epochs": "2"}``; a missing ``=`` is a ConfigError."""
    result = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected section.field=value")
        key, value = item.split("=", 1)
        result[key.strip()] = value.strip()
    return result


def to_dict(config: Any) -> Any:
    """A JSON-ready view of a config (for results.json and the report's first page)."""
    if dataclasses.is_dataclass(config):
        return {f.name: to_dict(getattr(config, f.name)) for f in dataclasses.fields(config)}
    if isinstance(config, (list, tuple)):
        return [to_dict(v) for v in config]
    if isinstance(config, dict):
        return {str(k): to_dict(v) for k, v in config.items()}
    return config
