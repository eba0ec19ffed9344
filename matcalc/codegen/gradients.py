"""Compiled derivatives: ``lambdify_grad``, ``value_and_grad``, ``hessian_vector_product``.

Each is a ``codegen`` function of the symbolic derivative, so the same code generation applies:
common subexpressions computed once (the value and the gradient share the forward pass --
``x^T A x`` and ``A x + A^T x`` compute ``A x`` once), chains ordered and sums distributed or
formed by their cost at the concrete sizes, and ``constants={A: array}`` bound once with
everything computed from them alone hoisted.  Binding the point itself,
``hessian_vector_product(f, x, constants={x: x0, ...})``, computes the forward pass at x0
once: each call then does only the work that depends on the direction (what
``jax.linearize`` does).
"""
from sympy import MatrixSymbol
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from .functions import codegen

__all__ = ["lambdify_grad", "value_and_grad", "hessian_vector_product", "HessianVectorProduct"]


def lambdify_grad(f, X, backend="numpy", with_value=False, jit=None, constants=None,
                  **grad_options):
    """The compiled gradient of the scalar ``f`` w.r.t. ``X``: ``g(X=..., ...)`` -> grad f.

    ``with_value=True``: ``g`` returns ``(f, grad f)`` with their common subexpressions
    computed once (``value_and_grad``).  ``constants``: ``{symbol or name: array}`` bound
    once, e.g. ``lambdify_grad(f, x, constants={A: A0})`` forms ``A + A^T`` once, not per
    call.  ``grad_options`` go to ``matcalc.grad`` (``layout=``, ``structure=``);
    ``g.expr`` is the symbolic gradient.
    """
    from ..constructs.scalars import as_scalar
    from ..derivatives import grad
    G = grad(f, X, **grad_options)
    if with_value:
        return codegen([as_scalar(_sympify(f)), G], backend=backend, jit=jit, args=(X,),
                       constants=constants)
    return codegen(G, backend=backend, jit=jit, args=(f, X), constants=constants)


def value_and_grad(f, X, backend="numpy", jit=None, constants=None, **grad_options):
    """``fn(**arrays)`` -> ``(f, grad f)``: one generated function, the forward pass shared by
    the value and the gradient (as ``jax.value_and_grad``); options as ``lambdify_grad``."""
    return lambdify_grad(f, X, backend=backend, with_value=True, jit=jit, constants=constants,
                         **grad_options)


class HessianVectorProduct:
    """``hvp(V, **arrays)`` = H vec(V) as a matrix shaped like X (or a vec when V is one);
    with ``with_grad=True``, ``(f, grad f, H vec(V))`` from one function.

    ``expr`` is the symbolic directional derivative of the gradient along V
    (``method="directional"``) or the Hessian itself (``method="kronecker"``).
    """

    def __init__(self, f, X, backend="numpy", method="directional", jit=None, constants=None,
                 with_grad=False):
        from ..constructs.differentials import DifferentialSymbol
        from ..constructs.scalars import as_scalar
        from ..derivatives import grad
        from ..differential import differential
        from ..simplify import simplify_result
        self.X, self.method, self.with_grad = X, method, with_grad
        taken = {s.name for s in _sympify(f).free_symbols}
        name = "V"
        while name in taken:
            name = "_" + name
        self.V = MatrixSymbol(name, *X.shape)
        if with_grad and method != "directional":
            raise ValueError("with_grad=True needs method='directional'")
        if method == "directional":
            # d(grad f)[V] = mat(H vec(V)): H is the Jacobian of vec(grad f)
            G = grad(f, X)
            dG = differential(G, X)
            self.expr = simplify_result(dG.xreplace({DifferentialSymbol.of(X): self.V})) \
                if isinstance(dG, MatrixExpr) else dG
            if not isinstance(self.expr, MatrixExpr):
                self.expr = ZeroMatrix(*X.shape)
            outputs = [as_scalar(_sympify(f)), G, self.expr] if with_grad else self.expr
            self.function = codegen(outputs, backend=backend, jit=jit, args=(f, X, self.V),
                                    constants=constants)
        elif method == "kronecker":
            from ..derivatives import hessian
            self.expr = hessian(as_scalar(_sympify(f)), X)
            self.function = codegen(self.expr, backend=backend, jit=jit, matvec=True,
                                    args=(f, X), constants=constants)
        else:
            raise ValueError(f"method must be 'directional' or 'kronecker', got {method!r}")
        self.arg_names = [n for n in self.function.arg_names if n != self.V.name]
        self._x_name, self._v_name = X.name, self.V.name

    def __call__(self, V, /, *args, **kwargs):
        if args:
            kwargs.update(zip(self.arg_names, args))
        ops = self.function.ops
        V = ops.asarray(V)
        x = self.function.constants.get(self._x_name)
        x = ops.asarray(kwargs[self._x_name] if x is None else x)
        p, q = x.shape if x.ndim == 2 else (x.shape[0], 1)
        as_vec = V.ndim == 1 or (tuple(V.shape) == (p * q, 1) and q != 1)
        if self.method == "directional":
            kwargs[self._v_name] = V.reshape(q, p).T if as_vec else V
            out = self.function(**kwargs)
            if self.with_grad:
                value, G, out = out
            out = ops.vec(out).reshape(V.shape) if as_vec else out
            return (value, G, out) if self.with_grad else out
        column = V.reshape(-1, 1) if as_vec else ops.vec(V)
        out = self.function.apply(column, **kwargs)
        return out.reshape(V.shape) if as_vec else out.reshape(q, p).T

    def source(self, **sizes):
        """The generated code (``hvp.source(n=4)``)."""
        return self.function.source(**sizes)

    def __repr__(self):
        return f"<Hessian-vector product ({self.method}) of {self.X}: {self.expr}>"


def hessian_vector_product(f, X, backend="numpy", method="directional", jit=None,
                           constants=None, with_grad=False):
    """v -> H v for the Hessian H of the scalar ``f`` w.r.t. ``X``, never forming H.

    ``method="directional"`` (default): the directional derivative of the gradient,
    d(grad f)[V] = mat(H vec V), derived symbolically in matrix form (e.g. least squares:
    V -> 2 X^T (X V)).  ``method="kronecker"``: the Hessian from ``matcalc.hessian`` applied
    to vec(V) through its Kronecker structure, (B^T ⊗ A) vec(V) = vec(A V B).  ``hvp(V,
    **arrays)`` takes V shaped like X (result shaped like X) or vec(V) (result a vec).
    ``constants``: bound once (``X`` among them: the forward pass at that point is computed
    once, each call does only the V-dependent work); ``with_grad=True``: ``hvp(V, ...)``
    returns ``(f, grad f, H vec(V))``, the forward pass shared.
    """
    return HessianVectorProduct(f, X, backend=backend, method=method, jit=jit,
                                constants=constants, with_grad=with_grad)
