"""Names -> SymPy objects: declared shapes, structures and scalars, and the defaults.

A name in ``shapes`` has that shape: ``"m,k"`` (m x k), ``"n"`` (an n x 1 column),
``"3,2"``, ``"1"`` or ``"scalar"`` (a scalar), or a tuple of ints, strings or SymPy
dimensions.  Otherwise a name listed in ``scalars`` or a Greek letter name (``GREEK``) is
a real scalar ``Symbol(name, real=True)``; a dimension of a declared shape is that
dimension (a positive integer: ``tr(X)/n``); a shape the expression fixes is inferred
(``infer.py``: ``A*x`` with A m x k makes x k x 1); then the naming convention decides
(``CONVENTIONS``): matcalc's own (the default) makes a name whose first letter is upper-case
an n x n matrix and any other name an n x 1 column; matrixcalculus.org's makes a-g scalars,
h-z columns and A-Z matrices.  Dimension names become
``Symbol(name, integer=True, positive=True)``, so the same name is the same dimension
everywhere.  A name in ``structures`` becomes a ``StructuredMatrixSymbol``.
"""
from dataclasses import dataclass, field

from sympy import Integer, MatrixSymbol, Symbol

from ..constructs.differentials import DifferentialSymbol
from ..constructs.structured import STRUCTURES, StructuredMatrixSymbol
from ..errors import ParseError
from ..registry import FUNCTIONS
from .tokens import IDENTIFIER, MAX_NUMBER_LENGTH

__all__ = ["dimension", "parse_shape", "SymbolTable", "symbol_table", "Parsed", "GREEK",
           "declarations", "CONVENTIONS"]

GREEK = frozenset("alpha beta gamma delta epsilon lambda lam mu nu rho sigma tau theta "
                  "kappa eta omega phi psi xi zeta".split())


#: naming conventions for undeclared names: name -> (its description, the kind of a name
#: by its first letter: "scalar", "vector" or "matrix")
CONVENTIONS = {
    "matcalc": ("upper-case names n x n matrices, other names n x 1 vectors",
                lambda letter: "matrix" if letter.isupper() else "vector"),
    "matrixcalculus": ("matrixcalculus.org's: a-g scalars, h-z vectors, A-Z matrices",
                       lambda letter: ("matrix" if letter.isupper() else
                                       "scalar" if letter.lower() in "abcdefg" else "vector")),
}


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

    def __init__(self, shapes=None, structures=None, scalars=(), convention="matcalc",
                 inferred=None):
        if convention not in CONVENTIONS:
            raise ParseError(f"unknown naming convention {convention!r}; choose one of "
                             f"{', '.join(CONVENTIONS)}")
        self.convention = convention
        self.inferred = dict(inferred or {})   # name -> (shape, axes fixed by the expression)
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
        self.names = frozenset()  # the names the text uses (dX is X's differential)
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
        if FUNCTIONS.reserves(name):
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

    def _kind(self, name):
        """"scalar", "vector" or "matrix": what an undeclared ``name`` is by the convention."""
        if name in self.scalars or name in GREEK:
            return "scalar"
        first_letter = next((ch for ch in name if ch.isalpha()), "")
        return CONVENTIONS[self.convention][1](first_letter)

    def _shape_of(self, name):
        if name in self._shapes:
            return self._shapes[name]
        if name in self.inferred:
            return self.inferred[name][0]
        kind = self._kind(name)
        if kind == "scalar":
            return ()
        n = self.dimension("n")
        return (n, n) if kind == "matrix" else (n, Integer(1))

    def fixed(self, dim):
        """Is ``dim`` a size the declarations give: of their dimensions only, or a number
        above 1 (not the default n, nor the 1 of a vector)?"""
        if dim.is_Integer:
            return dim > 1
        return all(d.name in self._declared_dims for d in dim.free_symbols)

    def free_axes(self, name):
        """The axes of ``name``'s shape that the expression may still fix: those its
        default gave it (a vector's rows, a matrix's rows and columns), not yet inferred."""
        if name in self._shapes or name in self._structures or name not in self.symbols:
            return ()
        kind = self._kind(name)
        axes = {"vector": (0,), "matrix": (0, 1)}.get(kind, ())
        fixed = self.inferred.get(name, ((), ()))[1]
        return tuple(a for a in axes if a not in fixed)

    def infer(self, name, shape, axes):
        """``name`` has ``shape``, its ``axes`` fixed by the expression (for the next parse)."""
        fixed = self.inferred.get(name, ((), ()))[1]
        self.inferred[name] = (tuple(shape), tuple(sorted(set(fixed) | set(axes))))

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
        differential = self._differential(name)
        if differential is not None:
            return differential
        shape = self._shape_of(name)
        self._note_dims(shape)
        structure = self._structures.get(name, "general")
        if not shape:
            obj = Symbol(name, real=True)
        elif structure == "general":
            obj = MatrixSymbol(name, *shape)
        else:
            obj = StructuredMatrixSymbol(name, *shape, structure)
        self.symbols[name] = obj
        return obj

    def _differential(self, name):
        """``dX``, the differential of the matrix variable X (as derivation steps print
        it), when X is declared or named in the text and ``dX`` is not declared itself."""
        base = name[1:]
        if (not name.startswith("d") or not base or self.declares(name)
                or name in self._structures or name in self.inferred
                or not (self.declares(base) or base in self.names)):
            return None
        X = self.variable(base)
        return DifferentialSymbol.of(X) if isinstance(X, MatrixSymbol) else None

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
    symbol a scalar (a dimension of a shape stays a dimension); the differential ``dX``
    of a variable X is not declared, X is (``dX`` then reads as its differential)."""
    from sympy import Dummy
    shapes, structures = {}, {}
    for M in sorted(expr.atoms(MatrixSymbol), key=str):
        if isinstance(M, DifferentialSymbol):
            shapes.setdefault(M.variable_name, tuple(M.shape))
            continue
        shapes[M.name] = tuple(M.shape)
        if isinstance(M, StructuredMatrixSymbol):
            structures[M.name] = M.structure
    dims = {d for shape in shapes.values() for entry in shape
            for d in getattr(entry, "free_symbols", ())}
    scalars = sorted({s.name for s in expr.atoms(Symbol)
                      if not isinstance(s, Dummy) and s not in dims and s.name not in shapes})
    return {"shapes": shapes, "structures": structures, "scalars": tuple(scalars)}


def symbol_table(shapes=None, structures=None, scalars=(), convention="matcalc"):
    """A ``SymbolTable`` for these declarations (validated now)."""
    return SymbolTable(shapes, structures, scalars, convention)


@dataclass
class Parsed:
    """The result of ``parse``: the expression and the symbols it was built from."""

    expr: object
    symbols: dict = field(default_factory=dict)
    dims: dict = field(default_factory=dict)
    text: str = ""
