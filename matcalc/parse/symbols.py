"""Names -> SymPy objects: declared shapes, structures and scalars, and the defaults.

A name in ``shapes`` has that shape: ``"m,k"`` (m x k), ``"n"`` (an n x 1 column),
``"3,2"``, ``"1"`` or ``"scalar"`` (a scalar), or a tuple of ints, strings or SymPy
dimensions.  Otherwise a name listed in ``scalars`` or a Greek letter name (``GREEK``) is
a real scalar ``Symbol(name, real=True)``; a dimension of a declared shape is that
dimension (a positive integer: ``tr(X)/n``); a name whose first letter is upper-case is an
n x n matrix; any other name an n x 1 column.  Dimension names become
``Symbol(name, integer=True, positive=True)``, so the same name is the same dimension
everywhere.  A name in ``structures`` becomes a ``StructuredMatrixSymbol``.
"""
from dataclasses import dataclass, field

from sympy import Integer, MatrixSymbol, Symbol

from ..constructs.structured import STRUCTURES, StructuredMatrixSymbol
from ..errors import ParseError
from ..registry import FUNCTIONS
from .tokens import IDENTIFIER, MAX_NUMBER_LENGTH

__all__ = ["dimension", "parse_shape", "SymbolTable", "symbol_table", "Parsed", "GREEK",
           "declarations"]

GREEK = frozenset("alpha beta gamma delta epsilon lambda lam mu nu rho sigma tau theta "
                  "kappa eta omega phi psi xi zeta".split())


def dimension(name):
    """The dimension symbol called ``name``: ``Symbol(name, integer=True, positive=True)``."""
    return Symbol(name, integer=True, positive=True)


def _shape_error(spec, name, detail):
    owner = f" of {name!r}" if name is not None else ""
    return ParseError(f"invalid shape {spec!r}{owner}: {detail}")


def _dimension_entry(entry, spec, name):
    if isinstance(entry, bool):
        raise _shape_error(spec, name, f"{entry!r} is not a dimension")
    if isinstance(entry, int):
        if entry < 1:
            raise _shape_error(spec, name, f"{entry} is not a positive integer")
        return Integer(entry)
    if isinstance(entry, str):
        word = entry.strip()
        if word.isascii() and word.isdigit():
            if len(word) > MAX_NUMBER_LENGTH or int(word) < 1:
                raise _shape_error(spec, name, f"{word!r} is not a positive integer")
            return Integer(int(word))
        if IDENTIFIER.fullmatch(word):
            return dimension(word)
        raise _shape_error(spec, name,
                           f"{word!r} is neither an identifier nor a positive integer")
    if isinstance(entry, Integer):
        if entry < 1:
            raise _shape_error(spec, name, f"{entry} is not a positive integer")
        return entry
    if isinstance(entry, Symbol) or (getattr(entry, "is_Expr", False) and entry.free_symbols
                                     and entry.is_integer is not False):
        return entry
    raise _shape_error(spec, name, f"{entry!r} is neither a dimension name nor a positive integer")


def parse_shape(spec, name=None):
    """The shape a ``shapes`` entry declares, as a tuple of SymPy dimensions.

    ``"m,k"`` -> ``(m, k)``; ``"3,4"`` -> ``(3, 4)``; ``"n"`` -> ``(n, 1)`` (a
    column vector); ``"1"``, ``"scalar"``, ``1`` or ``()`` -> ``()`` (a scalar).
    Tuples may hold ints, strings or SymPy dimensions. ``name`` (the symbol the
    shape belongs to) only serves the error message.
    """
    if isinstance(spec, str):
        text = spec.strip()
        if text.lower() == "scalar":
            return ()
        entries = [part for part in text.split(",")] if text else []
        if any(not part.strip() for part in entries):
            raise _shape_error(spec, name, "an entry is empty")
    elif isinstance(spec, (int, Integer)) and not isinstance(spec, bool):
        entries = [spec]
    elif isinstance(spec, (tuple, list)):
        entries = list(spec)
    else:
        raise _shape_error(spec, name, "expected a string such as 'm,k' or a tuple")
    dims = tuple(_dimension_entry(entry, spec, name) for entry in entries)
    if len(dims) == 0 or dims == (Integer(1),):
        return ()
    if len(dims) == 1:
        return (dims[0], Integer(1))
    if len(dims) == 2:
        return dims
    raise _shape_error(spec, name, f"a matrix shape has 2 entries, got {len(dims)}")


class SymbolTable:
    """Names -> SymPy objects, under the declared shapes, structures and scalars.

    ``symbols`` holds every variable looked up so far, ``dims`` every dimension
    symbol created (declared shapes, default ``n``, arguments of ``eye`` etc.).
    """

    def __init__(self, shapes=None, structures=None, scalars=()):
        shapes = dict(shapes or {})
        structures = dict(structures or {})
        if isinstance(scalars, str):
            scalars = (scalars,)
        self.scalars = frozenset(scalars)
        self.symbols = {}
        self.dims = {}
        self._shapes = {}
        self._structures = {}
        self._bound = {}          # name -> the scalar a map(u -> ...) binds, innermost last
        for name in list(shapes) + list(structures) + list(self.scalars):
            self._check_name(name)
        for name, spec in shapes.items():
            shape = parse_shape(spec, name)
            if shape and name in self.scalars:
                raise ParseError(f"{name!r} is listed in scalars but has the matrix shape {spec!r}")
            self._shapes[name] = shape
            self._note_dims(shape)
        self._declared_dims = dict(self.dims)
        for name, structure in structures.items():
            key = str(structure).strip().lower()
            if key not in STRUCTURES:
                raise ParseError(f"unknown structure {structure!r} for {name!r}; "
                                 f"choose one of {', '.join(sorted(STRUCTURES))}")
            if not self._shape_of(name):
                raise ParseError(f"{name!r} is a scalar; the structure {structure!r} "
                                 f"needs a matrix")
            self._structures[name] = key
        for name in structures:
            self.variable(name)  # validates e.g. an spd non-square matrix now
        self.symbols.clear()

    @staticmethod
    def _check_name(name):
        if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
            raise ParseError(f"{name!r} is not an identifier; names match [A-Za-z_][A-Za-z0-9_]*")
        if name in FUNCTIONS:
            raise ParseError(f"{name!r} is a function name and cannot be declared as a variable")

    def _note_dims(self, shape):
        for dim in shape:
            if isinstance(dim, Symbol):
                self.dims[dim.name] = dim

    def declares(self, name):
        """Is ``name`` a declared variable (a shape or a scalar)?"""
        return name in self._shapes or name in self.scalars

    def dimension(self, name):
        """The dimension symbol ``name``, recorded in ``dims``."""
        dim = self.dims.get(name)
        if dim is None:
            dim = self.dims[name] = dimension(name)
        return dim

    def _shape_of(self, name):
        if name in self._shapes:
            return self._shapes[name]
        if name in self.scalars or name in GREEK:
            return ()
        n = self.dimension("n")
        first_letter = next((ch for ch in name if ch.isalpha()), "")
        return (n, n) if first_letter.isupper() else (n, Integer(1))

    def variable(self, name):
        """The SymPy object for the variable ``name`` (created on first use)."""
        bound = self._bound.get(name)
        if bound:
            return bound[-1]
        obj = self.symbols.get(name)
        if obj is not None:
            return obj
        if name in self._declared_dims and not self.declares(name):
            return self._declared_dims[name]
        shape = self._shape_of(name)
        structure = self._structures.get(name, "general")
        if not shape:
            obj = Symbol(name, real=True)
        elif structure == "general":
            obj = MatrixSymbol(name, *shape)
        else:
            obj = StructuredMatrixSymbol(name, *shape, structure)
        self.symbols[name] = obj
        return obj

    def bind(self, name, scalar):
        """``name`` stands for ``scalar`` until ``unbind`` (the variable of ``u -> body``)."""
        self._bound.setdefault(name, []).append(scalar)

    def unbind(self, name):
        self._bound[name].pop()
        if not self._bound[name]:
            del self._bound[name]


def declarations(expr):
    """The ``shapes``, ``structures`` and ``scalars`` under which ``parse`` reads the text
    of ``expr`` back: every matrix symbol's own shape and structure, every other free
    symbol a scalar (a dimension of a shape stays a dimension)."""
    from sympy import Dummy
    shapes, structures = {}, {}
    for M in sorted(expr.atoms(MatrixSymbol), key=str):
        shapes[M.name] = tuple(M.shape)
        if isinstance(M, StructuredMatrixSymbol):
            structures[M.name] = M.structure
    dims = {d for shape in shapes.values() for entry in shape
            for d in getattr(entry, "free_symbols", ())}
    scalars = sorted({s.name for s in expr.atoms(Symbol)
                      if not isinstance(s, Dummy) and s not in dims and s.name not in shapes})
    return {"shapes": shapes, "structures": structures, "scalars": tuple(scalars)}


def symbol_table(shapes=None, structures=None, scalars=()):
    """A ``SymbolTable`` for these declarations (validated now)."""
    return SymbolTable(shapes, structures, scalars)


@dataclass
class Parsed:
    """The result of ``parse``: the expression and the symbols it was built from."""

    expr: object
    symbols: dict = field(default_factory=dict)
    dims: dict = field(default_factory=dict)
    text: str = ""
