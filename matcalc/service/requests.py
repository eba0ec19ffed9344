"""A request for a derivation, checked before any work: types, sizes and choices.

A request is JSON (the web page's body, an assistant tool's arguments)::

    {"expression": "x'*A*x", "kind": "gradient", "wrt": "x",
     "layout": "denominator", "structure": null,
     "shapes": {"A": "n,n"}, "assume": {"A": "spd"}, "scalars": ["lambda"],
     "check": true, "points": 3, "seed": 0, "code": true}

Only ``expression`` is required. Everything here is plain Python (no SymPy): the server
refuses a malformed request at once, with a ``RequestError`` naming the field, before a
worker process is started. The expression itself is read by ``matcalc.parse`` in the
worker (it is never evaluated).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

__all__ = ["DerivationRequest", "RequestError", "KINDS", "LAYOUTS", "STRUCTURES",
           "ASSUMPTIONS", "MAX_EXPRESSION", "MAX_NAMES", "MAX_POINTS", "MAX_SEED"]

KINDS = ("gradient", "jacobian", "hessian")
#: the layouts each kind offers (the first is the default)
LAYOUTS = {"gradient": ("denominator", "numerator"), "jacobian": ("numerator", "denominator"),
           "hessian": ("denominator",)}
STRUCTURES = (None, "symmetric", "symmetric-elementwise")
ASSUMPTIONS = ("general", "symmetric", "spd", "invertible", "orthogonal", "diagonal",
               "positive")
#: the longest expression a request may carry (the parser itself takes 100,000
#: characters; a page or an assistant has no use for more than this)
MAX_EXPRESSION = 2000
#: the most names a request may declare (shapes, assumptions, scalars each)
MAX_NAMES = 64
MAX_SHAPE = 40            # characters of one shape, "m,k" or "n*p, q"
MAX_POINTS = 20           # random points of the numeric check
MAX_SEED = 2**32 - 1
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_SHAPE = re.compile(r"[A-Za-z0-9_*+, ]*")


class RequestError(ValueError):
    """A malformed request: the message names the field and what it must be."""

    def __init__(self, field_name, message):
        self.field = field_name
        super().__init__(f"{field_name}: {message}")


@dataclass(frozen=True)
class DerivationRequest:
    expression: str
    kind: str = "gradient"
    wrt: str | None = None
    layout: str | None = None
    structure: str | None = None
    shapes: dict = field(default_factory=dict)
    assume: dict = field(default_factory=dict)
    scalars: tuple = ()
    check: bool = True
    points: int = 3
    seed: int = 0
    code: bool = True

    @classmethod
    def from_json(cls, data):
        """The request in ``data`` (a dict decoded from JSON), or ``RequestError``."""
        if not isinstance(data, dict):
            raise RequestError("request", f"expected a JSON object, got {_json_type(data)}")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise RequestError(unknown[0], f"unknown field; the fields are "
                                           f"{', '.join(cls.__dataclass_fields__)}")
        expression = _text(data, "expression", MAX_EXPRESSION, required=True)
        kind = _choice(data, "kind", KINDS, "gradient")
        wrt = _name(data.get("wrt"), "wrt") if data.get("wrt") not in (None, "") else None
        layout = _choice(data, "layout", LAYOUTS[kind], LAYOUTS[kind][0])
        structure = _choice(data, "structure", STRUCTURES, None)
        if structure is not None and kind != "gradient":
            raise RequestError("structure", f"a structure applies to gradients only, not to "
                                            f"a {kind}")
        shapes = _names_to(data, "shapes", lambda v, k: _shape(v, k))
        assume = _names_to(data, "assume", lambda v, k: _assumption(v, k))
        scalars = _scalars(data.get("scalars", ()))
        return cls(expression, kind, wrt, layout, structure, shapes,
                   {k: v for k, v in assume.items() if v != "general"}, scalars,
                   _flag(data, "check", True), _integer(data, "points", 1, MAX_POINTS, 3),
                   _integer(data, "seed", 0, MAX_SEED, 0), _flag(data, "code", True))

    def as_json(self):
        data = asdict(self)
        data["scalars"] = list(self.scalars)
        return data


def _json_type(value):
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value),
                                                                        type(value).__name__)


def _text(data, key, limit, required=False):
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RequestError(key, f"expected a string, got {_json_type(value)}")
    if len(value) > limit:
        raise RequestError(key, f"too long: {len(value):,} characters (the limit is "
                                f"{limit:,})")
    return value


def _choice(data, key, choices, default):
    value = data.get(key, default)
    if value == "" or value == "none":
        value = None
    if value is None and None not in choices:
        value = default
    if value not in choices:
        shown = ", ".join("none" if c is None else c for c in choices)
        raise RequestError(key, f"expected one of {shown}, got {str(value)[:40]!r}")
    return value


def _name(value, key):
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise RequestError(key, f"expected a name ([A-Za-z_][A-Za-z0-9_]*, at most 64 "
                                f"characters), got {str(value)[:40]!r}")
    return value


def _names_to(data, key, convert):
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise RequestError(key, f"expected an object of name -> value, got {_json_type(value)}")
    if len(value) > MAX_NAMES:
        raise RequestError(key, f"too many names: {len(value)} (the limit is {MAX_NAMES})")
    return {_name(name, f"{key}.{name}"[:60]): convert(v, f"{key}.{name}")
            for name, v in value.items()}


def _shape(value, key):
    if not isinstance(value, str) or len(value) > MAX_SHAPE or not _SHAPE.fullmatch(value):
        raise RequestError(key, f"expected a shape such as \"m,k\", \"n\" (a column) or "
                                f"\"scalar\", at most {MAX_SHAPE} characters")
    return value.strip()


def _assumption(value, key):
    if value not in ASSUMPTIONS:
        raise RequestError(key, f"expected one of {', '.join(ASSUMPTIONS)}, "
                                f"got {str(value)[:40]!r}")
    return value


def _scalars(value):
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, (list, tuple)):
        raise RequestError("scalars", f"expected an array of names, got {_json_type(value)}")
    if len(value) > MAX_NAMES:
        raise RequestError("scalars", f"too many names: {len(value)} (the limit is "
                                      f"{MAX_NAMES})")
    return tuple(_name(v, "scalars") for v in value)


def _flag(data, key, default):
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise RequestError(key, f"expected true or false, got {_json_type(value)}")
    return value


def _integer(data, key, low, high, default):
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RequestError(key, f"expected an integer from {low} to {high}, got "
                                f"{str(value)[:40]}")
    return value
