"""The emitter: a SymPy tree -> straight-line code, for one set of concrete sizes.

Every distinct operation is one statement ``_tN = ...``; identical right-hand sides are
merged (value numbering) and a node whose transpose was already computed is that value's
``.T`` (common subexpressions modulo ^T).  A statement whose operands are all bound
constants (``constant_params``) is itself constant: the function hoists it (computed once
per binding), and the cost model counts it as free (``cost``).  The value of each construct comes from its
``CODEGEN`` rule (``matcalc/constructs/*.py``, section ``codegen``); products go through
the matrix-chain plan (``plan.py``), with the factors each construct stands for
(``PRODUCT_FACTORS``, ``STRUCTURED_FACTOR``); ``apply`` computes ``E @ W`` without forming
E (``APPLY``) for matrix-vector products.
"""
import itertools
import re

from sympy import Function, MatMul, MatrixSymbol, S, Symbol
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.transpose import Transpose

from ..algebra import transpose_of
from ..errors import UnsupportedError
from ..registry import APPLY, CODEGEN, PRODUCT_FACTORS, STRUCTURED_FACTOR, refuses
from .plan import (FUNCTION, MAX_DP_CHAIN, ChainPlan, Computed, StructuredFactor,
                   elementwise_cost)

__all__ = ["Emitter", "param_key", "NAME"]

#: the names generated code assigns: parameters ``_aK``, temporaries ``_tK``, the vector ``_v``
NAME = re.compile(r"\b_[at]\d+\b|\b_v\b")


def param_key(symbol):
    """Arguments are identified by name (a structured and a plain X are one argument)."""
    if isinstance(symbol, MatrixSymbol):
        return ("matrix", symbol.name)
    return ("scalar", symbol.name)


class Emitter:
    """Straight-line code for the expressions given to ``value`` (or ``apply``)."""

    def __init__(self, sizes, params, matvec=False, fold_transposes=False, constant_params=()):
        self.fold_transposes = fold_transposes   # XLA materialises A.T in A.T @ B
        self.sizes = sizes                  # {dimension Symbol: Integer}
        self.params = params                # {param_key(symbol): parameter name}
        self.matvec = matvec
        self.lines = []
        self.numbering = {}                 # right-hand side -> name
        self.transpose_source = {}          # name of M^T -> name of M
        self.memo = {}
        self.counter = itertools.count()
        self.constant_names = set(constant_params)   # bound constants and values of them only
        self.costs = {}                     # expression -> estimated flops (``cost``)
        self.name_shapes = {}               # name of a matrix value -> its concrete shape
        self.products = {}                  # names of a product's factors -> its name

    # -- statements ----------------------------------------------------------
    def emit(self, rhs):
        name = self.numbering.get(rhs)
        if name is None:
            name = f"_t{next(self.counter)}"
            self.lines.append(f"{name} = {rhs}")
            self.numbering[rhs] = name
            if all(used in self.constant_names for used in NAME.findall(rhs)):
                self.constant_names.add(name)
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
        if name in self.name_shapes:
            self.name_shapes[out] = self.name_shapes[name][::-1]
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

    def is_constant(self, expr, env=None):
        """Does ``expr``'s value depend only on bound constants?"""
        if not self.constant_names:
            return False
        for s in expr.free_symbols:
            if env and s in env:
                if env[s] not in self.constant_names:
                    return False
            elif isinstance(s, (MatrixSymbol, Symbol)) and s not in self.sizes:
                if self.params.get(param_key(s)) not in self.constant_names:
                    return False
        return True

    def cost(self, expr, env=None):
        """Estimated flops to compute ``expr``'s value now: nothing for a value already
        computed or depending only on constants; products by their chain plan, sums and
        elementwise operations per entry (``plan.py``'s weights); scalars are not counted."""
        if not isinstance(expr, MatrixExpr):
            return 0
        key = (expr, tuple(sorted(env.items(), key=str)) if env else ())
        if key in self.memo or self.is_constant(expr, env):
            return 0
        hit = self.costs.get(key)
        if hit is not None:
            return hit
        entries = self.shape(expr)[0] * self.shape(expr)[1]
        if isinstance(expr, (MatrixSymbol, Transpose)):
            out = self.cost(expr.args[0], env) if isinstance(expr, Transpose) else 0
        elif isinstance(expr, MatMul):
            coeff, mats = expr.as_coeff_matrices()
            factors = self.factors(mats, env)
            out = (self.plan(factors, env).cost[0, len(factors) - 1] if factors else 0) \
                + (elementwise_cost(entries) if coeff != 1 else 0)
        else:
            # an elementwise node (a sum, a Hadamard product, phi(A) ...): one operation per
            # matrix operand, and the scalar functions of its body per entry
            matrices = [a for a in expr.args if isinstance(a, MatrixExpr)]
            functions = sum(len(a.atoms(Function)) for a in expr.args
                            if not isinstance(a, MatrixExpr))
            out = sum(self.cost(a, env) for a in matrices) \
                + elementwise_cost(entries, max(1, len(matrices) - 1)) \
                + elementwise_cost(entries, functions, FUNCTION)
        self.costs[key] = out
        return out

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
            self.name_shapes.setdefault(out, self.shape(expr))
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
            if isinstance(F, Computed):
                out.append(F)
                continue
            structured = STRUCTURED_FACTOR.lookup(F)
            if structured is not None:
                factor = structured(F, self)
                factor.env = env
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

    def computed(self, name, shape=None):
        """A ``Computed`` factor for the matrix value held by ``name``."""
        return Computed(name, shape or self.name_shapes[name],
                        constant=name in self.constant_names)

    def chain(self, mats, env=None, coeff=S.One):
        """c F1 F2 ... Fk in the cheapest order for the concrete sizes (matrix-chain DP;
        sums among the factors distributed or formed, whichever is cheaper; products
        computed already reused; c applied to the smallest operand)."""
        factors = self.factors(mats, env)
        if not factors:
            n = self.dim(mats[0].shape[0]) if mats else 1
            return self.scaled(coeff, self.emit(f"B.eye({n})"), env)
        if isinstance(factors[0], StructuredFactor):
            fused = factors[0].fused(coeff, factors, self, env)
            if fused is not None:
                return fused
        if len(factors) == 3 and isinstance(factors[1], StructuredFactor) \
                and not isinstance(factors[0], (StructuredFactor, Computed)) \
                and not isinstance(factors[2], (StructuredFactor, Computed)) \
                and transpose_of(factors[2]) == factors[0]:
            symmetric = factors[1].congruence(coeff, factors[2], self, env)
            if symmetric is not None:
                return symmetric
        factors, coeff = self.scale_smallest(factors, coeff, env)
        return self.scaled(coeff, self.multiply(factors, env), env)

    def scale_smallest(self, factors, coeff, env):
        """(factors, c) with c moved onto the smallest dense factor when that factor has
        fewer entries than the product (``2 (A B) x`` as ``A (B (2 x))`` costs n, not n^2
        ... and ``(2 G) X^T`` scales G, not the outer product) -- unless the product was
        computed already."""
        if coeff == 1 or len(factors) < 2:
            return factors, coeff
        shapes = [self.factor_shape(F) for F in factors]
        entries = shapes[0][0] * shapes[-1][1]
        if self.known_spans(factors, env).get((0, len(factors) - 1)):
            return factors, coeff
        best = min((k for k, F in enumerate(factors) if not isinstance(F, StructuredFactor)),
                   key=lambda k: shapes[k][0] * shapes[k][1], default=None)
        if best is None or shapes[best][0] * shapes[best][1] >= entries:
            return factors, coeff
        scaled = self.scaled(coeff, self.operand(factors[best], env), env)
        factors = list(factors)
        factors[best] = self.computed(scaled, shapes[best])
        return factors, S.One

    def chain_cost(self, mats, env=None):
        """Estimated flops of the product of ``mats`` (expressions or ``Computed``)."""
        factors = self.factors(mats, env)
        return self.plan(factors, env).cost[0, len(factors) - 1] if factors else 0

    def plan(self, factors, env=None):
        structured = [F if isinstance(F, StructuredFactor) else None for F in factors]
        # a structured factor occurring several times is formed once (its cost shared)
        keys = [F.key() if isinstance(F, StructuredFactor) else None for F in factors]
        leaf_costs = [F.form_cost() / max(1, keys.count(key) if key is not None else 1)
                      if isinstance(F, StructuredFactor) and not F.constant
                      else 0 if isinstance(F, (StructuredFactor, Computed))
                      else self.cost(F, env) for F, key in zip(factors, keys)]
        constant = [F.constant if isinstance(F, (StructuredFactor, Computed))
                    else self.is_constant(F, env) for F in factors]
        return ChainPlan([self.factor_shape(F) for F in factors], structured, leaf_costs,
                         constant, self.known_spans(factors, env))

    def factor_name(self, F, env):
        """The name already holding a factor's value, or None."""
        if isinstance(F, Computed):
            return F.name
        if isinstance(F, StructuredFactor):
            return None
        return self.memo.get((F, tuple(sorted(env.items(), key=str)) if env else ()))

    def known_spans(self, factors, env):
        """{(i, j): name} of the sub-products ``factors[i..j]`` computed already."""
        if not self.products or len(factors) > MAX_DP_CHAIN:
            return {}
        names = [self.factor_name(F, env) for F in factors]
        known = {}
        for i in range(len(factors)):
            for j in range(i + 1, len(factors)):
                if names[j] is None:
                    break
                if names[i] is not None:
                    name = self.products.get(tuple(names[i:j + 1]))
                    if name is not None:
                        known[i, j] = name
        return known

    def multiply(self, factors, env):
        if len(factors) == 1:
            return self.operand(factors[0], env)
        return self.build(self.plan(factors, env), factors, 0, len(factors) - 1, env)

    def operand(self, F, env):
        """A factor's value as a dense matrix (formed when structured)."""
        if isinstance(F, Computed):
            return F.name
        if isinstance(F, StructuredFactor):
            return F.form(self, env)
        return self.value(F, env)

    def build(self, plan, factors, i, j, env):
        """The sub-product ``factors[i..j]`` computed as ``plan`` chose (and remembered by
        the names of its factors, for other products to reuse)."""
        out = self.built(plan, factors, i, j, env)
        self.name_shapes.setdefault(out, (plan.shapes[i][0], plan.shapes[j][1]))
        if j > i:
            names = [self.factor_name(F, env) for F in factors[i:j + 1]]
            if None not in names:
                self.products.setdefault(tuple(names), out)
        return out

    def built(self, plan, factors, i, j, env):
        if i == j:
            return self.operand(factors[i], env)
        how, m = plan.choice[i, j]
        if how == "known":
            return m
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
        columns = self.name_shapes[W][1]
        rule = APPLY.lookup(E)
        if rule is not None:
            out = rule(E, self, W, env)
            self.name_shapes.setdefault(out, (self.shape(E)[0], columns))
            return out
        for F in reversed(self.factors([E], env)):
            if isinstance(F, StructuredFactor):
                W = F.apply_left(self, W, env)
            elif isinstance(F, Computed):
                W = self.matmul(F.name, W)
            elif APPLY.lookup(F) is not None:
                W = self.apply(F, W, env)
            else:
                W = self.matmul(self.value(F, env), W)
            self.name_shapes.setdefault(W, (self.factor_shape(F)[0], columns))
        return W
