"""matcalc: symbolic matrix calculus on SymPy.

    >>> from sympy import MatrixSymbol, Trace, symbols
    >>> import matcalc
    >>> n, k = symbols("n k", integer=True, positive=True)
    >>> X, W, Y = MatrixSymbol("X", n, k), MatrixSymbol("W", k, n), MatrixSymbol("Y", n, n)
    >>> matcalc.grad(Trace((X*W - Y).T*(X*W - Y)), W)
    2*X.T*(X*W - Y)
"""
from .errors import (CatalogueError, MatcalcError, NonSquareMatrixError, ParseError, ShapeError,
                     UnsupportedError)
from .expressions import Norm, logdet, norm, scalar, sigmoid
from .gradient import Derivation, Step, derive, grad
from .latex import derivation_latex, latex
from .display import init_printing
from .structure import (declare, diagonal, invertible, orthogonal, positive, spd, structure_of,
                        symmetric)

__version__ = "0.1.0"

__all__ = ["grad", "derive", "Derivation", "Step", "UnsupportedError", "ShapeError",
           "NonSquareMatrixError", "ParseError", "CatalogueError", "MatcalcError", "norm", "Norm",
           "sigmoid", "scalar", "logdet", "latex", "derivation_latex", "init_printing", "symmetric", "spd", "invertible", "orthogonal",
           "diagonal", "positive", "declare", "structure_of"]


def __getattr__(name):
    # the evaluator and the Jacobian/Hessian engine load on first use
    if name in ("check", "check_jacobian", "check_hessian"):
        from . import numeric
        return getattr(numeric, name)
    if name in ("jacobian", "hessian", "derivative_tensor"):
        # bind the functions over the submodule attribute Python sets on import
        import importlib
        module = importlib.import_module(".jacobian", __name__)
        for public in ("jacobian", "hessian", "derivative_tensor"):
            globals()[public] = getattr(module, public)
        return globals()[name]
    raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
