"""Plugin parameters: declarations and the checks the host and the SDK apply.

The rules are the Go SDK's (plugins.CheckParams): unknown names, wrong types,
values out of bounds and non-integral integers are errors, every declared
default is filled in, and the messages read the same in both languages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

#: The parameter types, as a spec writes them.
TYPES = ("number", "integer", "string", "bool", "number_list", "string_list")


@dataclass(frozen=True)
class Param:
    """One parameter a plugin accepts."""

    name: str
    type: str
    description: str = ""
    default: Any = None
    min: Optional[float] = None
    max: Optional[float] = None
    one_of: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"parameter {self.name!r}: type {self.type!r} is not one of {', '.join(TYPES)}")
        if self.default is not None:
            _coerce(self, self.default)  # a bad default is the plugin's bug: fail at import


class ParamError(ValueError):
    """The problems check_params found, one message per parameter."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"parameter {_quote(n)}: {m}" for n, m in problems))


def check_params(specs: Sequence[Param], params: dict[str, Any]) -> dict[str, Any]:
    """Return params checked against specs, with every default filled in.

    Numbers come back as float (integers too, as on the wire), lists as lists.
    Raises ParamError naming every bad parameter.
    """
    by_name = {s.name: s for s in specs}
    problems: list[tuple[str, str]] = []
    out: dict[str, Any] = {}
    for name in sorted(params):
        spec = by_name.get(name)
        if spec is None:
            problems.append((name, _unknown_message(name, specs)))
            continue
        try:
            out[name] = _coerce(spec, params[name])
        except ValueError as e:
            problems.append((name, str(e)))
    for s in specs:
        if s.name not in params and s.default is not None:
            out[s.name] = _coerce(s, s.default)
    if problems:
        raise ParamError(problems)
    return out


def _quote(s: str) -> str:
    # Go's %q for the plain names parameters have.
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unknown_message(name: str, specs: Sequence[Param]) -> str:
    if not specs:
        return "unknown parameter; this plugin takes no parameters"
    known = sorted(s.name for s in specs)
    near = _closest(name, known)
    if near:
        return f"unknown parameter; did you mean {_quote(near)}? (known: {', '.join(known)})"
    return "unknown parameter; known: " + ", ".join(known)


def _closest(name: str, known: list[str]) -> str:
    best, best_d = "", 3
    for k in known:
        d = _edit_distance(name, k)
        if d < best_d:
            best, best_d = k, d
    return best


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[len(b)]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _describe(v: Any) -> str:
    if _is_number(v):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "a bool"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    if v is None:
        return "null"
    return type(v).__name__


def _format_number(f: float) -> str:
    # Go's %v of a float64: integral values without a decimal point.
    return str(int(f)) if f == int(f) and abs(f) < 1e21 else repr(f)


# The words Go's ParamType.String gives each type, for identical messages.
_TYPE_WORDS = {"number": "number", "integer": "integer", "number_list": "list of numbers",
               "string_list": "list of strings"}


def _coerce(s: Param, v: Any) -> Any:
    if s.type in ("number", "integer"):
        if not _is_number(v):
            raise ValueError(f"want {_TYPE_WORDS[s.type]}, got {_describe(v)}")
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            raise ValueError(f"want a finite number, got {f}")
        if s.type == "integer" and f != math.trunc(f):
            raise ValueError(f"want an integer, got {f}")
        if s.min is not None and f < s.min:
            raise ValueError(f"{_format_number(f)} is below the minimum {_format_number(s.min)}")
        if s.max is not None and f > s.max:
            raise ValueError(f"{_format_number(f)} is above the maximum {_format_number(s.max)}")
        return f
    if s.type == "string":
        if not isinstance(v, str):
            raise ValueError(f"want a string, got {_describe(v)}")
        if s.one_of and v not in s.one_of:
            raise ValueError(f"{_quote(v)} is not one of {', '.join(s.one_of)}")
        return v
    if s.type == "bool":
        if not isinstance(v, bool):
            raise ValueError(f"want a bool, got {_describe(v)}")
        return v
    if not isinstance(v, (list, tuple)):
        raise ValueError(f"want {_TYPE_WORDS[s.type]}, got {_describe(v)}")
    out = []
    for i, e in enumerate(v):
        if s.type == "number_list":
            if not _is_number(e):
                raise ValueError(f"element {i}: want a number, got {_describe(e)}")
            out.append(float(e))
        else:
            if not isinstance(e, str):
                raise ValueError(f"element {i}: want a string, got {_describe(e)}")
            out.append(e)
    return out
