"""matcalc: symbolic matrix calculus on SymPy.

    >>> from sympy import MatrixSymbol, Trace, symbols
    >>> import matcalc
    >>> n, k = symbols("n k", integer=True, positive=True)
    >>> X, W, Y = MatrixSymbol("X", n, k), MatrixSymbol("W", k, n), MatrixSymbol("Y", n, n)
    >>> matcalc.grad(Trace((X*W - Y).T*(X*W - Y)), W)
    2*X.T*(X*W - Y)
"""
import os as _os
import sys as _sys

#: SymPy's cache keeps equal subexpressions one object; at its default of 1,000 entries a
#: large derivation evicts them, rebuilds them and compares the copies node by node (the
#: Hessian of a function of nested explicit matrices: 87 s at 1,000 entries, 12.5 s at
#: 20,000, 85 vs 93 MB peak).  It is read when SymPy is first imported, so this takes
#: effect when matcalc is imported first (the CLI, the campaign) and never overrides a
#: value the user set.
CACHE_SIZE = "20000"
if "sympy" not in _sys.modules:
    _os.environ.setdefault("SYMPY_CACHE_SIZE", CACHE_SIZE)

from . import sympy_fixes  # noqa: E402,F401  (a SymPy 1.14 workaround; see the module)
from .errors import (CatalogueError, MatcalcError, NonFiniteError, NonSquareMatrixError,
                     ParseError, ShapeError, UnsupportedError)
from . import constructs  # noqa: F401  (registers every construct's rules)
from .constructs.commutation import CommutationMatrix
from .constructs.determinant import logdet
from .constructs.functions import sigmoid
from .constructs.matrix_function import matrix_function
from .constructs.norm import Norm, norm
from .constructs.nonsmooth import relu
from .constructs.scalars import scalar
from .constructs.softmax import logsumexp, softmax
from .constructs.vec import Vec, vec
from .constructs.block_function import frechet
from .constructs.cholesky import cholesky, phi
from .constructs.eigen import eigenvalue, eigenvector, left_eigenvector
from .constructs.eigensystem import eigenvalues, eigenvectors
from .constructs.matrix_functions import expm, logm, sqrtm
from .constructs.pinv import pinv
from .constructs.svd import (nuclear_norm, singular_value, singular_vector, singular_vectors,
                             spectral_norm)
from .derivatives import Derivation, Step, derive, diff, grad, hessian, jacobian
from .printing import derivation_latex, init_printing, latex
from .constructs.structured import (declare, diagonal, invertible, orthogonal, positive, spd, structure_of,
                        symmetric)

__version__ = "0.1.0"

__all__ = ["grad", "derive", "diff", "Derivation", "Step", "jacobian", "hessian", "derivative_tensor",
           "tensor_from_jacobian", "jacobian_from_tensor", "check", "check_jacobian",
           "check_hessian", "latex", "derivation_latex", "init_printing",
           "UnsupportedError", "ShapeError", "NonSquareMatrixError", "ParseError",
           "CatalogueError", "MatcalcError", "NonFiniteError", "norm", "Norm", "sigmoid", "scalar", "logdet",
           "relu", "softmax", "logsumexp",
           "matrix_function",
           "CommutationMatrix", "Vec", "vec", "symmetric", "spd", "invertible", "orthogonal",
           "diagonal", "positive", "declare", "structure_of",
           "eigenvalue", "eigenvector", "left_eigenvector", "eigenvalues", "eigenvectors",
           "singular_value", "singular_vector", "singular_vectors", "spectral_norm",
           "nuclear_norm", "pinv", "cholesky", "phi", "expm", "logm", "sqrtm", "frechet",
           "name_intermediates", "Named"]


_LAZY = {  # name -> submodule; loaded on first use (the evaluator imports numpy)
    "check": "numeric", "check_jacobian": "numeric", "check_hessian": "numeric",
    "derivative_tensor": "tensor", "tensor_from_jacobian": "tensor",
    "jacobian_from_tensor": "tensor", "name_intermediates": "named", "Named": "named",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
