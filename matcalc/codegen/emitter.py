"""The emitter: a SymPy tree -> straight-line code, for one set of concrete sizes.

Every distinct operation is one statement ``_tN = ...``; identical right-hand sides are
merged (value numbering) and a node whose transpose was already computed is that value's
``.T`` (common subexpressions modulo ^T).  The value of each construct comes from its
``CODEGEN`` rule (``matcalc/constructs/*.py``, section ``codegen``); products go through
the matrix-chain plan (``plan.py``), with the factors each construct stands for
(``PRODUCT_FACTORS``, ``STRUCTURED_FACTOR``); ``apply`` computes ``E @ W`` without forming
E (``APPLY``) for matrix-vector products.
"""
import itertools

from sympy import MatAdd, MatMul, MatrixSymbol, S, Symbol
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.transpose import Transpose

from ..algebra import transpose_of
from ..errors import UnsupportedError
from ..registry import APPLY, CODEGEN, PRODUCT_FACTORS, STRUCTURED_FACTOR, refuses
from .plan import ChainPlan, Computed, StructuredFactor

__all__ = ["Emitter", "param_key"]


def param_key(symbol):
    """Arguments are identified by name (a structured and a plain X are one argument)."""
    if isinstance(symbol, MatrixSymbol):
        return ("matrix", symbol.name)
    return ("scalar", symbol.name)


class Emitter:
    """Straight-line code for the expressions given to ``value`` (or ``apply``)."""

    def __init__(self, sizes, params, matvec=False, fold_transposes=False):
        self.fold_transposes = fold_transposes   # XLA materialises A.T in A.T @ B
        self.sizes = sizes                  # {dimension Symbol: Integer}
        self.params = params                # {param_key(symbol): parameter name}
        self.matvec = matvec
        self.lines = []
        self.numbering = {}                 # right-hand side -> name
        self.transpose_source = {}          # name of M^T -> name of M
        self.memo = {}
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

    def scaled(self, coeff, name, env):
        """c * name (``-name`` for c = -1)."""
        if coeff == 1:
            return name
        if coeff == -1:
            return self.emit(f"-{name}")
        return self.emit(f"{self.value(coeff, env)} * {name}")

    def signed_sum(self, parts):
        """The sum of (negative, name) parts: negatives subtracted, a positive term first."""
        parts = sorted(parts, key=lambda p: p[0])
        if len(parts) == 1 and not parts[0][0]:
            return parts[0][1]
        code = ("-" if parts[0][0] else "") + parts[0][1]
        for negative, name in parts[1:]:
            code += (" - " if negative else " + ") + name
        return self.emit(code)

    def dim(self, d):
        value = _sympify(d).xreplace(self.sizes)
        if not value.is_Integer:
            raise ValueError(f"no concrete size for the dimension {d}")
        return int(value)

    def shape(self, M):
        return tuple(self.dim(d) for d in M.shape)

    def param(self, symbol):
        try:
            return self.params[param_key(symbol)]
        except KeyError:
            raise ValueError(f"{symbol} is not an argument of the generated function") from None

    @staticmethod
    def split(M):
        """(c, M') with M = c M' (M' one matrix factor or the product of the rest)."""
        if isinstance(M, MatMul):
            coeff, mats = M.as_coeff_matrices()
            return coeff, (mats[0] if len(mats) == 1 else MatMul(*mats))
        return S.One, M

    @staticmethod
    def unsupported(expr):
        return UnsupportedError(f"{type(expr).__name__} in generated code ({expr})")

    # -- values ---------------------------------------------------------------
    def value(self, expr, env=None):
        """The name (or literal) holding the value of ``expr``; ``env`` maps the bound
        variables of elementwise bodies to names."""
        key = (expr, tuple(sorted(env.items(), key=str)) if env else ())
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        if isinstance(expr, MatrixExpr):
            if not env and not isinstance(expr, (MatrixSymbol, Transpose)):
                flipped = self.memo.get((transpose_of(expr), ()))
                if flipped is not None:
                    out = self.memo[key] = self.T(flipped)
                    return out
            out = self.lower(expr, env)
        else:
            out = self.scalar(expr, env or {})
        self.memo[key] = out
        return out

    def lower(self, expr, env):
        """``expr``'s value by its construct's ``CODEGEN`` rule."""
        if refuses(expr, "codegen"):   # dX, d(U): no value
            raise CODEGEN.unsupported(expr)
        rule = CODEGEN.lookup(expr)
        if rule is None:
            raise self.unsupported(expr)
        return rule(expr, self, env)

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
        return self.lower(s, env)

    # -- products ---------------------------------------------------------------
    def factors(self, mats, env=None):
        """A product's factors: dense expressions, ``StructuredFactor``s and ``Computed``."""
        out = []
        for F in mats:
            structured = STRUCTURED_FACTOR.lookup(F)
            if structured is not None:
                factor = structured(F, self)
                if not factor.is_identity:
                    out.append(factor)
                continue
            expand = PRODUCT_FACTORS.lookup(F)
            if expand is not None:
                out.extend(expand(F, self, env))
            else:
                out.append(F)
        return out

    def factor_shape(self, F):
        if isinstance(F, (StructuredFactor, Computed)):
            return F.shape
        return self.shape(F)

    def chain(self, mats, env=None, coeff=S.One):
        """c F1 F2 ... Fk in the cheapest order for the concrete sizes (matrix-chain DP)."""
        factors = self.factors(mats, env)
        if not factors:
            n = self.dim(mats[0].shape[0]) if mats else 1
            return self.scaled(coeff, self.emit(f"B.eye({n})"), env)
        if isinstance(factors[0], StructuredFactor):
            fused = factors[0].fused(coeff, factors, self, env)
            if fused is not None:
                return fused
        factors = self.distribute_sums(factors, env)
        return self.scaled(coeff, self.multiply(factors, env), env)

    def plan(self, factors):
        return ChainPlan([self.factor_shape(F) for F in factors],
                         [F if isinstance(F, StructuredFactor) else None for F in factors])

    def multiply(self, factors, env):
        if len(factors) == 1:
            return self.operand(factors[0], env)
        return self.build(self.plan(factors), factors, 0, len(factors) - 1, env)

    def distribute_sums(self, factors, env):
        """(A + B C) W = A W + B (C W) when W is thin: the sum is never formed.

        Applied to a sum followed by a product at most a quarter as wide as the sum is
        tall, when some term of the sum is itself a product or a structured factor worth
        applying (a sum of plain matrices is cheaper to add than to multiply twice)."""
        i = len(factors) - 2
        while i >= 0:
            F = factors[i]
            if isinstance(F, MatAdd) and any(
                    isinstance(t, MatMul) or getattr(STRUCTURED_FACTOR.lookup(t), "distributes",
                                                     False) for t in F.args):
                rows = self.shape(F)[0]
                cols = self.factor_shape(factors[-1])[1]
                if 4 * cols <= rows:
                    W = self.multiply(factors[i + 1:], env)
                    factors = factors[:i] + [Computed(self.apply(F, W, env), (rows, cols))]
            i -= 1
        return factors

    def operand(self, F, env):
        """A factor's value as a dense matrix (formed when structured)."""
        if isinstance(F, Computed):
            return F.name
        if isinstance(F, StructuredFactor):
            return F.form(self, env)
        return self.value(F, env)

    def build(self, plan, factors, i, j, env):
        """The sub-product ``factors[i..j]`` computed as ``plan`` chose."""
        if i == j:
            return self.operand(factors[i], env)
        how, m = plan.choice[i, j]
        if how == "left":
            return factors[i].apply_left(self, self.build(plan, factors, i + 1, j, env), env)
        if how == "right":
            return factors[j].apply_right(self, self.build(plan, factors, i, j - 1, env), env)
        left = self.build(plan, factors, i, m, env)
        right = self.build(plan, factors, m + 1, j, env)
        return self.matmul(left, right)

    # -- matvec: E W applied right to left ---------------------------------------
    def apply(self, E, W, env=None):
        """The name of E @ W without forming E: by E's ``APPLY`` rule (sums distributed,
        products applied right to left), else factor by factor, right to left."""
        rule = APPLY.lookup(E)
        if rule is not None:
            return rule(E, self, W, env)
        for F in reversed(self.factors([E], env)):
            if isinstance(F, StructuredFactor):
                W = F.apply_left(self, W, env)
            elif isinstance(F, Computed):
                W = self.matmul(F.name, W)
            elif APPLY.lookup(F) is not None:
                W = self.apply(F, W, env)
            else:
                W = self.matmul(self.value(F, env), W)
        return W
