r"""Code generation: NumPy, JAX and PyTorch functions from matcalc results.

    g = lambdify_grad(f, X)                g(X=..., W=..., Y=...)  -> grad f       (ndarray)
    fn = codegen(expr, backend="numpy")    fn(**arrays)            -> value of expr
    fn = codegen([f, G])                   fn(**arrays)            -> (f, G), one shared CSE
    mv = codegen(J, matvec=True)           mv(v, **arrays)         -> J v without forming J
    hvp = hessian_vector_product(f, X)     hvp(V, **arrays)        -> H vec(V), shaped like V

Arguments are passed by symbol name; symbolic sizes are read from the shapes of
the arrays at call time, and one straight-line function is generated and
compiled per combination of concrete sizes (cached).  The generated code is
built from the SymPy tree by this module, never from user text: symbol names
become positional parameters ``_a0, _a1, ...`` and never appear in the source.

What the generated code does that a direct printing of the expression does not:

- common subexpressions computed once: every distinct operation is one
  statement, identical statements are merged (value numbering), and a node
  whose transpose was already computed is that value's ``.T`` (CSE modulo ^T);
- matrix chains ``F1 F2 ... Fk`` multiplied in the cheapest order for the
  concrete sizes (dynamic programming over the parenthesisations);
- ``A^{-1} B`` as ``solve(A, B)`` and ``B A^{-1}`` as ``solve(A^T, B^T)^T``; an
  explicit inverse only when the inverse itself is the value;
- ``(A ⊗ B) V`` as ``vec(B mat(V) A^T)``, ``K_{m,n} V`` as a transpose of
  reshaped columns, ``diag(v) V`` as ``v ∘ V``: Kronecker products,
  commutation and diagonal matrices are never formed when they multiply
  something (and a ``matvec`` function applies a Jacobian or Hessian to a
  vector term by term, right to left, without forming it);
- ``tr(A B) = sum(A ∘ B^T)``: a trace of a product never forms the product;
- ``log det`` through ``slogdet``.
"""
import itertools
import linecache
import math
import sys
from functools import reduce

from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy import (Abs, Add, Basic, Determinant, Dummy, Identity, Integer, Inverse,
                   Lambda, MatAdd, MatMul, MatPow, MatrixSymbol, Max, Min, Mul, Pow, S, Symbol,
                   Trace, log)
from sympy.core.function import AppliedUndef
from sympy.core.traversal import preorder_traversal
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr
from sympy.matrices.expressions.special import OneMatrix, ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

try:
    from .constructs.commutation import CommutationMatrix, commutation_permutation
except ImportError:  # the Jacobian engine not installed: no commutation matrices to meet
    class CommutationMatrix:  # noqa: D101 - a stand-in no expression is an instance of
        pass

    def commutation_permutation(m, n):
        return [(r // n) + (r % n) * m for r in range(m * n)]
from .errors import ShapeError, UnsupportedError
from .algebra import matadd, transpose_of
from .constructs.norm import Norm

__all__ = ["codegen", "lambdify_grad", "hessian_vector_product", "GeneratedFunction",
           "BACKENDS", "backend_ops"]

BACKENDS = ("numpy", "jax", "torch")


# --------------------------------------------------------------------------
# backends: the operations the generated code calls as ``B.name(...)``
# --------------------------------------------------------------------------

class _Ops:
    """Operations shared by the three array libraries; subclasses bind the library."""

    name = None

    def column(self, v):
        return v.reshape(-1, 1)

    def row(self, v):
        return v.reshape(1, -1)

    def mm_tn(self, A, Bm):
        return A.T @ Bm

    def mm_nt(self, A, Bm):
        return A @ Bm.T

    def trace_of_product(self, L, R):
        """tr(L R) = sum(L ∘ R^T), the product never formed."""
        return self.sum(L * R.T)

    def vec(self, A):
        # column-major vec(A) is the row-major flattening of A^T
        return A.T.reshape(-1, 1)

    def norm(self, A):
        return self.sqrt(self.sum(A * A))

    def diagonal(self, A):
        return self.column(self.lib.diagonal(A))

    def diag(self, v):
        return self.lib.diag(v.reshape(-1))

    def commutation(self, m, n):
        """K_{m,n} as a dense permutation matrix."""
        return self.eye(m * n)[commutation_permutation(m, n)]

    def comm_apply(self, m, n, W):
        """K_{m,n} W: column j of W is vec(A_j) (A_j m x n), column j of the result vec(A_j^T)."""
        c = W.shape[1]
        return self.swap(W.T.reshape(c, n, m)).reshape(c, m * n).T

    def kron_apply(self, factors, W):
        """(F_1 ⊗ F_2 ⊗ ...) W without forming the product; an ``int`` factor is I of that size.

        (A ⊗ M) vec(V) = vec(M V A^T) for each column of W (V s x q, A p x q, M r x s).
        """
        if len(factors) == 1:
            F = factors[0]
            return W if isinstance(F, int) else F @ W
        A, rest = factors[0], factors[1:]
        p, q = (A, A) if isinstance(A, int) else A.shape
        s = math.prod(F if isinstance(F, int) else F.shape[1] for F in rest)
        r = math.prod(F if isinstance(F, int) else F.shape[0] for F in rest)
        c = W.shape[1]
        Y = self.swap(W.T.reshape(c, q, s))              # Y[j] = V_j            (c, s, q)
        if not isinstance(A, int):
            Y = Y @ A.T                                  # V_j A^T               (c, s, p)
        if len(rest) == 1:
            M = rest[0]
            Z = Y if isinstance(M, int) else M @ Y       # M V_j A^T             (c, r, p)
        else:
            flat = self.permute(Y, (1, 0, 2)).reshape(s, c * p)
            Z = self.permute(self.kron_apply(rest, flat).reshape(r, c, p), (1, 0, 2))
        return self.swap(Z).reshape(c, p * r).T

    def kron(self, *factors):
        mats = [self.eye(F) if isinstance(F, int) else F for F in factors]
        if len(mats) == 2:   # one broadcast product, reshaped: a single pass over the result
            A, Bm = mats
            return (A[:, None, :, None] * Bm[None, :, None, :]).reshape(
                A.shape[0] * Bm.shape[0], A.shape[1] * Bm.shape[1])
        return reduce(self.lib.kron, mats)

    def comm_kron(self, A, Bm):
        """K_{r2,r1} (A ⊗ B) for A r1 x c1, B r2 x c2, in one pass: rows in (b, a) order."""
        return (Bm[:, None, None, :] * A[None, :, :, None]).reshape(
            A.shape[0] * Bm.shape[0], A.shape[1] * Bm.shape[1])

    def heaviside(self, x):
        return self.lib.heaviside(x, self.asarray(0.5))

    def maximum(self, a, b):
        return self.lib.maximum(self.asarray(a), self.asarray(b))

    def minimum(self, a, b):
        return self.lib.minimum(self.asarray(a), self.asarray(b))

    def solve(self, A, B):
        return self.lib.linalg.solve(A, B)

    def inv(self, A):
        return self.lib.linalg.inv(A)

    def det(self, A):
        return self.lib.linalg.det(A)

    def matrix_power(self, A, k):
        return self.lib.linalg.matrix_power(A, k)

    def logabsdet(self, A):
        return self.lib.linalg.slogdet(A)[1]

    def __getattr__(self, name):
        # exp, log, sqrt, sin, tanh, abs, sign, trace, sum, ... straight from the library
        return getattr(self.lib, name)


class _NumPyOps(_Ops):
    name = "numpy"

    def __init__(self):
        import numpy
        self.lib = numpy

    def asarray(self, x):
        return self.lib.asarray(x, dtype=float)

    def eye(self, n):
        return self.lib.eye(n)

    def zeros(self, r, c):
        return self.lib.zeros((r, c))

    def ones(self, r, c):
        return self.lib.ones((r, c))

    def swap(self, T):
        return self.lib.swapaxes(T, -1, -2)

    def permute(self, T, axes):
        return self.lib.transpose(T, axes)

    def logdet(self, A):
        s, value = self.lib.linalg.slogdet(A)
        return value if s > 0 else self.lib.nan

    def sigmoid(self, x):
        # exp(-log(1 + exp(-x))): no overflow for large |x|
        return self.lib.exp(-self.lib.logaddexp(0.0, -x))

    def asin(self, x):
        return self.lib.arcsin(x)

    def acos(self, x):
        return self.lib.arccos(x)

    def atan(self, x):
        return self.lib.arctan(x)

    def asinh(self, x):
        return self.lib.arcsinh(x)

    def acosh(self, x):
        return self.lib.arccosh(x)

    def atanh(self, x):
        return self.lib.arctanh(x)


class _JaxOps(_NumPyOps):
    name = "jax"

    def __init__(self):
        import jax
        import jax.numpy as jnp
        self.jax = jax
        self.lib = jnp

    def asarray(self, x):
        return self.lib.asarray(x, dtype=self.lib.result_type(float))

    def logdet(self, A):
        s, value = self.lib.linalg.slogdet(A)
        return self.lib.where(s > 0, value, self.lib.nan)

    def sigmoid(self, x):
        return self.jax.nn.sigmoid(x)

    def mm_tn(self, A, Bm):
        return self.jax.lax.dot_general(A, Bm, (((0,), (0,)), ((), ())))

    def mm_nt(self, A, Bm):
        return self.jax.lax.dot_general(A, Bm, (((1,), (1,)), ((), ())))

    def trace_of_product(self, L, R):
        return self.lib.einsum("ij,ji->", L, R)


class _TorchOps(_Ops):
    name = "torch"

    def __init__(self):
        import torch
        self.lib = torch
        self.dtype = torch.float64

    def asarray(self, x):
        if isinstance(x, self.lib.Tensor):
            return x if x.dtype == self.dtype else x.to(self.dtype)
        import numpy
        return self.lib.as_tensor(numpy.asarray(x, dtype=float), dtype=self.dtype)

    def eye(self, n):
        return self.lib.eye(n, dtype=self.dtype)

    def zeros(self, r, c):
        return self.lib.zeros((r, c), dtype=self.dtype)

    def ones(self, r, c):
        return self.lib.ones((r, c), dtype=self.dtype)

    def swap(self, T):
        return T.transpose(-1, -2)

    def permute(self, T, axes):
        return T.permute(*axes)

    def logdet(self, A):
        return self.lib.logdet(A)

    def sigmoid(self, x):
        return self.lib.sigmoid(x)

    def commutation(self, m, n):
        return self.eye(m * n)[self.lib.as_tensor(commutation_permutation(m, n))]

    def diag(self, v):
        return self.lib.diag(v.reshape(-1))

    def heaviside(self, x):
        return self.lib.heaviside(x, self.asarray(0.5))

    def abs(self, x):
        return self.lib.abs(x)


_OPS_CLASSES = {"numpy": _NumPyOps, "jax": _JaxOps, "torch": _TorchOps}
_OPS = {}
_INSTALL = {"jax": "pip install jax jaxlib", "torch": "pip install torch"}


def backend_ops(backend):
    """The operations object of ``backend`` ("numpy", "jax" or "torch").

    Raises ``ImportError`` saying how to install JAX or PyTorch when it is missing.
    """
    if backend not in _OPS_CLASSES:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if backend not in _OPS:
        try:
            _OPS[backend] = _OPS_CLASSES[backend]()
        except ImportError as exc:
            raise ImportError(f"the {backend!r} backend needs {backend}, which is not importable "
                              f"({exc}); install it with `{_INSTALL[backend]}` or use "
                              "backend='numpy'") from None
    return _OPS[backend]


# --------------------------------------------------------------------------
# the emitter: SymPy tree -> straight-line code for one set of concrete sizes
# --------------------------------------------------------------------------

#: SymPy function -> name of the backend operation
_FUNCTIONS = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan",
              "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "asin": "asin", "acos": "acos",
              "atan": "atan", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh",
              "sigmoid": "sigmoid", "Abs": "abs", "sign": "sign", "Heaviside": "heaviside"}

#: Python recursion limit while generating code for deep expressions
_RECURSION_LIMIT = 20000

#: longer products are ordered greedily instead of by the (cubic) dynamic programme
_MAX_DP_CHAIN = 24

#: matrix powers up to this exponent are expanded into the product chain
_MAX_CHAIN_POWER = 8


class _Op:
    """A structured factor of a product: applied to its neighbour, formed only when alone.

    kind: "inv" (args: A), "kron" (args: factors), "comm" (args: m, n), "diag" (args: v).
    """

    def __init__(self, kind, args, shape, parts=()):
        self.kind, self.args, self.shape = kind, args, shape
        self.parts = parts          # kron: (rows, cols, is_identity) of each factor


def _split(M):
    """(c, M') with M = c M' (M' one matrix factor or the product of the rest)."""
    if isinstance(M, MatMul):
        coeff, mats = M.as_coeff_matrices()
        return coeff, (mats[0] if len(mats) == 1 else MatMul(*mats))
    return S.One, M


class _Named:
    """A factor already computed: its name and concrete shape."""

    def __init__(self, name, shape):
        self.name, self.shape = name, shape


class _Emitter:
    def __init__(self, sizes, params, matvec=False, fold_transposes=False):
        self.fold_transposes = fold_transposes   # XLA materialises A.T in A.T @ B
        self.sizes = sizes                  # {dimension Symbol: Integer}
        self.params = params                # {Symbol or MatrixSymbol name key: parameter name}
        self.matvec = matvec
        self.lines = []
        self.numbering = {}                 # right-hand side -> name
        self.transpose_source = {}          # name of M^T -> name of M
        self.memo = {}
        self.transposes = {}
        self.counter = itertools.count()

    # -- statements ----------------------------------------------------------
    def emit(self, rhs):
        name = self.numbering.get(rhs)
        if name is None:
            name = f"_t{next(self.counter)}"
            self.lines.append(f"{name} = {rhs}")
            self.numbering[rhs] = name
        return name

    def matmul(self, a, b):
        """a @ b; with ``fold_transposes`` a transposed operand goes into the product's
        contraction instead (``B.mm_tn(u, b)`` = u^T b) so that it is never copied."""
        if self.fold_transposes:
            ta, tb = self.transpose_source.get(a), self.transpose_source.get(b)
            if ta is not None and tb is not None:
                return self.T(self.emit(f"{tb} @ {ta}"))
            if ta is not None:
                return self.emit(f"B.mm_tn({ta}, {b})")
            if tb is not None:
                return self.emit(f"B.mm_nt({a}, {tb})")
        return self.emit(f"{a} @ {b}")

    def T(self, name):
        """The transpose of a computed matrix (a view; ``(M^T)^T`` is M)."""
        if name in self.transpose_source:
            return self.transpose_source[name]
        out = self.emit(f"{name}.T")
        self.transpose_source[out] = name
        return out

    def dim(self, d):
        value = _sympify(d).xreplace(self.sizes)
        if not value.is_Integer:
            raise ValueError(f"no concrete size for the dimension {d}")
        return int(value)

    def shape(self, M):
        return tuple(self.dim(d) for d in M.shape)

    # -- dispatch -------------------------------------------------------------
    def value(self, expr, env=None):
        """The name (or literal) holding the value of ``expr``."""
        key = (expr, tuple(sorted(env.items(), key=str)) if env else ())
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        if isinstance(expr, MatrixExpr):
            if not env and not isinstance(expr, (MatrixSymbol, Transpose)):
                flipped = self.memo.get((self.transposed(expr), ()))
                if flipped is not None:
                    out = self.memo[key] = self.T(flipped)
                    return out
            out = self.matrix(expr, env)
        else:
            out = self.scalar(expr, env or {})
        self.memo[key] = out
        return out

    def transposed(self, M):
        """``transpose_of(M)``, memoised over shared subtrees (one pass over the DAG)."""
        hit = self.transposes.get(M)
        if hit is not None:
            return hit
        if isinstance(M, Transpose):
            out = M.arg
        elif isinstance(M, MatMul) and tuple(M.shape) != (1, 1):
            coeff, mats = M.as_coeff_matrices()
            out = MatMul(coeff, *[self.transposed(m) for m in reversed(mats)]).doit(deep=False)
        elif isinstance(M, MatAdd):
            out = matadd(*[self.transposed(a) for a in M.args])
        elif isinstance(M, HadamardProduct):
            out = HadamardProduct(*[self.transposed(a) for a in M.args])
        elif isinstance(M, ElementwiseApplyFunction):
            out = ElementwiseApplyFunction(M.function, self.transposed(M.expr))
        else:
            out = transpose_of(M)
        self.transposes[M] = out
        return out

    # -- matrices -------------------------------------------------------------
    def matrix(self, M, env):
        if isinstance(M, MatrixSymbol):
            return self.param(M)
        if isinstance(M, MatMul):
            coeff, mats = M.as_coeff_matrices()
            return self.chain(mats, env, coeff)
        if isinstance(M, MatAdd):
            return self.sum(M.args, env)
        if isinstance(M, Transpose):
            return self.T(self.value(M.arg, env))
        if isinstance(M, Identity):
            return self.emit(f"B.eye({self.dim(M.rows)})")
        if isinstance(M, ZeroMatrix):
            return self.emit(f"B.zeros({self.dim(M.rows)}, {self.dim(M.cols)})")
        if isinstance(M, OneMatrix):
            return self.emit(f"B.ones({self.dim(M.rows)}, {self.dim(M.cols)})")
        if isinstance(M, (Inverse, KroneckerProduct, CommutationMatrix, DiagMatrix, MatPow)):
            return self.chain([M], env)
        if isinstance(M, HadamardProduct):
            return self.emit(" * ".join(self.value(a, env) for a in M.args))
        if isinstance(M, HadamardPower):
            return self.emit(f"{self.value(M.base, env)} ** {self.value(M.exp, env)}")
        if isinstance(M, ElementwiseApplyFunction):
            return self.elementwise(M, env)
        if isinstance(M, DiagonalOf):
            return self.emit(f"B.diagonal({self.value(M.arg, env)})")
        if isinstance(M, DiagonalMatrix):
            return self.emit(f"{self.value(M.arg, env)} * B.eye({self.dim(M.shape[0])})")
        from .constructs.vec import Vec
        if isinstance(M, Vec):
            return self.emit(f"B.vec({self.value(M.arg, env)})")
        raise UnsupportedError(f"{type(M).__name__} in generated code ({M})")

    def param(self, symbol):
        try:
            return self.params[_param_key(symbol)]
        except KeyError:
            raise ValueError(f"{symbol} is not an argument of the generated function") from None

    def scaled(self, coeff, name, env):
        if coeff == 1:
            return name
        if coeff == -1:
            return self.emit(f"-{name}")
        return self.emit(f"{self.value(coeff, env)} * {name}")

    def sum(self, terms, env):
        """t1 + t2 - t3 ...: negative numeric coefficients become subtractions."""
        parts = []
        for t in terms:
            if isinstance(t, ZeroMatrix):
                continue
            negative = False
            if isinstance(t, MatMul):
                coeff, mats = t.as_coeff_matrices()
                c, rest = _sympify(coeff).as_coeff_Mul()
                if c.is_negative:
                    negative = True
                    name = self.chain(mats, env, -c * rest)
                else:
                    name = self.value(t, env)
            else:
                name = self.value(t, env)
            parts.append((negative, name))
        if not parts:
            raise AssertionError("a sum of zeros reaches the emitter")
        parts.sort(key=lambda p: p[0])   # a positive term first when there is one
        code = ("-" if parts[0][0] else "") + parts[0][1]
        for negative, name in parts[1:]:
            code += (" - " if negative else " + ") + name
        return self.emit(code) if len(parts) > 1 or parts[0][0] else parts[0][1]

    def elementwise(self, M, env):
        function, arg = M.function, M.expr
        if isinstance(function, Lambda):
            (var,), body = function.variables, function.expr
        else:
            var = Dummy("u")
            body = function(var)
        element = Dummy("element")
        body = body.xreplace({var: element})
        inner = dict(env or {})
        inner[element] = self.value(arg, env)
        out = self.value(body, inner)
        if element not in body.free_symbols:
            rows, cols = self.shape(M)
            out = self.emit(f"{out} * B.ones({rows}, {cols})")
        return out

    # -- products ---------------------------------------------------------------
    def kron_op(self, args):
        parts = tuple(self.shape(a) + (isinstance(a, Identity),) for a in args)
        shape = (math.prod(p[0] for p in parts), math.prod(p[1] for p in parts))
        return _Op("kron", tuple(args), shape, parts)

    def factors(self, mats, env=None):
        """Flatten a product into factors: dense MatrixExprs and structured ``_Op``s."""
        out = []
        for F in mats:
            if isinstance(F, Identity):
                continue
            if isinstance(F, MatMul):
                coeff, inner = F.as_coeff_matrices()
                if coeff != 1:
                    raise AssertionError("a scaled product inside a product")
                out.extend(self.factors(inner, env))
            elif isinstance(F, Inverse):
                out.append(_Op("inv", (F.arg,), self.shape(F)))
            elif isinstance(F, MatPow) and F.exp.is_Integer and F.shape[0] == F.shape[1]:
                k = int(F.exp)
                base = F.base if k > 0 else Inverse(F.base)
                if k == 0:
                    continue
                if abs(k) <= _MAX_CHAIN_POWER:
                    out.extend(self.factors([base] * abs(k), env))
                else:
                    out.append(_Named(self.emit(f"B.matrix_power({self.value(F.base, env)}, "
                                                f"{k})"), self.shape(F)))
            elif isinstance(F, Transpose) and isinstance(F.arg, (Inverse, KroneckerProduct,
                                                                 CommutationMatrix, DiagMatrix)):
                out.extend(self.factors([transpose_of(F.arg)], env))
            elif isinstance(F, KroneckerProduct):
                out.append(self.kron_op(F.args))
            elif isinstance(F, CommutationMatrix):
                m, n = self.dim(F.m), self.dim(F.n)
                if m == 1 or n == 1:
                    continue
                out.append(_Op("comm", (m, n), self.shape(F)))
            elif isinstance(F, DiagMatrix):
                out.append(_Op("diag", (F.args[0],), self.shape(F)))
            else:
                out.append(F)
        return out

    def factor_shape(self, F):
        if isinstance(F, (_Op, _Named)):
            return F.shape
        return self.shape(F)

    def chain(self, mats, env=None, coeff=S.One):
        """c F1 F2 ... Fk in the cheapest order for the concrete sizes (matrix-chain DP)."""
        if len(mats) == 2 and isinstance(mats[0], CommutationMatrix) \
                and isinstance(mats[1], MatAdd) and coeff.is_Number \
                and all(isinstance(_split(t)[1], KroneckerProduct) for t in mats[1].args):
            # K (A ⊗ B + C ⊗ D) = K (A ⊗ B) + K (C ⊗ D): each formed in one pass
            terms = [self.chain([mats[0], _split(t)[1]], env, coeff * _split(t)[0])
                     for t in mats[1].args]
            return self.emit(" + ".join(terms))
        factors = self.factors(mats, env)
        if not factors:
            n = self.dim(mats[0].shape[0]) if mats else 1
            return self.scaled(coeff, self.emit(f"B.eye({n})"), env)
        factors = self.distribute_sums(factors, env)
        fused = self.fused_kronecker(coeff, factors, env)
        if fused is not None:
            return fused
        return self.scaled(coeff, self.multiply(factors, env), env)

    def multiply(self, factors, env):
        if len(factors) == 1:
            return self.operand(factors[0], env)
        plan = _ChainPlan([self.factor_shape(F) for F in factors],
                          [F if isinstance(F, _Op) else None for F in factors])
        return self.build(plan, factors, 0, len(factors) - 1, env)

    def distribute_sums(self, factors, env):
        """(A + B C) W = A W + B (C W) when W is thin: the sum is never formed.

        Applied to a sum followed by a product at most a quarter as wide as the sum is
        tall, when some term of the sum is itself a product or structured (a sum of
        plain matrices is cheaper to add than to multiply twice)."""
        i = len(factors) - 2
        while i >= 0:
            F = factors[i]
            if isinstance(F, MatAdd) and any(isinstance(t, (MatMul, KroneckerProduct, Inverse))
                                             for t in F.args):
                rows = self.shape(F)[0]
                cols = self.factor_shape(factors[-1])[1]
                if 4 * cols <= rows:
                    W = self.multiply(factors[i + 1:], env)
                    factors = factors[:i] + [_Named(self.apply_expr(F, W, env), (rows, cols))]
            i -= 1
        return factors

    def fused_kronecker(self, coeff, factors, env):
        """c (A ⊗ B) and c K (A ⊗ B), formed: one pass over the result, c on the smaller factor."""
        if not factors or not isinstance(factors[-1], _Op) or factors[-1].kind != "kron" \
                or len(factors[-1].args) != 2 or len(factors) > 2:
            return None
        kron = factors[-1]
        (r1, c1, _), (r2, c2, _) = kron.parts
        if len(factors) == 2:
            K = factors[0]
            if not (isinstance(K, _Op) and K.kind == "comm" and K.args == (r2, r1)):
                return None
        if not (coeff.is_Number or len(factors) == 2):
            return None
        A, Bk = (self.operand_of(a, env) for a in kron.args)
        if coeff != 1:
            if r1 * c1 <= r2 * c2:
                A = self.scaled(coeff, A, env)
            else:
                Bk = self.scaled(coeff, Bk, env)
        op = "comm_kron" if len(factors) == 2 else "kron"
        return self.emit(f"B.{op}({A}, {Bk})")

    def operand_of(self, M, env):
        return self.emit(f"B.eye({self.dim(M.shape[0])})") if isinstance(M, Identity) \
            else self.value(M, env)

    def operand(self, F, env):
        """A factor's value as a dense matrix (formed when structured)."""
        if isinstance(F, _Named):
            return F.name
        if not isinstance(F, _Op):
            return self.value(F, env)
        if F.kind == "inv":
            A = self.value(F.args[0], env)
            if A in self.transpose_source:   # (A^T)^{-1} = (A^{-1})^T: one inverse for both
                return self.T(self.emit(f"B.inv({self.transpose_source[A]})"))
            return self.emit(f"B.inv({A})")
        if F.kind == "kron":
            return self.emit(f"B.kron({self.kron_factors(F.args, env)})")
        if F.kind == "comm":
            return self.emit(f"B.commutation({F.args[0]}, {F.args[1]})")
        if F.kind == "diag":
            return self.emit(f"B.diag({self.value(F.args[0], env)})")
        raise AssertionError(F.kind)

    def kron_factors(self, args, env):
        parts = []
        for a in args:
            parts.append(str(self.dim(a.shape[0])) if isinstance(a, Identity)
                         else self.value(a, env))
        return ", ".join(parts)

    def apply_left(self, F, W, env):
        """Code for F @ W, F structured, W a computed matrix."""
        if F.kind == "inv":
            return self.emit(f"B.solve({self.value(F.args[0], env)}, {W})")
        if F.kind == "kron":
            return self.emit(f"B.kron_apply(({self.kron_factors(F.args, env)},), {W})")
        if F.kind == "comm":
            return self.emit(f"B.comm_apply({F.args[0]}, {F.args[1]}, {W})")
        if F.kind == "diag":
            v = self.value(F.args[0], env)
            return self.emit(f"B.column({v}) * {W}")
        raise AssertionError(F.kind)

    def apply_right(self, W, F, env):
        """Code for W @ F, F structured: (F^T W^T)^T."""
        if F.kind == "diag":
            return self.emit(f"{W} * B.row({self.value(F.args[0], env)})")
        if F.kind == "inv":
            A = self.value(F.args[0], env)
            return self.T(self.emit(f"B.solve({self.T(A)}, {self.T(W)})"))
        if F.kind == "comm":
            m, n = F.args
            return self.T(self.emit(f"B.comm_apply({n}, {m}, {self.T(W)})"))
        if F.kind == "kron":
            flipped = self.kron_op([transpose_of(a) for a in F.args])
            return self.T(self.apply_left(flipped, self.T(W), env))
        raise AssertionError(F.kind)

    def build(self, plan, factors, i, j, env):
        if i == j:
            return self.operand(factors[i], env)
        how, m = plan.choice[i, j]
        if how == "left":
            return self.apply_left(factors[i], self.build(plan, factors, i + 1, j, env), env)
        if how == "right":
            return self.apply_right(self.build(plan, factors, i, j - 1, env), factors[j], env)
        left = self.build(plan, factors, i, m, env)
        right = self.build(plan, factors, m + 1, j, env)
        return self.matmul(left, right)

    # -- matvec mode: J v applied right to left ------------------------------------
    def apply_expr(self, E, W, env=None):
        """Code for E @ W without forming E: sums distributed, products applied right to left."""
        if isinstance(E, MatAdd):
            parts = []
            for t in E.args:
                if isinstance(t, ZeroMatrix):
                    continue
                c, rest = _split(t)
                negative = bool(c.is_Number and c.is_negative)
                parts.append((negative, self.apply_expr(MatMul(-c, rest) if negative else t,
                                                        W, env)))
            return self.sum_names(parts, self.shape(E)[0], W)
        if isinstance(E, ZeroMatrix):
            return self.emit(f"B.zeros({self.dim(E.rows)}, {W}.shape[1])")
        if isinstance(E, MatMul):
            coeff, mats = E.as_coeff_matrices()
            for F in reversed(mats):
                W = self.apply_expr(F, W, env)
            return self.scaled(coeff, W, env)
        if isinstance(E, Transpose) and isinstance(E.arg, (MatAdd, MatMul)):
            return self.apply_expr(transpose_of(E.arg), W, env)
        factors = self.factors([E], env)
        for F in reversed(factors):
            if isinstance(F, _Op):
                W = self.apply_left(F, W, env)
            elif isinstance(F, _Named):
                W = self.matmul(F.name, W)
            elif isinstance(F, (MatAdd, MatMul)):
                W = self.apply_expr(F, W, env)
            else:
                W = self.matmul(self.value(F, env), W)
        return W

    def sum_names(self, parts, rows, W):
        """The sum of (negative, name) parts, negatives subtracted."""
        if not parts:
            return self.emit(f"B.zeros({rows}, {W}.shape[1])")
        parts.sort(key=lambda p: p[0])
        if len(parts) == 1 and not parts[0][0]:
            return parts[0][1]
        code = ("-" if parts[0][0] else "") + parts[0][1]
        for negative, name in parts[1:]:
            code += (" - " if negative else " + ") + name
        return self.emit(code)

    # -- scalars --------------------------------------------------------------
    def scalar(self, s, env):
        if s in env:
            return env[s]
        if isinstance(s, Symbol):
            if s in self.sizes:
                return repr(float(self.sizes[s]))
            return self.param(s)
        if s.is_number:
            value = complex(s)
            if value.imag != 0:
                raise UnsupportedError(f"the complex number {s} in generated code")
            return f"({value.real!r})" if value.real < 0 else repr(value.real)
        if isinstance(s, Add):
            terms = []
            for a in s.args:
                c, rest = a.as_coeff_Mul()
                if c.is_negative:
                    terms.append((True, self.value(-a, env)))
                else:
                    terms.append((False, self.value(a, env)))
            terms.sort(key=lambda t: t[0])
            code = ("-" if terms[0][0] else "") + terms[0][1]
            for negative, name in terms[1:]:
                code += (" - " if negative else " + ") + name
            return self.emit(code)
        if isinstance(s, Mul):
            c, rest = s.as_coeff_Mul()
            if c == -1:
                return self.emit(f"-{self.value(rest, env)}")
            numer = [a for a in Mul.make_args(s) if not (isinstance(a, Pow) and a.exp == -1)]
            denom = [a.base for a in Mul.make_args(s) if isinstance(a, Pow) and a.exp == -1]
            code = " * ".join(self.value(a, env) for a in numer) if numer else "1.0"
            if denom:
                code += " / " + (self.value(denom[0], env) if len(denom) == 1 else
                                 "(" + " * ".join(self.value(a, env) for a in denom) + ")")
            return self.emit(code)
        if isinstance(s, Pow):
            base, p = s.args
            b = self.value(base, env)
            if p == 2 and isinstance(base, Norm):   # ||E||^2 = sum(E ∘ E), no square root
                E = self.value(base.arg, env)
                return self.emit(f"B.sum({E} * {E})")
            if p == S.Half:
                return self.emit(f"B.sqrt({b})")
            if p == -S.Half:
                return self.emit(f"1.0 / B.sqrt({b})")
            if p == -1:
                return self.emit(f"1.0 / {b}")
            if p.is_Integer and p > 0:
                return self.emit(f"{b} ** {int(p)}")
            return self.emit(f"{b} ** {self.value(p, env)}")
        if isinstance(s, MatrixElement):
            return self.emit(f"{self.value(s.parent, env)}[{self.dim(s.i)}, {self.dim(s.j)}]")
        if isinstance(s, Trace):
            return self.trace(s.arg, env)
        if isinstance(s, Determinant):
            return self.emit(f"B.det({self.value(s.arg, env)})")
        if isinstance(s, Norm):
            return self.emit(f"B.norm({self.value(s.arg, env)})")
        if isinstance(s, log) and isinstance(s.args[0], Determinant):
            return self.emit(f"B.logdet({self.value(s.args[0].arg, env)})")
        if isinstance(s, log) and isinstance(s.args[0], Abs) \
                and isinstance(s.args[0].args[0], Determinant):
            return self.emit(f"B.logabsdet({self.value(s.args[0].args[0].arg, env)})")
        if isinstance(s, (Max, Min)):
            op = "maximum" if isinstance(s, Max) else "minimum"
            args = [self.value(a, env) for a in s.args]
            return reduce(lambda a, b: self.emit(f"B.{op}({a}, {b})"), args)
        name = _FUNCTIONS.get(type(s).__name__)
        if name is not None and len(s.args) == 1 and not isinstance(s, AppliedUndef):
            return self.emit(f"B.{name}({self.value(s.args[0], env)})")
        raise UnsupportedError(f"{type(s).__name__} in generated code ({s})")

    def trace(self, M, env):
        """tr(F1 ... Fk) = sum((F1..Fm) ∘ (Fm+1..Fk)^T) at the cheapest split."""
        if isinstance(M, MatMul):
            coeff, mats = M.as_coeff_matrices()
            factors = self.factors(mats, env)
            if len(factors) >= 2:
                plan = _ChainPlan([self.factor_shape(F) for F in factors],
                                  [F if isinstance(F, _Op) else None for F in factors])
                k = len(factors) - 1
                split = plan.best_trace_split()
                if split is not None:
                    left = self.build(plan, factors, 0, split, env)
                    right = self.build(plan, factors, split + 1, k, env)
                    return self.scaled(coeff, self.emit(f"B.trace_of_product({left}, {right})"),
                                       env)
        return self.emit(f"B.trace({self.value(M, env)})")


class _ChainPlan:
    """The cheapest way to evaluate a product of factors with known shapes.

    Costs in flops: a dense product p x q times q x r costs 2pqr; applying a
    structured factor to a neighbour with c columns costs: solve 2/3 n^3 +
    2 n^2 c, Kronecker (A ⊗ M) 2c(pqs + psr), commutation and diagonal c n;
    forming one: inverse 2 n^3, the others their number of entries.
    """

    def __init__(self, shapes, ops):
        self.shapes, self.ops = shapes, ops
        k = len(shapes)
        self.cost, self.choice = {}, {}
        for i in range(k):
            self.cost[i, i] = self.form_cost(ops[i], shapes[i])
        if k > _MAX_DP_CHAIN:
            self.greedy()
            return
        for length in range(2, k + 1):
            for i in range(k - length + 1):
                j = i + length - 1
                rows, cols = shapes[i][0], shapes[j][1]
                best = None
                for m in range(i, j):
                    c = self.cost[i, m] + self.cost[m + 1, j] + 2 * rows * shapes[m][1] * cols
                    if best is None or c < best[0]:
                        best = (c, ("mm", m))
                if ops[i] is not None:
                    c = self.cost[i + 1, j] + self.apply_cost(ops[i], shapes[i], cols)
                    if c < best[0]:
                        best = (c, ("left", i))
                if ops[j] is not None:
                    c = self.cost[i, j - 1] + self.apply_cost(ops[j], shapes[j], rows)
                    if c < best[0]:
                        best = (c, ("right", j - 1))
                self.cost[i, j], self.choice[i, j] = best

    def greedy(self):
        """Long chains (the DP is cubic in their length): repeatedly multiply the adjacent
        pair that costs least.  Structured factors are formed first."""
        spans = [(i, i) for i in range(len(self.shapes))]
        while len(spans) > 1:
            costs = [self.shapes[a[0]][0] * self.shapes[a[1]][1] * self.shapes[b[1]][1]
                     for a, b in zip(spans, spans[1:])]
            t = costs.index(min(costs))
            (i, m), (_, j) = spans[t], spans[t + 1]
            self.cost[i, j] = self.cost[i, m] + self.cost[m + 1, j] + 2 * costs[t]
            self.choice[i, j] = ("mm", m)
            spans[t:t + 2] = [(i, j)]

    def best_trace_split(self):
        if (0, len(self.shapes) - 1) not in self.choice or len(self.shapes) > _MAX_DP_CHAIN:
            return None
        return self._best_trace_split()

    @staticmethod
    def form_cost(op, shape):
        if op is None:
            return 0
        if op.kind == "inv":
            return 2 * shape[0] ** 3
        return shape[0] * shape[1]

    @staticmethod
    def apply_cost(op, shape, c):
        n = shape[0]
        if op.kind == "inv":
            return 2 * n ** 3 / 3 + 2 * n * n * c
        if op.kind in ("comm", "diag"):
            return n * c
        return _ChainPlan.kron_cost(op.parts, c)

    @staticmethod
    def kron_cost(parts, c):
        """(A ⊗ M) on c columns: c s q p for V_j A^T, then M on the c p columns."""
        p, q, identity = parts[0]
        if len(parts) == 1:
            return 0 if identity else 2 * p * q * c
        s = math.prod(part[1] for part in parts[1:])
        cost = 0 if identity else 2 * c * s * q * p
        return cost + _ChainPlan.kron_cost(parts[1:], c * p)

    def _best_trace_split(self):
        """The split m minimising cost(0..m) + cost(m+1..k) + rows*cols, if it beats the product."""
        k = len(self.shapes) - 1
        n = self.shapes[0][0]
        full = self.cost[0, k] + n
        best = None
        for m in range(k):
            c = self.cost[0, m] + self.cost[m + 1, k] + 2 * n * self.shapes[m][1]
            if best is None or c < best[0]:
                best = (c, m)
        return best[1] if best[0] <= full else None


# --------------------------------------------------------------------------
# the generated function
# --------------------------------------------------------------------------

def _param_key(symbol):
    """Arguments are identified by name (a structured and a plain X are one argument)."""
    if isinstance(symbol, MatrixSymbol):
        return ("matrix", symbol.name)
    return ("scalar", symbol.name)


def _dimension_symbols(exprs):
    dims = set()
    for e in exprs:
        for node in preorder_traversal(e):
            if isinstance(node, MatrixExpr):
                for d in node.shape:
                    dims |= _sympify(d).free_symbols
    return dims


def _arguments(exprs):
    """(matrix symbols, scalar symbols, dimension symbols) of ``exprs``, matrices by name."""
    from .constructs.differentials import DifferentialSymbol
    dims = _dimension_symbols(exprs)
    matrices, scalars = {}, {}
    for e in exprs:
        for s in e.free_symbols:
            if isinstance(s, DifferentialSymbol):
                raise ValueError(f"the differential {s} has no numeric value")
            if isinstance(s, MatrixSymbol):
                other = matrices.setdefault(s.name, s)
                if other.shape != s.shape:
                    raise ShapeError(f"two matrices named {s.name} with shapes {other.shape} "
                                     f"and {s.shape}")
            elif isinstance(s, Symbol) and s not in dims:
                scalars.setdefault(s.name, s)
    return ([matrices[k] for k in sorted(matrices)], [scalars[k] for k in sorted(scalars)],
            sorted(dims, key=lambda d: d.name))


def _live_statements(lines, outputs):
    """The statements the outputs depend on (dead ones, left by tentative emission, dropped)."""
    import re
    used = set(outputs)
    live = []
    for line in reversed(lines):
        name, rhs = line.split(" = ", 1)
        if name in used:
            live.append(line)
            used.update(re.findall(r"_t\d+", rhs))
    return live[::-1]


class GeneratedFunction:
    """A compiled function of matrix (and scalar) arguments passed by symbol name.

    ``fn(X=..., W=...)`` returns the value of ``expr`` (a tuple of values for a
    list of expressions).  Positional arguments follow ``arg_names``.  Symbolic
    sizes are read from the array shapes (or passed by name, ``n=5``); one
    function is generated per combination of sizes: ``source(**arrays)`` shows it.
    """

    def __init__(self, exprs, backend="numpy", jit=None, single=True, matvec=False, args=()):
        self.ops = backend_ops(backend)
        self.backend = backend
        self.exprs = [_sympify(e) for e in exprs]
        self.single = single
        self.matvec = matvec
        self.matvec_symbol = None
        if matvec:
            if len(self.exprs) != 1 or not isinstance(self.exprs[0], MatrixExpr):
                raise ValueError("matvec=True needs one matrix expression")
            self.matvec_cols = Dummy("c", integer=True, positive=True)
            self.matvec_symbol = MatrixSymbol("_matvec_v", self.exprs[0].shape[1],
                                              self.matvec_cols)
        # ``args``: more expressions whose symbols are accepted as arguments (and give sizes)
        self.matrices, self.scalars, self.dims = _arguments(self.exprs + [_sympify(a) for a in args])
        symbols = self.matrices + self.scalars
        self.arg_names = [s.name for s in symbols]
        self.params = {_param_key(s): f"_a{k}" for k, s in enumerate(symbols)}
        if matvec:
            self.params[_param_key(self.matvec_symbol)] = "_v"
        # per matrix argument: ((axis, dimension symbol) read from its shape, is a column)
        self._read_axes = [(s.name, tuple((axis, d) for axis, d in enumerate(s.shape)
                                          if isinstance(d, Symbol)), s.shape[1] == 1)
                           for s in self.matrices]
        self._scalar_names = [s.name for s in self.scalars]
        self._expected_shapes = {}
        self._dims_by_name = {d.name: d for d in self.dims}
        self._key_dims = list(self.dims) + ([self.matvec_cols] if matvec else [])
        self._arg_set = set(self.arg_names)
        self.jit = (backend == "jax") if jit is None else jit
        self._compiled = {}
        self._sources = {}

    @property
    def expr(self):
        return self.exprs[0] if self.single else self.exprs

    # -- sizes ----------------------------------------------------------------
    def _bind(self, args, kwargs):
        values = dict(zip(self.arg_names, args))
        if len(args) > len(self.arg_names):
            raise TypeError(f"expected at most {len(self.arg_names)} positional arguments "
                            f"({', '.join(self.arg_names)}), got {len(args)}")
        dims_by_name = self._dims_by_name
        given_sizes = {}
        for key, value in kwargs.items():
            if key in dims_by_name and key not in values and key not in self._arg_set:
                given_sizes[dims_by_name[key]] = int(value)
            elif key in self._arg_set:
                if key in values:
                    raise TypeError(f"argument {key} given twice")
                values[key] = value
            else:
                raise TypeError(f"unexpected argument {key!r}; the arguments are "
                                f"{', '.join(self.arg_names) or 'none'}")
        if len(values) != len(self.arg_names):
            missing = [k for k in self.arg_names if k not in values]
            raise TypeError(f"missing argument(s) {', '.join(missing)}")
        arrays = []
        sizes = dict(given_sizes)
        for s, (name, read, column) in zip(self.matrices, self._read_axes):
            a = self.ops.asarray(values[name])
            if a.ndim == 1 and column:
                a = a.reshape(-1, 1)
            if a.ndim != 2:
                raise ShapeError(f"{s.name} must be a 2-D array of shape {s.shape}, "
                                 f"got {tuple(a.shape)}")
            for axis, d in read:
                if d not in sizes:
                    sizes[d] = int(a.shape[axis])
            arrays.append(a)
        key = tuple(sizes.get(d) for d in self.dims)
        expected = self._expected_shapes.get(key)
        if expected is None:
            expected = self._expected_shapes[key] = self._shapes_for(sizes)
        for s, a, shape in zip(self.matrices, arrays, expected):
            if tuple(a.shape) != shape and any(e is not None and e != got
                                               for e, got in zip(shape, a.shape)):
                raise ShapeError(f"{s.name} has shape {tuple(a.shape)}, expected "
                                 f"{' x '.join(map(str, s.shape))} = "
                                 f"{' x '.join('?' if e is None else str(e) for e in shape)} "
                                 f"from the other arguments "
                                 f"({', '.join(f'{d}={v}' for d, v in sizes.items())})")
        if None in key:
            unknown = [d.name for d in self.dims if d not in sizes]
            raise ValueError(f"the size(s) {', '.join(unknown)} cannot be read from the "
                             f"arguments' shapes; pass them by name, e.g. {unknown[0]}=3")
        arrays += [self.ops.asarray(values[name]) for name in self._scalar_names]
        return arrays, sizes

    def _shapes_for(self, sizes):
        """The concrete shape of every matrix argument (None where a size is unknown)."""
        sub = {d: Integer(v) for d, v in sizes.items()}
        out = []
        for s in self.matrices:
            shape = []
            for d in s.shape:
                e = _sympify(d).xreplace(sub)
                shape.append(int(e) if e.is_Integer else None)
            out.append(tuple(shape))
        return out

    def _function(self, sizes):
        key = tuple(sizes.get(d) for d in self._key_dims)
        fn = self._compiled.get(key)
        if fn is not None:
            return fn
        key = tuple(sorted((d.name, v) for d, v in sizes.items()))
        source = self._generate({d: Integer(v) for d, v in sizes.items()})
        fn = self._compile(source, key)
        self._compiled[tuple(sizes.get(d) for d in self._key_dims)] = fn
        return fn

    def _generate(self, sizes):
        params = ", ".join(self.params.values())
        emitter = _Emitter(sizes, self.params, matvec=self.matvec,
                           fold_transposes=self.backend == "jax")
        # the emitter recurses along the expression tree: deep networks need the room
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
        try:
            if self.matvec:
                outs = [emitter.apply_expr(self.exprs[0], "_v")]
            else:
                outs = [emitter.value(e) for e in self.exprs]
        finally:
            sys.setrecursionlimit(limit)
        ret = outs[0] if self.single else "(" + ", ".join(outs) + ",)"
        lines = _live_statements(emitter.lines, outs)
        body = "\n".join("    " + line for line in lines) or "    pass"
        return f"def _generated({params}):\n{body}\n    return {ret}\n"

    def _compile(self, source, key):
        filename = f"<matcalc.codegen {self.backend} {id(self):x} {key}>"
        namespace = {"B": self.ops}
        # the source is built by _Emitter from the SymPy tree; no user text is in it
        exec(compile(source, filename, "exec"), namespace)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        self._sources[key] = source
        fn = namespace["_generated"]
        if self.jit:
            if self.backend != "jax":
                raise ValueError("jit=True is available for the jax backend only")
            fn = self.ops.jax.jit(fn)
        return fn

    def source(self, *args, **kwargs):
        """The generated code for the sizes of these arguments (or of ``n=..., k=...``)."""
        if kwargs and all(k in {d.name for d in self.dims} for k in kwargs) and not args:
            sizes = {d: int(kwargs[d.name]) for d in self.dims if d.name in kwargs}
        else:
            _, sizes = self._bind(args, kwargs)
        if self.matvec:
            sizes.setdefault(self.matvec_cols, 1)
        return self._generate({d: Integer(v) for d, v in sizes.items()})

    def __call__(self, *args, **kwargs):
        arrays, sizes = self._bind(args, kwargs)
        return self._function(sizes)(*arrays)

    def apply(self, v, /, *args, **kwargs):
        """``expr @ v`` for a matvec function (v: a vector or a matrix of columns)."""
        if not self.matvec:
            raise ValueError("apply() needs a function made with matvec=True")
        v = self.ops.asarray(v)
        flat = v.ndim == 1
        if flat:
            v = v.reshape(-1, 1)
        arrays, sizes = self._bind(args, kwargs)
        sizes[self.matvec_cols] = int(v.shape[1])
        expected = self.dim_of(self.exprs[0].shape[1], sizes)
        if int(v.shape[0]) != expected:
            raise ShapeError(f"the vector has {v.shape[0]} rows, expected {expected}")
        out = self._function(sizes)(*arrays, v)
        return out.reshape(-1) if flat else out

    @staticmethod
    def dim_of(d, sizes):
        return int(_sympify(d).xreplace({k: Integer(v) for k, v in sizes.items()}))

    def __repr__(self):
        what = "matvec of " if self.matvec else ""
        return (f"<generated {self.backend} function ({', '.join(self.arg_names)}) computing "
                f"{what}{self.expr}>")


class _MatvecFunction(GeneratedFunction):
    """``mv(v, **arrays)`` = J v (the first positional argument is the vector)."""

    def __call__(self, v, /, *args, **kwargs):
        return self.apply(v, *args, **kwargs)


def codegen(result, backend="numpy", jit=None, matvec=False, args=()):
    """A compiled function computing ``result`` (a matcalc result or any matrix/scalar
    expression; a list or tuple of them gives a function returning a tuple).

    ``backend``: "numpy" (default), "jax" (``jax.jit``-compiled unless ``jit=False``;
    float64 needs ``jax.config.update("jax_enable_x64", True)``) or "torch" (float64
    tensors).  ``matvec=True``: a function ``mv(v, **arrays)`` computing
    ``result @ v`` without forming ``result`` (Kronecker products, commutation
    and diagonal matrices applied to v; for Jacobians and Hessians).  ``args``:
    expressions whose symbols the function accepts too, e.g. the function whose
    gradient ``result`` is (its variable may not occur in the gradient).
    """
    single = not isinstance(result, (list, tuple))
    exprs = [result] if single else list(result)
    if not exprs:
        raise ValueError("codegen needs at least one expression")
    for e in exprs:
        e = _sympify(e)
        if not isinstance(e, Basic):
            raise TypeError(f"codegen needs SymPy expressions, got {type(e).__name__}")
    cls = _MatvecFunction if matvec else GeneratedFunction
    return cls(exprs, backend=backend, jit=jit, single=single, matvec=matvec, args=args)


def lambdify_grad(f, X, backend="numpy", with_value=False, jit=None, **grad_options):
    """The compiled gradient of the scalar ``f`` w.r.t. ``X``: ``g(X=..., ...)`` -> grad f.

    ``with_value=True``: ``g`` returns ``(f, grad f)`` with their common
    subexpressions computed once.  ``grad_options`` go to ``matcalc.grad``
    (``layout=``, ``structure=``); ``g.expr`` is the symbolic gradient.
    """
    from .differential import as_scalar
    from .derivatives import grad
    G = grad(f, X, **grad_options)
    if with_value:
        return codegen([as_scalar(_sympify(f)), G], backend=backend, jit=jit, args=(X,))
    return codegen(G, backend=backend, jit=jit, args=(f, X))


class HessianVectorProduct:
    """``hvp(V, **arrays)`` = H vec(V) as a matrix shaped like X (or a vec when V is one).

    ``expr`` is the symbolic directional derivative of the gradient along V
    (``method="directional"``) or the Hessian itself (``method="kronecker"``).
    """

    def __init__(self, f, X, backend="numpy", method="directional", jit=None):
        from .differential import as_scalar, differential
        from .constructs.differentials import DifferentialSymbol
        from .derivatives import grad
        from .simplify import simplify_result
        self.X = X
        self.method = method
        taken = {s.name for s in _sympify(f).free_symbols}
        name = "V"
        while name in taken:
            name = "_" + name
        self.V = MatrixSymbol(name, *X.shape)
        if method == "directional":
            # d(grad f)[V] = mat(H vec(V)): H is the Jacobian of vec(grad f)
            G = grad(f, X)
            dG = differential(G, X)
            self.expr = simplify_result(dG.xreplace({DifferentialSymbol.of(X): self.V})) \
                if isinstance(dG, MatrixExpr) else dG
            if not isinstance(self.expr, MatrixExpr):
                self.expr = ZeroMatrix(*X.shape)
            self.function = codegen(self.expr, backend=backend, jit=jit, args=(f, X, self.V))
        elif method == "kronecker":
            from .derivatives import hessian
            self.expr = hessian(as_scalar(_sympify(f)), X)
            self.function = codegen(self.expr, backend=backend, jit=jit, matvec=True,
                                    args=(f, X))
        else:
            raise ValueError(f"method must be 'directional' or 'kronecker', got {method!r}")
        self.arg_names = [n for n in self.function.arg_names if n != self.V.name]

    def __call__(self, V, /, *args, **kwargs):
        if args:
            kwargs.update(zip(self.arg_names, args))
        ops = self.function.ops
        V = ops.asarray(V)
        x = ops.asarray(kwargs[self.X.name])
        p, q = x.shape if x.ndim == 2 else (x.shape[0], 1)
        as_vec = V.ndim == 1 or (tuple(V.shape) == (p * q, 1) and q != 1)
        if self.method == "directional":
            M = V.reshape(q, p).T if as_vec else V
            out = self.function(**kwargs, **{self.V.name: M})
            return ops.vec(out).reshape(V.shape) if as_vec else out
        column = V.reshape(-1, 1) if as_vec else ops.vec(V)
        out = self.function.apply(column, **kwargs)
        return out.reshape(V.shape) if as_vec else out.reshape(q, p).T

    def __repr__(self):
        return f"<Hessian-vector product ({self.method}) of {self.X}: {self.expr}>"


def hessian_vector_product(f, X, backend="numpy", method="directional", jit=None):
    """v -> H v for the Hessian H of the scalar ``f`` w.r.t. ``X``, never forming H.

    ``method="directional"`` (default): the directional derivative of the
    gradient, d(grad f)[V] = mat(H vec V), derived symbolically in matrix form
    (e.g. least squares: V -> 2 X^T (X V)).  ``method="kronecker"``: the Hessian
    from ``matcalc.hessian`` applied to vec(V) through its Kronecker structure,
    (B^T ⊗ A) vec(V) = vec(A V B).  ``hvp(V, **arrays)`` takes V shaped like X
    (result shaped like X) or vec(V) (result a vec).
    """
    return HessianVectorProduct(f, X, backend=backend, method=method, jit=jit)
