"""``grad`` and ``derive``: differential -> identify -> simplify -> result.

    grad(f, X)                                  G[i, j] = df / dX[i, j]   (shape of X)
    grad(f, X, layout="numerator")              G^T                       (MML ch. 5)
    grad(f, X, structure="symmetric")           (G + G^T) / 2
    grad(f, X, structure="symmetric-elementwise")  G + G^T - G ∘ I        (Cookbook 2.8.2)
"""
from dataclasses import dataclass, field

from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy import Derivative, Identity, MatAdd, MatMul, Rational, Symbol, Trace
from sympy.matrices.expressions.hadamard import HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixExpr, MatrixSymbol
from sympy.matrices.expressions.special import ZeroMatrix

from .differential import as_scalar, differential, differential_steps
from .constructs.differentials import DifferentialSymbol
from .identify import gradient_terms
from .shapes import check_shapes
from .simplify import simplify_result
from .algebra import transpose_of

__all__ = ["grad", "derive", "Derivation", "Step", "LAYOUTS", "GRADIENT_STRUCTURES"]

LAYOUTS = ("denominator", "numerator")
GRADIENT_STRUCTURES = (None, "symmetric", "symmetric-elementwise")


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


def _validate(f, X, layout, structure):
    if not isinstance(X, MatrixSymbol):
        kind = "a scalar Symbol" if isinstance(X, Symbol) else type(X).__name__
        raise TypeError(f"the variable must be a MatrixSymbol (a vector is an n x 1 MatrixSymbol), "
                        f"got {kind}: {X!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if structure not in GRADIENT_STRUCTURES:
        raise ValueError(f"structure must be one of {GRADIENT_STRUCTURES}, got {structure!r}")
    if structure is not None and X.shape[0] != X.shape[1]:
        raise ValueError(f"structure={structure!r} needs a square variable, {X} is {X.shape[0]} x {X.shape[1]}")
    if isinstance(f, str):
        raise TypeError("the function must be a SymPy expression, not text; parse text with "
                        "matcalc.parse.parse(text), which never evaluates it")
    f = _sympify(f)
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ValueError(f"grad needs a scalar function; {f} has shape {f.shape[0]} x {f.shape[1]}"
                         " (use matcalc.jacobian for matrix-valued functions)")
    if f.has(Derivative):
        raise ValueError(f"the function contains an unevaluated Derivative: {f}")
    check_shapes(f)
    return as_scalar(f)


def _apply_structure(G, structure):
    """sym(G) = (G + G^T)/2;  Cookbook 2.8.2: G + G^T - G ∘ I."""
    if structure == "symmetric":
        return MatMul(Rational(1, 2), MatAdd(G, transpose_of(G)))
    if structure == "symmetric-elementwise":
        return MatAdd(G, transpose_of(G), MatMul(-1, HadamardProduct(G, Identity(G.shape[0]))))
    return G


def _finish(G, X, layout, structure):
    G = simplify_result(G)
    if structure is not None:
        G = simplify_result(_apply_structure(G, structure))
    if layout == "numerator":
        G = simplify_result(transpose_of(G))
    if G.has(Derivative):
        raise AssertionError(f"internal error: unevaluated Derivative in a result: {G}")
    return G


def _identify(df, X):
    dX = DifferentialSymbol.of(X)
    terms = gradient_terms(df, dX)
    if not terms:
        return ZeroMatrix(*X.shape)
    return MatAdd(*terms) if len(terms) > 1 else terms[0]


def grad(f, X, layout="denominator", structure=None):
    """The gradient of the scalar ``f`` with respect to the matrix ``X``, in closed form.

    Raises ``UnsupportedError`` naming any construct matcalc has no rule for.
    """
    f = _validate(f, X, layout, structure)
    return _finish(_identify(differential(f, X), X), X, layout, structure)


def derive(f, X, layout="denominator", structure=None):
    """Like ``grad`` but returns a ``Derivation`` with every step recorded."""
    f = _validate(f, X, layout, structure)
    df, dsteps = differential_steps(f, X)
    steps = [Step(rule, expr, "df") for rule, expr in dsteps]
    dX = DifferentialSymbol.of(X)
    terms = gradient_terms(df, dX)
    raw = MatAdd(*terms) if len(terms) > 1 else (terms[0] if terms else ZeroMatrix(*X.shape))
    canonical = simplify_result(raw)
    steps.append(Step("trace cyclic: df = tr(G^T dX)", Trace(MatMul(transpose_of(canonical), dX)), "df"))
    steps.append(Step("identify gradient: G", canonical, f"grad_{X.name} f"))
    G = _finish(raw, X, layout, structure)
    if structure is not None:
        steps.append(Step(f"structure={structure}", G, f"grad_{X.name} f"))
    elif layout == "numerator":
        steps.append(Step("numerator layout: transpose", G, f"grad_{X.name} f"))
    return Derivation(f, X, G, steps)
