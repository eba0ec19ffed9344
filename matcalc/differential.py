"""Matrix differentials (Magnus & Neudecker): one rule per construct.

``differential(f, X)`` returns df, an expression linear in the differential
symbol dX.  Each rule below is a short function ``rule(expr, d)`` that builds
the differential of ``expr`` from the differentials ``d(sub)`` of its parts;
``d`` is either the recursive differential itself (fast path, used by
``grad``) or a constructor of unevaluated ``d(U)`` nodes (``derive``, which
records every rule application as a step).

A construct without a rule raises ``UnsupportedError`` naming it: nothing ever
falls through to zero.
"""
from sympy import (Abs, Add, Derivative, Determinant, Function, Identity, Inverse, MatAdd,
                   MatMul, MatPow, Mul, Pow, S, Subs, Trace, log, sign)
from sympy.concrete.summations import Sum
from sympy.core.function import AppliedUndef
from sympy.tensor.indexed import Indexed
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr, MatrixSymbol
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

from .errors import UnsupportedError
from .expressions import DifferentialSymbol, Norm, ScalarElement, scalar
from .transpose import transpose_of

__all__ = ["differential", "rule_for", "RULE_NAMES", "is_matrix", "as_scalar"]


def is_matrix(expr):
    return isinstance(expr, MatrixExpr)


def as_scalar(f):
    """A 1x1 matrix expression as a scalar (``scalar(M)``); scalars unchanged."""
    if is_matrix(f):
        if tuple(f.shape) != (1, 1):
            raise ValueError(f"expected a scalar or a 1x1 matrix, got shape {f.shape}: {f}")
        return scalar(f)
    return f


# --------------------------------------------------------------------------
# Matrix-valued constructs
# --------------------------------------------------------------------------

def d_sum(U, d):
    """Linearity: d(U + V) = dU + dV."""
    return MatAdd(*[d(a) for a in U.args if depends(a, d)])


def d_matmul(U, d):
    """Product rule: d(c U V) = dc U V + c dU V + c U dV."""
    coeff, mats = U.as_coeff_matrices()
    terms = []
    if depends(coeff, d):
        terms.append(MatMul(d(coeff), *mats))
    lead = [] if coeff == 1 else [coeff]
    for i, factor in enumerate(mats):
        if depends(factor, d):
            terms.append(MatMul(*lead, *mats[:i], d(factor), *mats[i + 1:]))
    return MatAdd(*terms)


def d_transpose(U, d):
    """d(U^T) = (dU)^T."""
    return Transpose(d(U.arg))


def d_inverse(U, d):
    """d(U^{-1}) = -U^{-1} dU U^{-1}."""
    inv = Inverse(U.arg)
    return MatMul(S.NegativeOne, inv, d(U.arg), inv)


def d_matpow(U, d):
    """d(U^k) = sum_i U^i dU U^{k-1-i}; negative k through U^{-1}; 1x1 U: k U^{k-1} dU."""
    base, k = U.args
    if depends(k, d):
        raise UnsupportedError(f"a matrix power with a variable exponent, {U}")
    if tuple(base.shape) == (1, 1) and not (k.is_integer and k.is_number):
        return MatMul(k * scalar(base) ** (k - 1), d(base))
    if not (k.is_integer and k.is_number):
        raise UnsupportedError(f"the matrix power {U} with a non-integer or symbolic exponent",
                               "only integer exponents of square matrices are supported")
    k = int(k)
    if k == 0:
        return ZeroMatrix(*U.shape)
    if k < 0:
        base, k = Inverse(base), -k
    db = d(base)
    terms = [MatMul(_power(base, i), db, _power(base, k - 1 - i)) for i in range(k)]
    return MatAdd(*terms)


def _power(base, i):
    if i == 0:
        return Identity(base.shape[0])
    return base if i == 1 else MatPow(base, i)


def d_hadamard(U, d):
    """d(U ∘ V) = dU ∘ V + U ∘ dV."""
    args = list(U.args)
    return MatAdd(*[HadamardProduct(*args[:i], d(a), *args[i + 1:])
                    for i, a in enumerate(args) if depends(a, d)])


def d_hadamard_power(U, d):
    """d(U^{∘p}) = p U^{∘(p-1)} ∘ dU  (constant p)."""
    base, p = U.args
    if not is_matrix(base) or depends(p, d):
        raise UnsupportedError(f"the Hadamard power {U} with a variable exponent or scalar base")
    if p == 1:
        return d(base)
    power = base if p - 1 == 1 else HadamardPower(base, p - 1)
    return MatMul(p, HadamardProduct(power, d(base)))


def d_kronecker(U, d):
    """d(U ⊗ V) = dU ⊗ V + U ⊗ dV;  a column ⊗ a row is their outer product u v^T."""
    args = list(U.args)
    if len(args) == 2:
        column = next((a for a in args if a.shape[1] == 1), None)
        row = next((a for a in args if a.shape[0] == 1 and a is not column), None)
        if column is not None and row is not None:
            return d(MatMul(column, row))
    return MatAdd(*[KroneckerProduct(*args[:i], d(a), *args[i + 1:])
                    for i, a in enumerate(args) if depends(a, d)])


def d_diag_matrix(U, d):
    """d diag(u) = diag(du)."""
    return DiagMatrix(d(U.args[0]))


def d_diagonal_of(U, d):
    """d diagvec(U) = diagvec(dU)."""
    return DiagonalOf(d(U.args[0]))


def d_diagonal_matrix(U, d):
    """d (U ∘ I) = dU ∘ I."""
    return DiagonalMatrix(d(U.args[0]))


def d_elementwise(U, d):
    """d φ(U) = φ'(U) ∘ dU  (φ applied elementwise)."""
    derivative = U._get_function_fdiff()
    if derivative.atoms(Derivative, Subs):
        raise UnsupportedError(f"the elementwise function {U.function}",
                               "its derivative is not known to SymPy")
    return HadamardProduct(ElementwiseApplyFunction(derivative, U.expr), d(U.expr))


# --------------------------------------------------------------------------
# Scalar-valued constructs
# --------------------------------------------------------------------------

def d_add(s, d):
    """Linearity: d(a + b) = da + db."""
    return Add(*[d(a) for a in s.args if depends(a, d)])


def d_mul(s, d):
    """Product rule: d(a b) = da b + a db."""
    args = list(s.args)
    return Add(*[Mul(*args[:i], d(a), *args[i + 1:]) for i, a in enumerate(args) if depends(a, d)])


def d_pow(s, d):
    """d(a^p) = p a^{p-1} da;  d(b^a) = b^a log(b) da."""
    base, p = s.args
    if not depends(p, d):
        return p * base ** (p - 1) * d(base)
    if not depends(base, d):
        return s * log(base) * d(p)
    return s * (d(p) * log(base) + p * d(base) / base)


def d_trace(s, d):
    """d tr(U) = tr(dU)."""
    return Trace(d(s.arg))


def d_det(s, d):
    """d det(U) = det(U) tr(U^{-1} dU)."""
    U = s.arg
    return s * Trace(MatMul(Inverse(U), d(U)))


def d_logdet(s, d):
    """d log det(U) = tr(U^{-1} dU)."""
    U = s.args[0].arg
    return Trace(MatMul(Inverse(U), d(U)))


def d_norm(s, d):
    """d ||E||_F = tr(E^T dE) / ||E||_F."""
    E = s.arg
    return Trace(MatMul(transpose_of(E), d(E))) / s


def d_element(s, d):
    """d (M)_{00} = (dM)_{00}  for a 1x1 matrix M used as a scalar."""
    M, i, j = s.args
    if tuple(M.shape) != (1, 1):
        raise UnsupportedError(f"the matrix element {s}",
                               "only the [0, 0] element of a 1x1 expression is supported;"
                               " use matcalc.scalar(...) for x.T*A*x-style scalars")
    return ScalarElement(d(M), i, j)


def d_abs(s, d):
    """d |a| = sign(a) da."""
    return sign(s.args[0]) * d(s.args[0])


def d_function(s, d):
    """Chain rule: d φ(a) = φ'(a) da  (per argument for several)."""
    if any(is_matrix(a) for a in s.args):
        square = [a for a in s.args if is_matrix(a) and tuple(a.shape) != (1, 1)]
        if square:
            raise UnsupportedError(f"the matrix function {s}",
                                   "functions of whole matrices (matrix exponential, logarithm, ...)"
                                   " have no rule; for an elementwise function write M.applyfunc(f)")
        return d(s.func(*[as_scalar(a) for a in s.args]))
    if isinstance(s, AppliedUndef):
        raise UnsupportedError(f"the undefined function {s.func}",
                               "its derivative is unknown; give it as an explicit expression")
    terms = []
    for i, a in enumerate(s.args, start=1):
        if not depends(a, d):
            continue
        try:
            outer = s.fdiff(i)
        except Exception as exc:  # SymPy raises ArgumentIndexError and others
            raise UnsupportedError(f"the function {s.func}", f"no derivative: {exc}") from None
        if outer.atoms(Derivative, Subs):
            raise UnsupportedError(f"the function {s.func}", "SymPy knows no closed-form derivative")
        terms.append(outer * d(a))
    return Add(*terms)


# --------------------------------------------------------------------------
# The rule table
# --------------------------------------------------------------------------

#: (class, rule, name shown in derivations); looked up in order, first match wins.
RULES = (
    (MatAdd, d_sum, "linearity: d(U + V) = dU + dV"),
    (MatMul, d_matmul, "product rule: d(UV) = dU V + U dV"),
    (Transpose, d_transpose, "d(U^T) = (dU)^T"),
    (Inverse, d_inverse, "d(U^{-1}) = -U^{-1} dU U^{-1}"),
    (MatPow, d_matpow, "d(U^k) = sum_i U^i dU U^{k-1-i}"),
    (HadamardProduct, d_hadamard, "product rule: d(U ∘ V) = dU ∘ V + U ∘ dV"),
    (HadamardPower, d_hadamard_power, "d(U^{∘p}) = p U^{∘(p-1)} ∘ dU"),
    (KroneckerProduct, d_kronecker, "product rule: d(U ⊗ V) = dU ⊗ V + U ⊗ dV"),
    (DiagMatrix, d_diag_matrix, "d diag(u) = diag(du)"),
    (DiagonalOf, d_diagonal_of, "d diagvec(U) = diagvec(dU)"),
    (DiagonalMatrix, d_diagonal_matrix, "d(U ∘ I) = dU ∘ I"),
    (ElementwiseApplyFunction, d_elementwise, "d φ(U) = φ'(U) ∘ dU"),
    (Add, d_add, "linearity: d(a + b) = da + db"),
    (Mul, d_mul, "product rule: d(ab) = da b + a db"),
    (Pow, d_pow, "power rule: d(a^p) = p a^{p-1} da"),
    (Trace, d_trace, "d tr(U) = tr(dU)"),
    (Determinant, d_det, "d det(U) = det(U) tr(U^{-1} dU)"),
    (Norm, d_norm, "d ||E|| = tr(E^T dE) / ||E||"),
    (MatrixElement, d_element, "d (M)_{00} = (dM)_{00}"),
    (Abs, d_abs, "d |a| = sign(a) da"),
    (Function, d_function, "chain rule: d φ(a) = φ'(a) da"),
)

RULE_NAMES = {rule: name for _, rule, name in RULES}
RULE_NAMES[d_logdet] = "d log det(U) = tr(U^{-1} dU)"


def rule_for(expr):
    """The rule that differentiates ``expr``'s outermost construct."""
    if isinstance(expr, log) and isinstance(expr.args[0], Determinant):
        return d_logdet
    for cls, rule, _ in RULES:
        if isinstance(expr, cls):
            return rule
    if isinstance(expr, (Sum, Indexed)) or (isinstance(expr, MatrixElement) is False and expr.has(Sum)):
        raise UnsupportedError(f"the index sum {expr}",
                               "SymPy's M[0, 0] of a matrix product expands into one;"
                               " write matcalc.scalar(M) (or use the 1x1 product itself) instead")
    raise UnsupportedError(f"{type(expr).__name__} ({expr})")


# --------------------------------------------------------------------------
# Driving the rules
# --------------------------------------------------------------------------

def depends(expr, d):
    """Does ``expr`` depend on the variable that ``d`` differentiates for?"""
    return d.depends(expr)


class _Differentiator:
    """The recursive differential w.r.t. one variable, memoised per node."""

    def __init__(self, variable):
        self.variable = variable
        self.dX = DifferentialSymbol.of(variable)
        self._depends = {}
        self._memo = {}

    def depends(self, expr):
        """Does ``expr`` contain the variable?  Bottom-up, memoised per node."""
        hit = self._depends.get(expr)
        if hit is None:
            hit = self._depends[expr] = expr == self.variable or any(
                self.depends(a) for a in expr.args)
        return hit


    def zero(self, expr):
        return ZeroMatrix(*expr.shape) if is_matrix(expr) else S.Zero

    def __call__(self, expr):
        if expr == self.variable:
            return self.dX
        if not self.depends(expr):
            return self.zero(expr)
        hit = self._memo.get(expr)
        if hit is None:
            hit = self._memo[expr] = rule_for(expr)(expr, self)
        return hit


def differential(f, X):
    """df for a scalar or matrix expression ``f``, linear in dX (X a MatrixSymbol)."""
    return _Differentiator(X)(f)


def differential_steps(f, X):
    """df together with the derivation steps [(rule name, expression after it), ...].

    Unevaluated ``d(U)`` nodes are expanded one at a time, outermost first, so
    every step shows the whole differential after one rule.
    """
    from .expressions import Differential, ScalarDifferential

    fast = _Differentiator(X)

    class _Lazy:
        depends = staticmethod(fast.depends)

        def __call__(self, expr):
            if expr == X:
                return fast.dX
            if not fast.depends(expr):
                return fast.zero(expr)
            return Differential(expr) if is_matrix(expr) else ScalarDifferential(expr)

    lazy = _Lazy()
    current = lazy(f)
    steps = [("differential", current)]
    while True:
        node = _first_unexpanded(current, (Differential, ScalarDifferential))
        if node is None:
            return current, steps
        rule = rule_for(node.arg)
        current = _flatten(current.xreplace({node: rule(node.arg, lazy)}))
        steps.append((RULE_NAMES[rule], current))


def _flatten(expr):
    """Nested products and sums flattened (for display; no evaluation)."""
    if not expr.args or isinstance(expr, MatrixSymbol):
        return expr
    args = [_flatten(a) for a in expr.args]
    if isinstance(expr, (MatMul, MatAdd)):
        flat = []
        for a in args:
            flat.extend(a.args if type(a) is type(expr) else (a,))
        if isinstance(expr, MatMul):
            flat = [a for a in flat if a != 1]
        return flat[0] if len(flat) == 1 else type(expr)(*flat)
    return expr.func(*args) if args != list(expr.args) else expr


def _first_unexpanded(expr, kinds):
    if isinstance(expr, kinds):
        return expr
    for a in expr.args:
        hit = _first_unexpanded(a, kinds)
        if hit is not None:
            return hit
    return None
