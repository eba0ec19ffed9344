"""The public entry points: differential -> identify -> simplify -> result.

    grad(f, X)                                  G[i, j] = df / dX[i, j]   (shape of X)
    grad(f, X, layout="numerator")              G^T                       (MML ch. 5)
    grad(f, X, structure="symmetric")           (G + G^T) / 2
    grad(f, X, structure="symmetric-elementwise")  G + G^T - G ∘ I        (Cookbook 2.8.2)
    derive(f, X)                                a Derivation: the result and every step
    jacobian(F, X)                    J = d vec(F) / d vec(X)^T        (rs x pq; numerator layout)
    jacobian(F, X, "denominator")     J^T = d vec(F)^T / d vec(X)      (pq x rs)
    hessian(f, X)                     H = d^2 f / d vec(X) d vec(X)^T  (pq x pq, symmetric)

``vec`` stacks columns.  The Hessian is the Jacobian of vec(grad f); a scalar F gives the
row vec(grad f)^T.  A scalar ``Symbol`` t or an entry X[m, n] may be the variable too
(``matcalc.variables``): ``grad(f, t) = df/dt``, ``diff(F, t) = dF/dt`` shaped like F.
"""
import functools
import sys
from dataclasses import dataclass, field

from sympy import Derivative, Identity, MatAdd, MatMul, MatrixSymbol, Rational, nan, oo, zoo
from sympy.core.function import AppliedUndef
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from .algebra import matadd, scaled, split_coeff, transpose_of
from .constructs.differentials import DifferentialSymbol
from .constructs.hadamard import hadamard
from .constructs.scalars import as_scalar
from .constructs.structured import gradient_structure
from .constructs.trace import trace
from .differential import differential, differential_steps
from .errors import NonFiniteError, UnsupportedError
from .identify import gradient_terms, scalar_jacobian, vec_jacobian
from .dag import describe, distinct_nodes, tree_size
from .shapes import check_shapes
from .constructs.explicit import explicit_parts_merged
from .constructs.undefined import commutative_functions
from .constructs.vec import vec
from .variables import (DT_IS_ONE, entry_derivative, scalar_derivative, scalar_derivative_steps,
                        variable_kind)
from .simplify import normalize, simplify_result
from .simplify.kronecker_form import simplify_jacobian

__all__ = ["grad", "derive", "diff", "Derivation", "Step", "jacobian", "hessian", "GRADIENT_LAYOUTS",
           "JACOBIAN_LAYOUTS", "GRADIENT_STRUCTURES"]

#: layouts of a gradient: shaped like X (denominator) or its transpose (numerator, MML)
GRADIENT_LAYOUTS = ("denominator", "numerator")
#: layouts of a Jacobian: d vec(F)/d vec(X)^T (numerator) or its transpose (denominator)
JACOBIAN_LAYOUTS = ("numerator", "denominator")
GRADIENT_STRUCTURES = (None, "general", "symmetric", "symmetric-elementwise", "diagonal",
                       "orthogonal")

#: the stages (and SymPy's sort keys and canonicalizers under them) recurse along the input,
#: about 1.5x as deep as SymPy needs to build it: a network of 70 - 97 layers builds at
#: Python's default limit of 1000 and would fail with a RecursionError (as the CLI does)
_RECURSION_LIMIT = 20_000


def _room_to_recurse(entry):
    """``entry`` run with the recursion limit raised to ``_RECURSION_LIMIT`` (restored
    after)."""
    @functools.wraps(entry)
    def wrapper(*args, **kwargs):
        limit = sys.getrecursionlimit()
        if limit >= _RECURSION_LIMIT:
            return entry(*args, **kwargs)
        sys.setrecursionlimit(_RECURSION_LIMIT)
        try:
            return entry(*args, **kwargs)
        finally:
            sys.setrecursionlimit(limit)
    return wrapper


@dataclass(frozen=True)
class Step:
    """One step of a derivation: the rule applied and the expression after it."""
    rule: str
    expr: object
    lhs: str = ""

    def __iter__(self):  # (rule, expr) unpacking
        return iter((self.rule, self.expr))


@dataclass
class Derivation:
    """A derivation of a gradient: ``result`` and the ``steps`` that led to it."""
    f: object
    wrt: object
    result: object
    steps: list = field(default_factory=list)
    kind: str = "gradient"

    def __str__(self):
        width = max((len(s.rule) for s in self.steps), default=0)
        lines = [f"{self.kind} of {self.f} with respect to {self.wrt}"]
        lines += [f"  {s.rule:<{width}}   {s.expr}" for s in self.steps]
        lines.append(f"  result: {self.result}")
        return "\n".join(lines)

    def latex(self):
        from .printing.derivation import derivation_latex
        return derivation_latex(self)

    def _repr_latex_(self):
        return "$$" + self.latex().replace("\\begin{align*}", "\\begin{aligned}") \
            .replace("\\end{align*}", "\\end{aligned}") + "$$"


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

_NON_FINITE = {nan: "nan (an undefined number)",
               zoo: "zoo (complex infinity, e.g. from a division by zero)",
               oo: "oo (infinity)", -oo: "-oo (infinity)"}


def _contains(expr, values=(), types=()):
    """The first node of ``expr`` equal to one of ``values`` or an instance of ``types``, or
    None.  Each distinct node is visited once: a result is a DAG whose tree can be quadratic
    in its size (``Basic.has`` walks the tree: 11 walks were 40% of a K = 64 network's
    gradient)."""
    return next((node for node in distinct_nodes(expr)
                 if node in values or isinstance(node, types)), None)


#: a derivative whose tree (what text and LaTeX write, what str() and NumPy code would
#: have to print) has more nodes than this is refused: it could not be printed or compiled
#: in bounded time (a Hessian of nested explicit matrices drawn by the campaign had
#: 18.7 million nodes on a DAG of a few thousand)
MAX_RESULT_NODES = 1_000_000


def _require_finite(expr, what):
    """Refuse ``expr`` when it holds nan, zoo or an infinity (it has no finite value), or
    when it is too large to write out."""
    found = _contains(expr, values=tuple(_NON_FINITE))
    if found is not None:
        raise NonFiniteError(f"{what} is not finite: it contains {_NON_FINITE[found]}: "
                             f"{describe(expr)}")
    size = tree_size(expr)
    if size > MAX_RESULT_NODES:
        raise UnsupportedError(f"{what} at this size",
                               f"written out it has {size:,} nodes, over the limit of "
                               f"{MAX_RESULT_NODES:,} (matcalc.derivatives.MAX_RESULT_NODES) "
                               "past which it could not be printed or compiled in bounded time")
    return expr


def _unknown_derivatives(expr):
    """The unevaluated derivatives in ``expr`` other than those of undefined functions
    (f'(x) of ``Function("f")``, which are results matcalc itself returns)."""
    return [D for D in distinct_nodes(expr)
            if isinstance(D, Derivative) and not isinstance(D.expr, AppliedUndef)]


def _function(f):
    """``f`` as a SymPy expression (never text), free of unevaluated derivatives, finite,
    well shaped."""
    if isinstance(f, str):
        raise TypeError("the function must be a SymPy expression, not text; parse text with "
                        "matcalc.parse.parse(text), which never evaluates it")
    f = _sympify(f)
    if _unknown_derivatives(f):
        raise ValueError(f"the function contains an unevaluated Derivative: {f}")
    _require_finite(f, "the function")
    check_shapes(f)
    return commutative_functions(f)


def _validate_gradient(f, X, layout, structure):
    kind = variable_kind(X)
    if kind != "matrix" and structure is not None:
        raise ValueError(f"structure={structure!r} needs a matrix variable, {X} is a {kind}")
    if kind == "entry":
        X = X.parent
    if kind == "scalar":
        X = MatrixSymbol(X.name, 1, 1)   # only for the checks below
    if layout not in GRADIENT_LAYOUTS:
        raise ValueError(f"layout must be one of {GRADIENT_LAYOUTS}, got {layout!r}")
    if structure not in GRADIENT_STRUCTURES:
        raise ValueError(f"structure must be one of {GRADIENT_STRUCTURES}, got {structure!r}")
    if structure is not None and X.shape[0] != X.shape[1]:
        raise ValueError(f"structure={structure!r} needs a square variable, {X} is {X.shape[0]} x {X.shape[1]}")
    if isinstance(f, str):
        _function(f)
    f = _sympify(f)
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ValueError(f"grad needs a scalar function; {f} has shape {f.shape[0]} x {f.shape[1]}"
                         " (use matcalc.jacobian for matrix-valued functions)")
    return as_scalar(_function(f))


# --------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------

def _apply_structure(G, structure, X):
    """sym(G) = (G + G^T)/2;  Cookbook 2.8.2: G + G^T - G ∘ I;  diagonal: G ∘ I;
    orthogonal (the Riemannian gradient, embedded metric): (G - X G^T X)/2."""
    if structure == "diagonal":
        return hadamard(G, Identity(G.shape[0]))
    if structure == "orthogonal":
        return MatMul(Rational(1, 2), MatAdd(G, MatMul(-1, X, transpose_of(G), X)))
    if structure == "symmetric":
        return MatMul(Rational(1, 2), MatAdd(G, transpose_of(G)))
    if structure == "symmetric-elementwise":
        return MatAdd(G, transpose_of(G), MatMul(-1, hadamard(G, Identity(G.shape[0]))))
    return G


def _finish(G, layout, structure, X):
    G = simplify_result(G)
    if structure is not None:
        G = simplify_result(_apply_structure(G, structure, X))
    if layout == "numerator":
        G = simplify_result(transpose_of(G))
    if _unknown_derivatives(G):
        raise AssertionError(f"internal error: unevaluated Derivative in a result: {G}")
    return _require_finite(explicit_parts_merged(G), "the derivative")


def _gradient(df, X):
    terms = gradient_terms(df, DifferentialSymbol.of(X))
    if not terms:
        return ZeroMatrix(*X.shape)
    return MatAdd(*terms) if len(terms) > 1 else terms[0]


@_room_to_recurse
def grad(f, X, layout="denominator", structure=None, named=False):
    """The gradient of the scalar ``f`` with respect to the matrix ``X``, in closed form.

    ``X`` may also be a scalar ``Symbol`` t (df/dt) or an entry ``X[m, n]`` of a matrix
    symbol (df/dX_{mn}).  ``named=True`` returns a ``matcalc.named.Named``: the gradient
    written over named shared subexpressions (``Z_1 = W_1 x``, ...), linear in the depth of
    a composition.  Raises ``UnsupportedError`` naming any construct matcalc has no
    rule for.
    """
    f = _validate_gradient(f, X, layout, structure)
    kind = variable_kind(X)
    if kind == "scalar":
        return _require_finite(scalar_derivative(f, X), "the derivative")
    if kind == "entry":
        return _require_finite(entry_derivative(f, X, lambda g, M: grad(g, M, structure=structure)),
                               "the derivative")
    result = _finish(_gradient(differential(f, X), X), layout, gradient_structure(X, structure), X)
    if named:
        from .named import name_intermediates
        return name_intermediates(result)
    return result


@_room_to_recurse
def derive(f, X, layout="denominator", structure=None):
    """Like ``grad`` but returns a ``Derivation`` with every step recorded."""
    f = _validate_gradient(f, X, layout, structure)
    kind = variable_kind(X)
    if kind == "scalar":
        result, dsteps = scalar_derivative_steps(f, X)
        steps = [Step(rule, expr, "df" if rule != DT_IS_ONE else f"df/d{X.name}")
                 for rule, expr in dsteps]
        return Derivation(f, X, _require_finite(result, "the derivative"), steps)
    if kind == "entry":
        return Derivation(f, X, grad(f, X, structure=structure))
    df, dsteps = differential_steps(f, X)
    steps = [Step(rule, expr, "df") for rule, expr in dsteps]
    raw = _gradient(df, X)
    canonical = simplify_result(raw)
    dX = DifferentialSymbol.of(X)
    steps.append(Step("trace cyclic: df = tr(G^T dX)", trace(MatMul(transpose_of(canonical), dX)),
                      "df"))
    steps.append(Step("identify gradient: G", canonical, f"grad_{X.name} f"))
    structure = gradient_structure(X, structure)
    G = _finish(raw, layout, structure, X)
    if structure is not None:
        steps.append(Step(f"structure={structure}", G, f"grad_{X.name} f"))
    elif layout == "numerator":
        steps.append(Step("numerator layout: transpose", G, f"grad_{X.name} f"))
    return Derivation(f, X, G, steps)


# --------------------------------------------------------------------------
# Jacobians and Hessians
# --------------------------------------------------------------------------

def _is_scalar(F):
    return not isinstance(F, MatrixExpr) or tuple(F.shape) == (1, 1)


def _prepare(F, X):
    """(F, X): ``F`` validated, ``X`` a MatrixSymbol (a ``TypeError`` otherwise)."""
    F = _function(F)
    if variable_kind(X) != "matrix":
        raise TypeError(f"the variable must be a MatrixSymbol here, got {X!r}")
    return F, X


def diff(F, X):
    """dF/dX for a scalar ``Symbol`` X = t (shaped like F: SymPy's ``F.diff(t)``) or an entry
    X = M[m, n] of a matrix symbol (dF/dM_{mn}); for a MatrixSymbol X use grad/jacobian."""
    F = _function(F)
    kind = variable_kind(X)
    if kind == "scalar":
        return _require_finite(scalar_derivative(F, X), "the derivative")
    if kind == "entry":
        return _require_finite(entry_derivative(F, X, grad), "the derivative")
    raise TypeError(f"diff takes a scalar Symbol or an entry X[m, n]; for the matrix {X} use "
                    "matcalc.grad (scalar F) or matcalc.jacobian")


@_room_to_recurse
def jacobian(F, X, layout="numerator"):
    """d vec(F) / d vec(X)^T (shape rs x pq) in Kronecker form; ``layout="denominator"``
    gives its transpose.

    ``jacobian(A*X*B, X) = B^T ⊗ A``, ``jacobian(X.T, X) = K_{p,q}``,
    ``jacobian(X.I, X) = -(X^{-T} ⊗ X^{-1})``; a scalar F gives vec(grad F)^T.
    Raises ``UnsupportedError`` naming any construct without a rule.
    """
    if layout not in JACOBIAN_LAYOUTS:
        raise ValueError(f"layout must be one of {JACOBIAN_LAYOUTS}, got {layout!r}")
    if variable_kind(X) == "scalar":   # d vec(F)/dt: vec(dF/dt), rs x 1
        D = diff(F, X)
        if isinstance(D, MatrixExpr):
            terms = D.args if isinstance(D, MatAdd) else (D,)
            D = matadd(*[scaled(c, vec(M)) for c, M in map(split_coeff, terms)])
            D = transpose_of(D) if layout == "denominator" else D
        return D
    F, X = _prepare(F, X)
    dX = DifferentialSymbol.of(X)
    if _is_scalar(F):
        J = scalar_jacobian(differential(as_scalar(F), X), dX)
    else:
        J = vec_jacobian(differential(F, X), dX)
    if layout == "denominator":
        J = simplify_jacobian(transpose_of(J)) if isinstance(J, MatrixExpr) else J
    return _require_finite(explicit_parts_merged(J), "the derivative")


@_room_to_recurse
def hessian(f, X):
    """d^2 f / d vec(X) d vec(X)^T (pq x pq) for a scalar f: the Jacobian of vec(grad f).

    For a vector x (n x 1) it is the ordinary n x n Hessian.
    """
    if variable_kind(X) == "scalar":   # d^2 f / dt^2
        return diff(diff(as_scalar(_function(f)), X), X)
    f, X = _prepare(f, X)
    if not _is_scalar(f):
        raise ValueError(f"hessian needs a scalar function; {f} has shape "
                         f"{f.shape[0]} x {f.shape[1]} (use jacobian)")
    # the gradient is differentiated as an unconstrained function of X: a structured
    # (e.g. symmetric) X would let grad simplify X^T to X first, which changes the
    # gradient off the structure and so its derivative in non-symmetric directions
    plain = MatrixSymbol(X.name, *X.shape)
    G = grad(as_scalar(f).xreplace({X: plain}), plain)
    H = vec_jacobian(differential(G, plain), DifferentialSymbol.of(plain))
    if plain != X:
        H = simplify_jacobian(normalize(H.xreplace({plain: X})))
    return _require_finite(explicit_parts_merged(H), "the derivative")
