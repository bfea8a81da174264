"""Frozen-dataclass configuration helpers shared by every paper (docs/house.md, Configuration).

A paper's experiment config is a frozen dataclass whose fields are themselves frozen dataclasses
("sections": ``model``, ``data``, ``train``...). Profiles and ``--set`` overrides are both dotted
assignments (``train.epochs=2``) applied with :func:`apply_overrides`, which checks every name
and converts every value to the field's type, so a typo is one clear error, never a silent no-op.

Every numeric field declares its allowed values beside it with :class:`Range` in its annotation
(``epochs: Annotated[int, Range(ge=1)] = 10``; for a tuple of numbers the range holds for each
number). :func:`apply_overrides` refuses a value out of range, naming the field and the range, and
:func:`validate` checks a whole config (defaults and profiles included), so a run never starts
with, e.g., 0 epochs, a batch of 0 or a negative learning rate.

Every string field declares its allowed values the same way: ``typing.Literal[...]`` or
:class:`Choices` (``optimizer: Annotated[str, Choices("sgd", "adam")]``; for a tuple of strings the
choices hold for each one), or :class:`FreeText` for a field whose value is not one of a list (a
file path). A value outside the choices is refused, naming the field and the allowed values.
:class:`FoldCount` marks the number of folds a protocol splits the selected samples into, which the
runner checks against the selected samples before training (``common.running.preflight``).
"""
from __future__ import annotations

import dataclasses
import decimal
import functools
import math
import types
import typing
from typing import Any
from collections.abc import Mapping

from common.errors import MersuiteError
from common.files import JsonBoundError, parse_json


# Seeds NumPy's legacy seeding (np.random.seed, through keras.utils.set_random_seed) and scikit-learn's
# random_state accept: 0 .. 2**32 - 1. Seed fields declare Range(ge=0, lt=SEED_LIMIT); run_all.py checks
# --seed/--seeds against it before any work (common.running.preflight).
SEED_LIMIT = 2**32


class ConfigError(MersuiteError, ValueError):
    """An override names no field, or its value does not fit the field's type or range."""


def _short(text: str) -> str:
    """``text`` as a message echoes it: at most 60 characters, then its length (a value given on the command line
    may be any length; a refusal stays one line)."""
    return text if len(text) <= 60 else f"{text[:60]}... ({len(text):,} characters)"


def finite(value: float) -> bool:
    """Whether a number is finite: an int always, whatever its size (``math.isfinite`` of a 401-digit int raises
    ``OverflowError``, which an override made a traceback)."""
    return isinstance(value, int) or math.isfinite(value)


@dataclasses.dataclass(frozen=True)
class Range:
    """The allowed values of a numeric config field, in its annotation: ``Annotated[float, Range(gt=0)]``.

    ``ge``/``gt`` (lower bound, inclusive/exclusive) and ``le``/``lt`` (upper bound), as in
    annotated-types / pydantic; ``None`` = unbounded. Every value must also be finite. For a tuple
    field the range applies to every number in it (nested tuples included).
    """

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def __post_init__(self) -> None:
        if self.ge is not None and self.gt is not None or self.le is not None and self.lt is not None:
            raise ValueError("Range: give at most one lower bound (ge or gt) and one upper bound (le or lt)")

    def contains(self, value: float) -> bool:
        return (finite(value)
                and (self.ge is None or value >= self.ge) and (self.gt is None or value > self.gt)
                and (self.le is None or value <= self.le) and (self.lt is None or value < self.lt))

    def __str__(self) -> str:
        """``>= 1``, ``> 0``, ``in [0, 1)``, as error messages show it."""
        low = (("[", _number(self.ge)) if self.ge is not None else ("(", _number(self.gt)) if self.gt is not None
               else None)
        high = ((_number(self.le), "]") if self.le is not None else (_number(self.lt), ")") if self.lt is not None
                else None)
        if low and high:
            return f"in {low[0]}{low[1]}, {high[0]}{high[1]}"
        if low:
            return f"{'>=' if low[0] == '[' else '>'} {low[1]}"
        if high:
            return f"{'<=' if high[1] == ']' else '<'} {high[0]}"
        return "a finite number"


def _number(value: float) -> str:
    """``1``, ``0.5``, ``1e-06``, ``4294967296`` (a whole bound in full, not ``4.29497e+09``)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"


@dataclasses.dataclass(frozen=True, init=False)
class Choices:
    """The allowed values of a string config field, in its annotation: ``Annotated[str, Choices("sgd", "adam")]``.

    For a tuple-of-strings field every item must be one of them; ``None`` stays allowed where the
    type is optional (``str | None``).
    """

    values: tuple[str, ...]

    def __init__(self, *values: str) -> None:
        if not values or not all(isinstance(v, str) for v in values):
            raise ValueError("Choices: give the allowed strings, e.g. Choices('sgd', 'adam')")
        object.__setattr__(self, "values", tuple(values))

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclasses.dataclass(frozen=True)
class FreeText:
    """Marks a string config field whose value is not one of a list (a file path), with what it holds."""

    what: str


@dataclasses.dataclass(frozen=True)
class FoldCount:
    """Marks an int config field that is the number of folds the selected samples are split into."""


@dataclasses.dataclass(frozen=True)
class LosoEvaluationConfig:
    """The ``evaluation`` section of a paper on the MEGC 2019 composite: leave-one-subject-out over the
    composite's subjects (``common.evaluation.splits.megc_loso``), every fold unless a smoke profile cuts it."""

    # 0 = every LOSO fold (68 on the real composite); >0 = the first folds only (the smoke profiles)
    max_folds: typing.Annotated[int, Range(ge=0)] = 0


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """Field annotations of a dataclass with ``Annotated`` extras kept (``from __future__`` strings resolved)."""
    return typing.get_type_hints(cls, include_extras=True)


def _split_annotated(hint: Any) -> tuple[Any, tuple]:
    """(the bare type, the ``Annotated`` metadata) of a hint."""
    if typing.get_origin(hint) is typing.Annotated:
        bare, *extras = typing.get_args(hint)
        return bare, tuple(extras)
    return hint, ()


def _field_type(cls: type, name: str) -> Any:
    return _split_annotated(_hints(cls)[name])[0]


def field_range(cls: type, name: str) -> Range | None:
    """The :class:`Range` declared in the annotation of ``cls.name``, or None."""
    return next((extra for extra in _split_annotated(_hints(cls)[name])[1] if isinstance(extra, Range)), None)


def field_choices(cls: type, name: str) -> tuple[str, ...] | None:
    """The allowed strings of ``cls.name``: its :class:`Choices`, or the strings of its ``Literal``
    (also inside ``X | None`` or ``tuple[Literal[...], ...]``); None when it declares none."""
    bare, extras = _split_annotated(_hints(cls)[name])
    declared = next((extra for extra in extras if isinstance(extra, Choices)), None)
    if declared is not None:
        return declared.values
    literal = _literal_strings(bare)
    return literal or None


def _literal_strings(annotation: Any) -> tuple[str, ...]:
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(v for v in typing.get_args(annotation) if isinstance(v, str))
    return tuple(v for arg in typing.get_args(annotation) if arg is not Ellipsis for v in _literal_strings(arg))


def is_fold_count(cls: type, name: str) -> bool:
    """True when ``cls.name`` is marked :class:`FoldCount`."""
    return any(isinstance(extra, FoldCount) for extra in _split_annotated(_hints(cls)[name])[1])


def config_fold_counts(config: Any, prefix: str = "") -> list[tuple[str, int]]:
    """``(dotted path, value)`` of every :class:`FoldCount` field of ``config`` (a dataclass instance)."""
    out = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out += config_fold_counts(value, f"{prefix}{f.name}.")
        elif is_fold_count(type(config), f.name):
            out.append((f"{prefix}{f.name}", int(value)))
    return out


def _strings(value: Any):
    """Every str in ``value`` (a string, or a tuple/list of them, nested)."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _check_choices(cls: type, name: str, value: Any, where: str) -> None:
    allowed = field_choices(cls, name)
    if allowed is None:
        return
    for text in _strings(value):
        if text not in allowed:
            raise ConfigError(f"{where}: {_short(repr(text))} is not allowed; {cls.__name__}.{name} must be one of "
                              f"{', '.join(allowed)}")


def leaf_fields(config: Any, prefix: str = "") -> list[tuple[str, type, str]]:
    """``(dotted path, section class, field name)`` of every field of ``config`` (a dataclass instance)
    that is not itself a section, sections walked in order."""
    out = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out += leaf_fields(value, f"{prefix}{f.name}.")
        else:
            out.append((f"{prefix}{f.name}", type(config), f.name))
    return out


def string_fields(config: Any, prefix: str = "") -> list[tuple[str, type, str]]:
    """``(dotted path, section class, field name)`` of every field of ``config`` whose type holds a
    string (``str``, ``Literal`` of strings, ``tuple[str, ...]``, ``str | None``), sections included."""
    return [(path, cls, name) for path, cls, name in leaf_fields(config, prefix)
            if _holds_str(_field_type(cls, name))]


def _holds_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(v, str) for v in typing.get_args(annotation))
    return any(_holds_str(arg) for arg in typing.get_args(annotation) if arg is not Ellipsis)


def _numbers(value: Any):
    """Every int/float in ``value`` (a number, or a tuple/list of them, nested); bools are not numbers."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def _is_numeric_type(annotation: Any) -> bool:
    """True for int, float, and tuples/lists/unions of them (bool is not numeric)."""
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin in (tuple, list, typing.Union, types.UnionType):
        return any(_is_numeric_type(arg) for arg in typing.get_args(annotation) if arg not in (Ellipsis, type(None)))
    return False


def _check_range(cls: type, name: str, value: Any, where: str) -> None:
    allowed = field_range(cls, name)
    for number in _numbers(value):
        if not finite(number) or (allowed is not None and not allowed.contains(number)):
            rule = str(allowed) if allowed is not None else "a finite number"
            raise ConfigError(f"{where}: {_short(repr(number))} is out of range; {cls.__name__}.{name} must be {rule}")


def numeric_fields(config: Any, prefix: str = "") -> list[tuple[str, type, str, Range | None]]:
    """``(dotted path, section class, field name, Range or None)`` of every numeric field of ``config``
    (a dataclass instance), sections included; for tests and ``validate``."""
    return [(path, cls, name, field_range(cls, name)) for path, cls, name in leaf_fields(config, prefix)
            if _is_numeric_type(_field_type(cls, name))]


def validate(config: Any) -> Any:
    """Check every numeric field of ``config`` against its :class:`Range` (and finiteness), and every
    string field against its choices; return it.

    Raises ConfigError naming the first field out of range, e.g. ``config stage1.epochs: 0 is out of
    range; TrainConfig.epochs must be >= 1``.
    """
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        return config  # an experiment without a config (a test's toy experiment) has nothing to check
    for path, cls, name, _ in numeric_fields(config):
        section = functools.reduce(getattr, path.split(".")[:-1], config)
        _check_range(cls, name, getattr(section, name), f"config {path}")
    for path, cls, name in string_fields(config):
        section = functools.reduce(getattr, path.split(".")[:-1], config)
        _check_choices(cls, name, getattr(section, name), f"config {path}")
    return config


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
        raise ConfigError(f"{where}: cannot read {_short(repr(value))} as {annotation}")
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == str(value):
                return choice
        raise ConfigError(f"{where}: {_short(repr(value))} is not one of {list(args)}")
    if origin in (tuple, list):
        items = value
        if isinstance(value, str):
            text = value.strip()
            try:
                # decimals kept as their text, so that each is read as the comma-separated words below are
                # ("4.9999999999999999" refused for an int, never rounded to 5.0 first); whole numbers are exact
                items = parse_json(text if text.startswith("[") else f"[{text}]", parse_float=str)
            except JsonBoundError as exc:
                raise ConfigError(f"{where}: the value is {exc}; expected a list of values") from None
            except ValueError:  # not JSON: read as comma-separated words
                words = [part.strip() for part in text.strip("()[]").split(",")]
                if len(words) > 1 and not words[-1]:
                    words.pop()  # one trailing comma, as Python writes a tuple of one: "(5,)"
                if len(words) > 1 and "" in words:  # "6,,16": an item left out (an unset shell variable?)
                    raise ConfigError(f"{where}: an empty item in {_short(repr(value))}; expected values "
                                      f"separated by single commas") from None
                items = [word for word in words if word]
        if not isinstance(items, (list, tuple)):
            raise ConfigError(f"{where}: expected a sequence, got {_short(repr(value))}")
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            if not items:  # "--set model.filters=" would build a network without convolutions, and train it
                raise ConfigError(f"{where}: expected at least one value, got {_short(repr(value))}")
            return tuple(_convert(v, args[0], where) for v in items)
        if origin is tuple and args:
            if len(args) != len(items):
                raise ConfigError(f"{where}: expected {len(args)} values, got {_short(repr(value))}")
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
        raise ConfigError(f"{where}: expected true/false, got {_short(repr(value))}")
    if annotation is int:  # "2", 2, 2.0, "2.0", "2e0" are 2; "1.5", 1.5, "nan", True are refused (never truncated)
        try:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, int):
                return int(value)
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                return int(value)
            if not math.isfinite(float(value)):  # "inf", "nan", "1e400", 400 digits: refused
                raise ValueError
            # A text is read exactly, not through a float, which would round "4.9999999999999999" to 5,
            # "1e-400" to 0 (max_folds 0: every fold) and "12345678901234567" to ...68.
            exact = decimal.Decimal(str(value).strip())
            if exact != exact.to_integral_value():
                raise ValueError
            return int(exact)
        except (TypeError, ValueError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
            raise ConfigError(f"{where}: expected int (a whole number), got {_short(repr(value))}") from None
    if annotation is float:
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected float, got {_short(repr(value))}") from None
        if number == 0 and isinstance(value, str) and decimal.Decimal(value.strip()) != 0:
            # "1e-400" is below the smallest float: read as 0 it would mean "off" (weight_decay, lr_decay)
            raise ConfigError(f"{where}: {_short(repr(value))} is too small for a float and would read as 0; "
                              f"expected 0 or a number of at least 5e-324")
        return number
    if annotation is str:
        try:
            return str(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected str, got {_short(repr(value))}") from None
    if annotation is Any:
        return value
    if dataclasses.is_dataclass(annotation):
        if dataclasses.is_dataclass(value):
            return value
        raise ConfigError(f"{where}: is a section; set one of its fields, e.g. {where}.<field>=...")
    return value


# Overrides every line says apart from the profile: ``train.weights`` (``--weights DIR``, the authors' released
# weights evaluated, marked as such wherever their numbers are shown)
SAID_APART = ("train.weights",)


def profile_label(profile: Any, overrides: Any = None, limit: int = 300) -> str:
    """A run's profile as a line beside its scores names it: the profile, then the ``--set`` overrides the run was
    given on top of it ("paper + --set train.epochs=2"), so that a changed recipe never reads as the profile's own
    (but :data:`SAID_APART`). ``overrides`` as a results.json holds them (a file from outside: anything but a mapping
    is left out, and the words are cut at ``limit`` characters)."""
    kept = {k: v for k, v in overrides.items() if k not in SAID_APART} if isinstance(overrides, Mapping) else {}
    shown = " ".join(set_arguments(kept))
    if len(shown) > limit:
        shown = shown[:limit] + "..."
    return f"{profile} + {shown}" if shown else str(profile)


def set_arguments(overrides: Mapping[str, Any]) -> list[str]:
    """The command line's ``--set path=value`` of each override (a profile's, a named option's), booleans as the
    command line writes them (``false``): what :func:`apply_overrides` reads back to the same values."""
    arguments = []
    for path, value in overrides.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        arguments += ["--set", f"{path}={text}"]
    return arguments


def apply_overrides(config: Any, overrides: Mapping[str, Any]) -> Any:
    """Return a copy of ``config`` with each dotted ``path=value`` applied (``dataclasses.replace``)."""
    for path, value in overrides.items():
        config = _set(config, path.split("."), value, path)
    return config


def _set(node: Any, parts: list[str], value: Any, path: str) -> Any:
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        raise ConfigError(f"--set {path}: {'.'.join(parts)} is not inside a config section")
    names = [f.name for f in dataclasses.fields(node)]
    head = parts[0]
    if head not in names:
        raise ConfigError(f"--set {path}: no field {head!r} in {type(node).__name__} (fields: {', '.join(names)})")
    if len(parts) == 1:
        converted = _convert(value, _field_type(type(node), head), f"--set {path}")
        _check_range(type(node), head, converted, f"--set {path}={_short(str(value))}")
        _check_choices(type(node), head, converted, f"--set {path}={_short(str(value))}")
        return dataclasses.replace(node, **{head: converted})
    return dataclasses.replace(node, **{head: _set(getattr(node, head), parts[1:], value, path)})


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["train.epochs=2", ...]`` -> ``{"train.epochs": "2"}``; a missing ``=`` is a ConfigError, and so
    is a field given twice (naming both values): which one was meant cannot be told, and a last-one-wins
    rule would run and record a setting the command line also contradicts."""
    result: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected section.field=value")
        key, value = (part.strip() for part in item.split("=", 1))
        if key in result:
            raise ConfigError(f"--set {key} is given twice ({key}={result[key]} and {key}={value}); "
                              f"expected each field once")
        result[key] = value
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
