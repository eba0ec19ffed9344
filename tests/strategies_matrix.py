"""Hypothesis strategies for the random-expression campaign: shape-aware expressions.

Where ``strategies.py`` draws n x n expressions of one square X, this grammar
builds an expression of any requested shape over the dimensions n, m and 1,
so rectangular variables (Y: n x m), vectors (x: n x 1), row and 1x1
intermediate results, outer products and Kronecker products of a column and
a row all occur. Every construct of the design's list appears:

    products (2 and 3 factors), sums, differences, numeric and symbolic
    coefficients, scalar-function coefficients, transposes, well-conditioned
    inverses, integer and negative matrix powers, Hadamard products and powers
    (also -1, 1/2, -1/2 of positive arguments), elementwise functions (sin,
    cos, tanh, sigmoid, exp, log, abs, a polynomial Lambda; the non-smooth relu,
    sign, heaviside, min(u, 1), |u|^3, max/min of two matrices), softmax and
    log-softmax (per column or row), DiagMatrix,
    DiagonalOf, Identity shifts, Kronecker products; scalars from traces,
    1x1 forms, norms, log-determinants, determinants, traces of Kronecker
    products, entry sums, log-sum-exps (of vectors; summed per column or row of a
    matrix), max/min of two scalars, and scalar functions of all of these (relu,
    |s|, sign(s) s^2, H(s) s^2 among them); and the
    decompositions: eigenvalues, eigenvectors (right, left, all), singular
    values and vectors, nuclear norms, pseudo-inverses, Cholesky factors and
    Phi, e^M, log M, M^{1/2} and their block-form Frechet derivatives.

A decomposition's argument is one whose spectrum the oracle controls: the
variable (or a constant) itself, transposed or affinely shifted (2 X + I), whose
symbols it draws with well-separated eigenvalues / singular values (``DRAW``);
logarithms, square roots and Cholesky factors see SPD shifts ``3 I + M M^T``.

Inverses and logarithms only ever see arguments that are well conditioned or
positive at the evaluator's points (``3 I + M M^T``, ``1 + M∘M``, X ~ I + noise),
so a mismatch is the engine's, not the draw's. Depth goes up to 5; the
variable occurs several times in most draws.

``problems(kind)`` draws a whole test problem (function, variable, options);
``outcome_of(problem)`` runs the engine and the oracle on it and classifies
the result as correct / unsupported / mismatch / unreliable / crash / timeout.
"""
import signal
from contextlib import contextmanager
from dataclasses import dataclass, field

from hypothesis import reject, strategies as st
from sympy import (Abs, Determinant, Function, Heaviside, Identity, ImmutableMatrix, Integer,
                   Inverse, KroneckerProduct, Lambda, MatAdd, MatMul, MatPow, MatrixSymbol, Max,
                   Min, OneMatrix, Rational, Symbol, Trace, Transpose, cos, exp, log, sign, sin,
                   sqrt, srepr, symbols, tanh)
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixExpr

import matcalc
from matcalc import logsumexp, norm, orthogonal, relu, scalar, sigmoid, spd
from matcalc.constructs.nonsmooth import elementwise_extremum
from matcalc.numeric.evaluate import substituted
from matcalc.constructs.softmax import LogSumExp, Softmax
from matcalc.constructs.block_function import frechet
from matcalc.constructs.cholesky import cholesky, phi
from matcalc.constructs.diagonal import diagvec
from matcalc.constructs.eigen import eigenvalue, eigenvector, left_eigenvector
from matcalc.constructs.eigensystem import eigenvalues, eigenvectors
from matcalc.constructs.matrix_functions import expm, logm, sqrtm
from matcalc.constructs.pinv import pinv
from matcalc.constructs.svd import nuclear_norm, singular_value, singular_vector

n, m = symbols("n m", integer=True, positive=True)
ONE = Integer(1)
DIMS = (n, m, ONE)
lam = symbols("lambda", positive=True)
t = Symbol("t", real=True)

#: the variables, by kind (names never used by a constant)
VARIABLES = {
    "square": MatrixSymbol("X", n, n),
    "rect": MatrixSymbol("Y", n, m),
    "vector": MatrixSymbol("x", n, 1),
    "spd": spd("S", n),
}

#: constants by shape; other shapes are reached through transposes
CONSTANTS = {
    (n, n): [MatrixSymbol("A", n, n), MatrixSymbol("B", n, n), spd("P", n), orthogonal("Q", n)],
    (m, m): [MatrixSymbol("M", m, m)],
    (n, m): [MatrixSymbol("C", n, m), MatrixSymbol("D", n, m)],
    (m, n): [MatrixSymbol("R", m, n)],
    (n, 1): [MatrixSymbol("a", n, 1), MatrixSymbol("b", n, 1)],
    (m, 1): [MatrixSymbol("c", m, 1)],
}
#: a fixed concrete matrix for Kronecker wraps of a matrix-valued F
KRON_CONSTANT = MatrixSymbol("K", 2, 3)
#: a general cotangent for a Kronecker product of an n x n and an m x m matrix
KRON_COTANGENT = MatrixSymbol("H", n * m, n * m)
#: an integer exponent (the oracle draws 1, 2 or 3)
POWER = symbols("p", integer=True, positive=True)
#: a scalar variable; a square problem becomes one in it through X = tau A + B
TAU = Symbol("tau", real=True)


def _frobenius_squared(M):
    return Trace(MatMul(Transpose(M), M))


#: undefined functions and the concrete ones the oracle binds to them
UNDEFINED_SCALAR, UNDEFINED_MATRIX = Function("uf"), Function("ug")
UNDEFINED = {UNDEFINED_SCALAR: sin, UNDEFINED_MATRIX: _frobenius_squared}

COEFFS = [Rational(1, 2), 2, -1, Rational(-3, 2), lam]
ELEMENTWISE = ["sin", "cos", "tanh", "sigmoid", "exp", "log", "abs", "poly", "relu", "sign",
               "heaviside", "min1", "abs-cubed", "undefined"]


#: hypothesis favours the first element of a sampled list: not a leaf, 1 time in 5
LEAF_CHANCE = [False, False, False, False, True]


def _dims(var):
    """The dimensions, the variable's first (so that products reach it more often)."""
    first = [d for d in var.shape if d != ONE] + [d for d in var.shape if d == ONE]
    return tuple(dict.fromkeys(first + list(DIMS)))


def _square(shape):
    return shape[0] == shape[1]


def _I(r):
    return Identity(r)


def spd_shift(M):
    """3 I + M M^T: symmetric positive definite, condition number (3 + |M|^2)/3."""
    r = M.shape[0]
    return MatAdd(MatMul(3, _I(r)), MatMul(M, Transpose(M)))


def positive_shift(M):
    """1 + M∘M entrywise: every entry at least 1."""
    return MatAdd(OneMatrix(*M.shape), HadamardPower(M, 2))


def _constants(shape):
    """Constant leaves of ``shape``: symbols, transposed symbols, I, a matrix of ones."""
    out = list(CONSTANTS.get(shape, []))
    out += [Transpose(c) for c in CONSTANTS.get((shape[1], shape[0]), []) if shape[0] != shape[1]]
    if _square(shape) and shape[0] != 1:
        out.append(_I(shape[0]))
    if not out or shape == (ONE, ONE):
        out.append(OneMatrix(*shape))
    return out


def _reaching(shape, var):
    """Small products of ``shape`` that contain the variable: X, X^T, X K, K X, X^T K, K X^T."""
    r, c = shape
    p, q = var.shape
    out = []
    if (p, q) == shape:
        out += [var] * 3
    if (q, p) == shape:
        out += [Transpose(var)] * (1 if p == q else 3)
    if p == r and q != c:
        out += [MatMul(var, k) for k in _constants((q, c))[:2]]
    if q == c and p != r:
        out += [MatMul(k, var) for k in _constants((r, p))[:2]]
    if q == r and p != c:
        out += [MatMul(Transpose(var), k) for k in _constants((p, c))[:1]]
    if p == c and q != r:
        out += [MatMul(k, Transpose(var)) for k in _constants((r, q))[:1]]
    return out


def _leaves(shape, var):
    """Leaves of ``shape``: the variable (or a small product reaching it) first, and
    twice as likely as a constant."""
    reaching = _reaching(shape, var)
    constants = _constants(shape)
    return reaching * max(1, (2 * len(constants)) // max(len(reaching), 1)) + constants


def _built(build):
    """Run a composite body; a draw SymPy refuses to construct is rejected, not an error
    (``Abs(tr(M))`` runs SymPy's sign simplification, which fails on some arguments)."""
    def body(draw, *args):
        try:
            return build(draw, *args)
        except Exception:  # noqa: BLE001 -- any SymPy constructor failure (or a nested reject)
            reject()
    body.__name__ = build.__name__
    body.__doc__ = build.__doc__
    return st.composite(body)


@_built
def matrices(draw, shape, depth, var):
    """An expression of ``shape`` (dims among n, m, 1), in ``var`` most of the time."""
    shape = tuple(shape)
    if depth <= 0 or draw(st.sampled_from(LEAF_CHANCE)):
        return draw(st.sampled_from(_leaves(shape, var)))
    r, c = shape
    kinds = ["mul", "mul", "mul3", "add", "sub", "coeff", "scalar-coeff", "transpose",
             "hadamard", "hpower", "hpower-positive", "elementwise", "elementwise", "kron-outer",
             "softmax", "log-softmax", "extremum"]
    if _square(shape):
        kinds += ["inverse", "power", "negpower", "identity-shift", "power-large",
                  "power-symbolic"]
        if r != 1:
            kinds += ["diag", "diag-of-diagonal"]
        if var.shape[0] == var.shape[1] == r:
            kinds += ["inverse-of-variable"]
    if c == 1 and r != 1:
        kinds += ["diagonal-of"]
    if draw(st.sampled_from(DECOMPOSITION_GATE)):
        kinds += DECOMPOSITION_KINDS.get(_kind_of_shape(shape), [])
    kind = draw(st.sampled_from(kinds))
    if kind in DECOMPOSITIONS:
        return DECOMPOSITIONS[kind](draw, shape, depth, var)
    sub = lambda s=shape: draw(matrices(s, depth - 1, var))
    inner = lambda: draw(st.sampled_from(_dims(var)))
    if kind == "mul":
        k = inner()
        return MatMul(sub((r, k)), sub((k, c)))
    if kind == "mul3":
        k, l = inner(), inner()
        return MatMul(sub((r, k)), sub((k, l)), sub((l, c)))
    if kind == "add":
        return MatAdd(sub(), sub())
    if kind == "sub":
        return MatAdd(sub(), MatMul(-1, sub()))
    if kind == "coeff":
        return MatMul(draw(st.sampled_from(COEFFS)), sub())
    if kind == "scalar-coeff":
        return MatMul(draw(scalars(max(depth - 2, 0), var)), sub())
    if kind == "transpose":
        return Transpose(sub((c, r)))
    if kind == "hadamard":
        return HadamardProduct(sub(), sub())
    if kind == "hpower":
        return HadamardPower(sub(), draw(st.sampled_from([2, 3])))
    if kind == "hpower-positive":
        p = draw(st.sampled_from([-1, Rational(1, 2), Rational(-1, 2)]))
        return HadamardPower(positive_shift(sub()), p)
    if kind == "elementwise":
        return elementwise(draw(st.sampled_from(ELEMENTWISE)), sub())
    if kind == "kron-outer":  # a column ⊗ a row is their outer product
        return KroneckerProduct(sub((r, ONE)), sub((ONE, c)))
    if kind == "softmax":
        return Softmax(sub(), draw(st.sampled_from([None, 1, 2])))
    if kind == "log-softmax":
        return Softmax(sub(), draw(st.sampled_from([None, 1, 2]))).applyfunc(log)
    if kind == "extremum":  # max(A, B) = B + relu(A - B), min(A, B) = A - relu(A - B)
        return elementwise_extremum(draw(st.sampled_from([Max, Min])), sub(), sub())
    if kind == "inverse":
        return Inverse(spd_shift(sub((r, inner()))))
    if kind == "inverse-of-variable":
        A, B = CONSTANTS[(n, n)][:2]
        return Inverse(draw(st.sampled_from([var, MatMul(var, A), MatAdd(MatMul(A, var), B),
                                             MatAdd(var, A), Transpose(var)])))
    if kind == "power":
        return MatPow(sub(), draw(st.sampled_from([2, 3])))
    if kind == "power-large":   # a sum over an index (k > 8), kept small: (U/4)^k
        return MatPow(MatMul(Rational(1, 4), sub()), draw(st.sampled_from([9, 12])))
    if kind == "power-symbolic":
        return MatPow(sub(), POWER)
    if kind == "negpower":
        return MatPow(spd_shift(sub((r, inner()))), draw(st.sampled_from([-1, -2])))
    if kind == "identity-shift":
        return MatAdd(_I(r), sub())
    if kind == "diag":
        return DiagMatrix(sub((r, ONE)))
    if kind == "diag-of-diagonal":
        return DiagMatrix(DiagonalOf(sub()))
    return DiagonalOf(sub((r, r)))


def elementwise(name, M):
    """``name`` applied entrywise to M (arguments kept in the function's safe range)."""
    if name == "exp":
        return MatMul(Rational(1, 4), M).applyfunc(exp)
    if name == "log":
        return positive_shift(M).applyfunc(log)
    if name == "poly":
        return M.applyfunc(Lambda(t, t ** 3 / 3 + t))
    if name == "min1":
        return M.applyfunc(Lambda(t, Min(t, 1)))
    if name == "abs-cubed":
        return M.applyfunc(Lambda(t, Abs(t) ** 3))
    if name == "undefined":
        return M.applyfunc(UNDEFINED_SCALAR)
    func = {"sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "abs": Abs, "relu": relu,
            "sign": sign, "heaviside": Heaviside}[name]
    return M.applyfunc(func)


SCALAR_FUNCTIONS = {
    "sin": sin, "tanh": tanh, "sigmoid": sigmoid, "cube": lambda s: s ** 3,
    "log1p2": lambda s: log(1 + s ** 2), "sqrt1p2": lambda s: sqrt(1 + s ** 2),
    "exp-tanh": lambda s: exp(tanh(s)), "abs": Abs, "relu": relu,
    "sign-times": lambda s: sign(s) * s ** 2, "heaviside-times": lambda s: Heaviside(s) * s ** 2,
    "undefined": UNDEFINED_SCALAR,
}


@_built
def scalars(draw, depth, var):
    """A scalar expression in ``var``."""
    shapes = [(n, n), (m, m)]
    any_shape = st.sampled_from([tuple(var.shape), (n, n), (n, m), (m, n), (n, ONE), (ONE, n),
                                 (m, ONE)])
    sub_depth = max(depth - 1, 0)
    kinds = ["trace", "trace", "form", "form", "norm2", "norm", "logdet", "det",
             "kron-trace", "entry-sum", "lambda", "logsumexp", "logsumexp-matrix",
             "kron-cotangent", "kron-logdet", "kron-norm", "logabsdet", "entry", "explicit",
             "undefined-matrix"]
    if var.shape[0] == var.shape[1] and var.shape[0] != 1:
        kinds.append("logdet-variable")
    if draw(st.sampled_from(DECOMPOSITION_GATE)):
        kinds += list(SPECTRAL_SCALARS)
    if depth > 1:
        kinds += ["add", "add", "mul", "quotient", "power", "function", "function", "extremum"]
    kind = draw(st.sampled_from(kinds))
    if kind in SPECTRAL_SCALARS:
        return SPECTRAL_SCALARS[kind](draw, depth, var)
    mat = lambda s: draw(matrices(s, sub_depth, var))
    if kind == "trace":
        return Trace(mat(draw(st.sampled_from(shapes))))
    if kind == "form":
        return scalar(mat((ONE, ONE)))
    if kind == "norm2":
        return norm(mat(draw(any_shape))) ** 2
    if kind == "norm":
        M = mat(draw(any_shape))
        return norm(MatAdd(M, OneMatrix(*M.shape)))
    if kind == "logdet":
        r = draw(st.sampled_from([n, m]))
        return log(Determinant(spd_shift(mat((r, draw(st.sampled_from(_dims(var))))))))
    if kind == "logdet-variable":
        A = CONSTANTS[(n, n)][0]
        return log(Determinant(draw(st.sampled_from([var, MatAdd(var, A), MatMul(A, var)]))))
    if kind == "det":
        r = draw(st.sampled_from([n, m]))
        return Determinant(MatAdd(MatMul(2, _I(r)), MatMul(Rational(1, 4), mat((r, r)))))
    if kind == "kron-trace":
        return Trace(KroneckerProduct(mat(draw(st.sampled_from(shapes))),
                                      mat(draw(st.sampled_from(shapes)))))
    if kind == "kron-cotangent":   # tr(H (U ⊗ V)): a partial trace
        return Trace(MatMul(KRON_COTANGENT, KroneckerProduct(mat((n, n)), mat((m, m)))))
    if kind == "kron-logdet":
        return log(Determinant(KroneckerProduct(spd_shift(mat((n, n))), spd_shift(mat((m, m))))))
    if kind == "kron-norm":
        return norm(KroneckerProduct(mat(draw(any_shape)), mat(draw(any_shape)))) ** 2
    if kind == "logabsdet":        # det(-2 I + U/4) has the sign (-1)^r
        r = draw(st.sampled_from([n, m]))
        return log(Abs(Determinant(MatAdd(MatMul(-2, _I(r)),
                                          MatMul(Rational(1, 4), mat((r, r)))))))
    if kind == "entry":            # SymPy writes (U)_{01} of a product as an index sum
        # a product of two leaves: the oracle evaluates SymPy's sum as written, one loop
        # per index (a power inside would nest a loop per factor)
        leaf = lambda: draw(matrices((n, n), 0, var))
        return MatMul(leaf(), leaf())[0, 1]
    if kind == "explicit":         # an explicit 2 x 2 matrix of scalars
        a, b = draw(scalars(sub_depth, var)), draw(scalars(sub_depth, var))
        return Trace(MatMul(ImmutableMatrix([[1, 2], [3, 4]]), ImmutableMatrix([[a, 1], [b, a * b]])))
    if kind == "undefined-matrix":  # ∇ug(U), bound to ||U||_F^2 for the oracle
        return UNDEFINED_MATRIX(mat(draw(any_shape)))
    if kind == "entry-sum":
        r, c = draw(any_shape)
        return scalar(MatMul(OneMatrix(ONE, r), mat((r, c)), OneMatrix(c, ONE)))
    if kind == "lambda":
        return lam * draw(scalars(sub_depth, var))
    if kind == "logsumexp":
        return logsumexp(mat(draw(st.sampled_from([(n, ONE), (m, ONE), (ONE, n)]))))
    if kind == "logsumexp-matrix":  # the log-sum-exps of the columns (or rows), summed
        r, c = draw(any_shape)
        lse = LogSumExp(mat((r, c)), draw(st.sampled_from([None, 1, 2])))
        return scalar(MatMul(OneMatrix(ONE, lse.shape[0]), lse, OneMatrix(lse.shape[1], ONE)))
    s1 = draw(scalars(depth - 1, var))
    if kind == "function":
        return SCALAR_FUNCTIONS[draw(st.sampled_from(sorted(SCALAR_FUNCTIONS)))](s1)
    if kind == "power":
        return (1 + s1 ** 2) ** Rational(3, 2)
    s2 = draw(scalars(depth - 1, var))
    if kind == "add":
        return s1 + s2
    if kind == "mul":
        return s1 * s2
    if kind == "extremum":
        return draw(st.sampled_from([Max, Min]))(s1, s2)
    return s1 / (1 + s2 ** 2)


# --------------------------------------------------------------------------
# decompositions and matrix functions
# --------------------------------------------------------------------------
#: whether a node may be a decomposition, drawn per node: one in six in the CI fast profile
#: (a decomposition draw costs about three plain ones: SciPy, separated-spectrum points, larger
#: Jacobians); ``benchmarks/campaign_decompositions.py`` sets ``(True,)``
DECOMPOSITION_GATE = (True, False, False, False, False, False)


def _kind_of_shape(shape):
    r, c = shape
    if r == c and r != 1:
        return "square"
    if c == 1 and r != 1:
        return "column"
    return None


def _spectral_arguments(r, var):
    """r x r matrices whose eigenvalues the oracle keeps real and separated: the variable,
    its transpose and an affine shift of it, and the constants (not the orthogonal Q, whose
    eigenvalues are complex)."""
    out = []
    if tuple(var.shape) == (r, r):
        out += [var, var, Transpose(var), MatAdd(MatMul(2, var), _I(r))]
    out += [M for M in CONSTANTS.get((r, r), []) if M.name != "Q"]
    return out


def _singular_arguments(var):
    """Matrices whose singular values the oracle keeps separated: the variable, its
    transpose, a multiple, and the rectangular constants."""
    return [var, var, Transpose(var), MatMul(Rational(1, 2), var)] + CONSTANTS[(n, m)][:1]


def _index(draw, size):
    """1, 2 or the last index (the dimension itself)."""
    return draw(st.sampled_from([1, 2, size]))


def _small(draw, shape, depth, var):
    """M/4: a matrix expression scaled into e^M's comfortable range."""
    return MatMul(Rational(1, 4), draw(matrices(shape, depth - 1, var)))


def _spd_of(draw, r, depth, var):
    k = draw(st.sampled_from(_dims(var)))
    return spd_shift(draw(matrices((r, k), depth - 1, var)))


def _eigvec(draw, shape, depth, var):
    r = shape[0]
    M = draw(st.sampled_from(_spectral_arguments(r, var)))
    build = draw(st.sampled_from([eigenvector, eigenvector, left_eigenvector]))
    return build(M, _index(draw, r))


def _singvec(draw, shape, depth, var):
    Y = draw(st.sampled_from(_singular_arguments(var)))
    side = "left" if Y.shape[0] == shape[0] else "right"
    if Y.shape[0 if side == "left" else 1] != shape[0] or ONE in Y.shape:
        reject()
    return singular_vector(Y, draw(st.sampled_from([1, 2])), side)


def _frechet(draw, shape, depth, var):
    name = draw(st.sampled_from(["expm", "logm", "sqrtm"]))
    r = shape[0]
    A = (_small(draw, shape, depth, var) if name == "expm" else _spd_of(draw, r, depth, var))
    return frechet(name, A, draw(matrices(shape, depth - 1, var)))


#: matrix-valued decompositions by the shape they produce
DECOMPOSITIONS = {
    "expm": lambda draw, shape, depth, var: expm(_small(draw, shape, depth, var)),
    "logm": lambda draw, shape, depth, var: logm(_spd_of(draw, shape[0], depth, var)),
    "sqrtm": lambda draw, shape, depth, var: sqrtm(_spd_of(draw, shape[0], depth, var)),
    "frechet": _frechet,
    "cholesky": lambda draw, shape, depth, var: cholesky(_spd_of(draw, shape[0], depth, var)),
    "phi": lambda draw, shape, depth, var: phi(draw(matrices(shape, depth - 1, var))),
    "pinv": lambda draw, shape, depth, var: pinv(_spd_of(draw, shape[0], depth, var)),
    "eigenvectors": lambda draw, shape, depth, var: eigenvectors(
        draw(st.sampled_from(_spectral_arguments(shape[0], var)))),
    "eigvec": _eigvec,
    "eigenvalues": lambda draw, shape, depth, var: eigenvalues(
        draw(st.sampled_from(_spectral_arguments(shape[0], var)))),
    "singvec": _singvec,
}
DECOMPOSITION_KINDS = {
    "square": ["expm", "logm", "sqrtm", "frechet", "cholesky", "phi", "pinv", "eigenvectors"],
    "column": ["eigvec", "eigenvalues", "singvec", "singvec"],
}


def _eigenvalue(draw, depth, var):
    r = draw(st.sampled_from([d for d in (n, m) if _spectral_arguments(d, var)]))
    return eigenvalue(draw(st.sampled_from(_spectral_arguments(r, var))), _index(draw, r))


def _singular_value(draw, depth, var):
    Y = draw(st.sampled_from(_singular_arguments(var)))
    index = 1 if ONE in Y.shape else draw(st.sampled_from([1, 2]))
    return singular_value(Y, index)


def _spectral_sum(draw, depth, var):
    """sum_i f(lambda_i(M)) = 1^T f(lambda(M))."""
    r = draw(st.sampled_from([d for d in (n, m) if _spectral_arguments(d, var)]))
    lam = eigenvalues(draw(st.sampled_from(_spectral_arguments(r, var))))
    f = draw(st.sampled_from(["exp", "square", "tanh"]))
    body = {"exp": lambda L: MatMul(Rational(1, 4), L).applyfunc(exp),
            "square": lambda L: HadamardPower(L, 2), "tanh": lambda L: L.applyfunc(tanh)}[f]
    return scalar(MatMul(OneMatrix(ONE, r), body(lam)))


def _chol_logdet(draw, depth, var):
    """sum_i log L_ii of L = chol(3 I + M M^T)."""
    r = draw(st.sampled_from([n, m]))
    L = cholesky(_spd_of(draw, r, max(depth - 1, 1), var))
    return scalar(MatMul(OneMatrix(ONE, r), diagvec(L).applyfunc(log)))


#: scalar decompositions
SPECTRAL_SCALARS = {
    "eigenvalue": _eigenvalue,
    "singular-value": _singular_value,
    "nuclear-norm": lambda draw, depth, var: nuclear_norm(
        draw(st.sampled_from(_singular_arguments(var)))),
    "spectral-sum": _spectral_sum,
    "trace-expm": lambda draw, depth, var: Trace(expm(MatMul(
        Rational(1, 4), draw(matrices((n, n), max(depth - 1, 0), var))))),
    "chol-logdet": _chol_logdet,
}


# --------------------------------------------------------------------------
# whole problems
# --------------------------------------------------------------------------
@dataclass
class Problem:
    """One random test problem: ``kind`` (gradient / jacobian / hessian), the function,
    the variable and the options passed to the engine and the oracle."""
    kind: str
    f: object
    var: object
    options: dict = field(default_factory=dict)

    @property
    def functions(self):
        """The concrete functions the oracle binds to the undefined ones of f."""
        return {F: c for F, c in UNDEFINED.items() if self.f.has(F)}

    def reproducer(self):
        """Python code that rebuilds the problem and runs the engine on it."""
        call = {"gradient": "matcalc.grad", "jacobian": "matcalc.jacobian",
                "hessian": "matcalc.hessian"}[self.kind]
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return (REPRODUCER_IMPORTS + f"f = {srepr(self.f)}\nX = {srepr(self.var)}\n"
                f"print({call}(f, X{opts}))  # oracle: functions=strategies_matrix.UNDEFINED")

    def __str__(self):
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{self.kind}({text(self.f, 10**6)}, {self.var}{opts})"


REPRODUCER_IMPORTS = """\
from sympy import *
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.core.symbol import Str
from matcalc.constructs.elementwise import applied as ElementwiseApplyFunction  # SymPy's would call a 1x1 body on a matrix
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from matcalc.constructs.differentials import *
from matcalc.constructs.functions import *
from matcalc.constructs.norm import *
from matcalc.constructs.scalars import *
from matcalc.constructs.softmax import *
from matcalc.constructs.structured import StructuredMatrixSymbol
from matcalc.constructs.block_function import *
from matcalc.constructs.cholesky import *
from matcalc.constructs.eigen import *
from matcalc.constructs.eigensystem import *
from matcalc.constructs.matrix_functions import *
from matcalc.constructs.pinv import *
from matcalc.constructs.svd import *
import matcalc
import matcalc.derivatives
"""

VARIABLE_KINDS = ("square", "rect", "square", "vector", "spd")


def _in_scalar_variable(draw, f, var):
    """(f, var), or one time in eight for a square var: f(tau A + B) and the scalar tau."""
    if var.shape[0] != var.shape[1] or var.shape[0] == 1 or draw(st.integers(0, 7)) != 0:
        return f, var
    A, B = CONSTANTS[(n, n)][:2]
    # not f.xreplace: SymPy would call each 1x1 elementwise function on its new argument
    # and rebuild its body with a matrix inside (Max refuses it: "not comparable")
    return substituted(f, {var: MatAdd(MatMul(TAU, A), B)}), TAU


def _mostly_in(draw, f, var):
    """Keep one function in twenty that does not contain the variable (its derivative
    is a correctly shaped zero); reject the others."""
    if not f.has(var) and draw(st.sampled_from([True] * 19 + [False])):
        reject()


@st.composite
def gradient_problems(draw, max_depth=5):
    """A scalar f (or a 1x1 matrix expression) and a variable, with layout/structure options."""
    var = VARIABLES[draw(st.sampled_from(VARIABLE_KINDS))]
    depth = draw(st.integers(1, max_depth))
    if draw(st.integers(0, 5)) == 0:
        f = draw(matrices((ONE, ONE), depth, var))
    else:
        f = draw(scalars(depth, var))
    _mostly_in(draw, f, var)
    f, var = _in_scalar_variable(draw, f, var)
    options = {}
    if var == TAU:
        return Problem("gradient", f, var, options)
    if var.shape[0] == var.shape[1] and draw(st.integers(0, 3)) == 0:
        options["structure"] = draw(st.sampled_from(["symmetric", "symmetric-elementwise"]))
    elif draw(st.integers(0, 5)) == 0:
        options["layout"] = "numerator"
    return Problem("gradient", f, var, options)


F_SHAPES = [(n, n), (n, n), (n, m), (m, n), (n, ONE), (ONE, n), (m, ONE), (m, m), (ONE, ONE)]


@st.composite
def jacobian_problems(draw, max_depth=4):
    """A matrix-valued F (any shape, sometimes wrapped in a Kronecker product with a
    concrete 2 x 3 matrix) and a variable."""
    var = VARIABLES[draw(st.sampled_from(VARIABLE_KINDS))]
    shape = draw(st.sampled_from(F_SHAPES))
    F = draw(matrices(shape, draw(st.integers(1, max_depth)), var))
    _mostly_in(draw, F, var)
    F, var = _in_scalar_variable(draw, F, var)
    wrap = draw(st.sampled_from(["plain"] * 6 + ["kron-left", "kron-right"]))
    if wrap == "kron-left":
        F = KroneckerProduct(KRON_CONSTANT, F)
    elif wrap == "kron-right":
        F = KroneckerProduct(F, KRON_CONSTANT)
    options = {"layout": "denominator"} if draw(st.integers(0, 7)) == 0 else {}
    return Problem("jacobian", F, var, options)


@st.composite
def hessian_problems(draw, max_depth=3):
    """A scalar f and a variable (square, rectangular, vector or SPD)."""
    var = VARIABLES[draw(st.sampled_from(VARIABLE_KINDS))]
    f = draw(scalars(draw(st.integers(1, max_depth)), var))
    _mostly_in(draw, f, var)
    f, var = _in_scalar_variable(draw, f, var)
    return Problem("hessian", f, var)


STRATEGIES = {"gradient": gradient_problems, "jacobian": jacobian_problems,
              "hessian": hessian_problems}


# --------------------------------------------------------------------------
# running one problem
# --------------------------------------------------------------------------
OUTCOMES = ("correct", "unsupported", "refused", "mismatch", "symmetric-only", "unreliable",
            "crash", "timeout")


class _Timeout(Exception):
    pass


@contextmanager
def time_limit(seconds):
    """Raise ``_Timeout`` after ``seconds`` (SIGALRM; main thread only; 0 = no limit).

    Nests: an outer limit keeps running (and fires) after an inner one ends."""
    if not seconds or not hasattr(signal, "setitimer"):
        yield
        return
    import time

    def expire(signum, frame):
        raise _Timeout()

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    if outer and outer < seconds:  # the outer limit comes first: keep it
        signal.setitimer(signal.ITIMER_REAL, outer)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            left = outer - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


def derive(problem):
    """The engine's answer to ``problem``, in the oracle's (numerator-free) layout."""
    # the submodule, imported explicitly: a first ``matcalc.jacobian`` attribute
    # access recurses in matcalc.__getattr__ (see test_bad_input.py)
    from matcalc.derivatives import hessian, jacobian
    from matcalc.algebra import transpose_of
    if problem.kind == "gradient":
        return matcalc.grad(problem.f, problem.var, **problem.options)
    if problem.kind == "jacobian":
        J = jacobian(problem.f, problem.var, **problem.options)
        return transpose_of(J) if problem.options.get("layout") == "denominator" else J
    return hessian(problem.f, problem.var)


def expected_shape(problem):
    p, q = getattr(problem.var, "shape", (ONE, ONE))     # a scalar variable: 1 x 1
    if problem.kind == "gradient":
        return (q, p) if problem.options.get("layout") == "numerator" else (p, q)
    if problem.kind == "hessian":
        return (p * q, p * q)
    r, s = problem.f.shape
    return (r * s, p * q)


def judge(problem, result, points=2, rtol=1e-5, structure=None):
    """The oracle's report on ``result`` (on symmetric directions only when
    ``structure="symmetric"``: sym(G) for a gradient, J P and P H P otherwise)."""
    from matcalc.numeric import check, check_hessian, check_jacobian
    if problem.kind == "gradient":
        options = dict(problem.options)
        if structure:
            # on symmetric directions G acts as sym(G): the oracle compares sym(G_fd) with
            # the claim itself, so the claim is given symmetrized
            options["structure"] = structure
            result = (result + result.T) / 2
        return check(problem.f, problem.var, result, points=points, rtol=rtol,
                     functions=problem.functions, **options)
    if problem.kind == "jacobian":
        return check_jacobian(problem.f, problem.var, result, points=points, rtol=rtol,
                              structure=structure, functions=problem.functions)
    return check_hessian(problem.f, problem.var, result, points=points, rtol=rtol,
                         structure=structure, functions=problem.functions)


def _symmetric_variable(problem):
    """A symmetric variable, judged without a structure option: only the derivative's
    action on symmetric directions is determined (SymPy rewrites S^T to S inside f, so
    f as a function of an unconstrained S depends on how it was written)."""
    from matcalc.constructs.structured import is_symmetric
    return (hasattr(problem.var, "shape") and is_symmetric(problem.var)
            and "structure" not in problem.options)


def _same_shape(shape, expected):
    from sympy import expand, sympify
    return len(shape) == 2 and all(expand(sympify(a) - sympify(b)) == 0
                                   for a, b in zip(shape, expected))


def _where(exc, frames=12):
    """The innermost ``frames`` frames of an exception's traceback (file:line function)."""
    import traceback
    stack = traceback.extract_tb(exc.__traceback__)[-frames:]
    return "\n".join(f"  {f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in stack)


def text(expr, limit=600):
    """``str(expr)``, or its ``srepr`` when SymPy's printer fails on it or takes over 10 s
    (its precedence test negates products, a deep ``doit``, which can explode)."""
    try:
        with time_limit(10):
            out = str(expr)
    except (Exception, _Timeout) as exc:
        out = f"<str failed: {type(exc).__name__}> {srepr(expr)}"
    return out if len(out) <= limit else out[:limit] + " ..."


def outcome_of(problem, points=2, rtol=1e-5, timeout=0):
    """``(outcome, detail)``: outcome one of ``OUTCOMES``.

    correct: the oracle confirms the engine; unsupported: the engine raised
    UnsupportedError (an honest refusal); refused: the engine raised ShapeError or
    NonSquareMatrixError for an ill-shaped input (SymPy builds some, e.g. from Abs of
    a 1x1 product); mismatch: the oracle reliably refutes
    the engine, or the result has the wrong shape; symmetric-only: a derivative
    w.r.t. a symmetric variable that the oracle refutes as an unconstrained
    derivative but confirms on symmetric directions; unreliable: the oracle could
    neither confirm nor refute (finite differences did not settle, or f could
    not be evaluated at any drawn point); crash: the engine raised anything
    else; timeout: the engine and oracle together took longer than ``timeout`` s.
    """
    try:
        with time_limit(timeout):
            try:
                result = derive(problem)
            except matcalc.UnsupportedError as exc:
                return "unsupported", str(exc).splitlines()[0][:200]
            except (matcalc.ShapeError, matcalc.NonSquareMatrixError) as exc:
                # SymPy builds ill-shaped expressions when sizes are symbolic (Abs of a
                # 1x1 product becomes (x x^H)^(1/2) of an n x 1 "product"): refusing is right
                return "refused", f"{type(exc).__name__}: {str(exc)[:200]}"
            except _Timeout:
                raise
            except Exception as exc:  # anything else from the engine is a bug
                return "crash", f"{type(exc).__name__}: {str(exc)[:300]}\n{_where(exc, 4)}"
            shape = tuple(result.shape) if isinstance(result, MatrixExpr) else (ONE, ONE)
            if not _same_shape(shape, expected_shape(problem)):
                return "mismatch", (f"result {text(result)} has shape {shape}, expected "
                                    f"{expected_shape(problem)}")
            try:
                report = judge(problem, result, points=points, rtol=rtol)
            except _Timeout:
                raise
            except Exception as exc:  # the oracle (or its printer) failed on a valid claim
                return "crash", (f"oracle: {type(exc).__name__}: {str(exc)[:300]}\n"
                                 f"result {text(result)}")
    except _Timeout as exc:
        return "timeout", f"over {timeout} s, interrupted in\n{_where(exc)}"
    if report.passed:
        return "correct", ""
    if report.reliable and _symmetric_variable(problem):
        try:
            with time_limit(timeout):
                symmetric = judge(problem, result, points=points, rtol=rtol,
                                  structure="symmetric")
        except _Timeout:
            return "timeout", f"over {timeout} s"
        if symmetric.passed:
            return "symmetric-only", f"result {text(result)}\n{report}"
    if not report.reliable:
        return "unreliable", f"result {text(result)}\n{report}"
    return "mismatch", f"result {text(result)}\n{report}"
