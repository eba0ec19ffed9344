"""Declared structure of matrix symbols: symmetric, SPD, invertible, orthogonal, ...

A structure travels with the symbol itself (a ``StructuredMatrixSymbol`` is a
``MatrixSymbol`` with one more argument), so it survives ``subs``/``xreplace``,
never leaks between unrelated expressions, and is seen by simplification
(``S.T -> S``, ``Q^{-1} -> Q^T``) and by the evaluator's random draws.
"""
from sympy import Basic, Identity, MatMul, MatrixSymbol, Transpose
from sympy.assumptions import Q, ask, global_assumptions
from sympy.core.symbol import Str
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.exceptions import NonSquareMatrixError

from ..algebra import canonical_product
from ..registry import REWRITE

__all__ = ["StructuredMatrixSymbol", "STRUCTURES", "structure_of", "is_symmetric",
           "symmetric", "spd", "invertible", "orthogonal", "diagonal", "positive",
           "declare", "gradient_structure"]

#: structure name -> properties it implies
STRUCTURES = {
    "general": frozenset(),
    "symmetric": frozenset({"symmetric"}),
    "spd": frozenset({"symmetric", "invertible", "spd"}),
    "invertible": frozenset({"invertible"}),
    "orthogonal": frozenset({"orthogonal", "invertible"}),
    "diagonal": frozenset({"symmetric", "diagonal"}),
    "positive": frozenset({"positive"}),
}
_SQUARE = {"symmetric", "spd", "invertible", "orthogonal", "diagonal"}


class StructuredMatrixSymbol(MatrixSymbol):
    """A MatrixSymbol with a declared structure (one of ``STRUCTURES``)."""

    def __new__(cls, name, n, m, structure):
        structure = str(structure).lower()
        if structure not in STRUCTURES:
            raise ValueError(f"unknown structure {structure!r} for {name}; "
                             f"choose one of {', '.join(sorted(STRUCTURES))}")
        n, m = _sympify(n), _sympify(m)
        if structure in _SQUARE and (n - m) != 0:
            raise NonSquareMatrixError(f"{structure} matrix {name} must be square, got {n} x {m}")
        base = MatrixSymbol(name, n, m)  # validates name and dimensions
        return Basic.__new__(cls, base.args[0], base.args[1], base.args[2], Str(structure))

    @property
    def structure(self):
        return self.args[3].name

    @property
    def properties(self):
        return STRUCTURES[self.structure]

    def doit(self, **hints):
        return self

    def _eval_subs(self, old, new):
        if self == old:
            return new
        n, m = (d._subs(old, new) for d in self.shape)
        return type(self)(self.name, n, m, self.structure)

    def _eval_transpose(self):
        if "symmetric" in self.properties:
            return self
        return super()._eval_transpose()

    def _eval_inverse(self):
        if "orthogonal" in self.properties:
            return self.T
        return super()._eval_inverse()


def _structured(structure):
    def make(name, n, m=None):
        return StructuredMatrixSymbol(name, n, n if m is None else m, structure)
    make.__name__ = structure
    make.__doc__ = (f"A {structure} matrix symbol: ``{structure}(name, n)``"
                    f" (square) or ``{structure}(name, n, m)``.")
    return make


symmetric = _structured("symmetric")
spd = _structured("spd")
invertible = _structured("invertible")
orthogonal = _structured("orthogonal")
diagonal = _structured("diagonal")
positive = _structured("positive")


def declare(symbol, structure):
    """Return ``symbol`` (a MatrixSymbol) re-made with the given structure."""
    if not isinstance(symbol, MatrixSymbol):
        raise TypeError(f"declare() needs a MatrixSymbol, got {type(symbol).__name__}")
    return StructuredMatrixSymbol(symbol.name, *symbol.shape, structure)


def _q_keys():
    """(structure, SymPy predicate) pairs, built when first needed: ``Q.symmetric`` and its
    kin load SymPy's matrix predicates and handlers (~25 ms, a fifth of ``import matcalc``)."""
    return (("spd", Q.positive_definite), ("orthogonal", Q.orthogonal),
            ("diagonal", Q.diagonal), ("symmetric", Q.symmetric),
            ("invertible", Q.invertible))


def structure_of(symbol):
    """The declared structure of a matrix symbol ("general" when none).

    Reads a StructuredMatrixSymbol's own structure, or SymPy's global
    assumptions (``with assuming(Q.symmetric(S)):``) for a plain MatrixSymbol.
    """
    if isinstance(symbol, StructuredMatrixSymbol):
        return symbol.structure
    if isinstance(symbol, MatrixSymbol) and global_assumptions:
        for name, key in _q_keys():
            if ask(key(symbol)):
                return name
    return "general"


#: the gradient a declared structure gets by default: the gradient on that structure (the
#: projection of the unconstrained gradient onto its tangent space), which is the same for
#: every spelling of the function -- SymPy rewrites S^T to S, Q^T Q to I, Q^{-1} to Q^T when
#: it builds the input, so "the unconstrained gradient as written" is not well defined there
DECLARED_STRUCTURE_GRADIENT = {"symmetric": "symmetric", "spd": "symmetric",
                               "diagonal": "diagonal", "orthogonal": "orthogonal"}


def gradient_structure(X, structure=None):
    """The structure a gradient w.r.t. ``X`` is taken on: ``structure`` when given ("general"
    for the unconstrained gradient as written), else the one ``X`` is declared with
    (``DECLARED_STRUCTURE_GRADIENT``), else None."""
    if structure is not None:
        return None if structure == "general" else structure
    return DECLARED_STRUCTURE_GRADIENT.get(structure_of(X))


def is_symmetric(symbol):
    return "symmetric" in STRUCTURES[structure_of(symbol)]


# == simplification ==

def _is_orthogonal(M):
    return isinstance(M, MatrixSymbol) and structure_of(M) == "orthogonal"


@REWRITE.register(MatMul)
def orthogonal_cancel(e):
    """Q Q^T = Q^T Q = I for an orthogonal Q."""
    coeff, mats = e.as_coeff_matrices()
    for i in range(len(mats) - 1):
        u, v = mats[i], mats[i + 1]
        if _is_orthogonal(u) and v == Transpose(u) or _is_orthogonal(v) and u == Transpose(v):
            rest = mats[:i] + mats[i + 2:]
            return canonical_product(coeff, rest or [Identity(u.shape[0])])
    return e
