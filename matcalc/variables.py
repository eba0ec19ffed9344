r"""Variables that are not a whole matrix: a scalar ``Symbol`` t and an entry X_{mn} of a matrix.

    df/dt       = df |_{dt = 1}                   (df is linear in the scalar dt)
    dF/dt       = dF |_{dt = 1}                   (a matrix F: shaped like F, SymPy's F.diff(t))
    df/dX_{mn}  = (grad_X f)_{mn}                 ((P E_{ij} Q)_{mn} = P_{mi} Q_{jn} ...)
    dF/dX_{mn}  = dF |_{dX = E_{mn}}

So ``grad(exp(x1 x2^2), t)`` with x = g(t) reads like MML's chain-rule example, and SymPy's
``expr[i, j].diff(A[m, n])`` has a matrix-form answer.
"""
from sympy import MatrixSymbol, Symbol
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from .constructs.differentials import differential_symbol
from .constructs.explicit import explicit_parts_merged
from .constructs.unit_matrix import UnitMatrix, entry
from .differential import differential, differential_steps
from .simplify import normalize, simplify_result

__all__ = ["variable_kind", "scalar_derivative", "scalar_derivative_steps", "entry_derivative",
           "DT_IS_ONE"]

#: the name of the identification step for a scalar variable
DT_IS_ONE = "identify df/dt: dt = 1"


def variable_kind(X):
    """"matrix" (a MatrixSymbol), "scalar" (a Symbol) or "entry" (X[m, n] of a MatrixSymbol);
    a ``TypeError`` for anything else."""
    if isinstance(X, MatrixSymbol):
        return "matrix"
    if isinstance(X, MatrixElement) and isinstance(X.parent, MatrixSymbol):
        return "entry"
    if isinstance(X, Symbol):
        return "scalar"
    raise TypeError(f"the variable must be a MatrixSymbol (a vector is an n x 1 MatrixSymbol), "
                    f"a scalar Symbol or an entry X[m, n] of a MatrixSymbol, got "
                    f"{type(X).__name__}: {X!r}")


def _at_one(dF, t):
    """dF with dt = 1: the derivative, since dF is linear in dt."""
    D = dF.xreplace({differential_symbol(t): 1})
    return explicit_parts_merged(simplify_result(D) if isinstance(D, MatrixExpr) else normalize(D))


def scalar_derivative(F, t):
    """dF/dt for a scalar Symbol t: a scalar for a scalar F, shaped like F for a matrix."""
    return _at_one(differential(F, t), t)


def scalar_derivative_steps(F, t):
    """(dF/dt, [(rule, expression), ...]) with every rule of the differential recorded."""
    dF, steps = differential_steps(F, t)
    result = _at_one(dF, t)
    return result, steps + [(DT_IS_ONE, result)]


def entry_derivative(F, X, gradient):
    """dF/dX_{mn} for an entry X = M[m, n]: of a scalar F, (grad_M F)_{mn} (``gradient`` is
    grad itself); of a matrix F, dF with dM = E_{mn}."""
    M, m, n = X.args
    if not isinstance(F, MatrixExpr) or tuple(F.shape) == (1, 1):
        return normalize(entry(gradient(F, M), m, n))
    unit = UnitMatrix(M.shape[0], M.shape[1], m, n)
    return simplify_result(differential(F, M).xreplace({differential_symbol(M): unit}))
