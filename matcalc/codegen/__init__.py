r"""Code generation: NumPy, JAX and PyTorch functions from matcalc results.

    g = lambdify_grad(f, X)                g(X=..., W=..., Y=...)  -> grad f       (ndarray)
    vg = value_and_grad(f, X)              vg(X=..., ...)          -> (f, grad f), one pass
    fn = codegen(expr, backend="numpy")    fn(**arrays)            -> value of expr
    fn = codegen([f, G])                   fn(**arrays)            -> (f, G), one shared CSE
    mv = codegen(J, matvec=True)           mv(v, **arrays)         -> J v without forming J
    hvp = hessian_vector_product(f, X)     hvp(V, **arrays)        -> H vec(V), shaped like V
    g = lambdify_grad(f, x, constants={A: A0})   A bound once: g(x=...); A + A^T formed once

What the generated code does that a direct printing of the expression does not:

- common subexpressions computed once: every distinct operation is one statement,
  identical statements are merged (value numbering), and a node whose transpose was
  already computed is that value's ``.T`` (CSE modulo ^T) -- ``emitter.py``;
- a cost model (flops with memory traffic, ``plan.py``): matrix chains ``F1 F2 ... Fk``
  multiplied in the cheapest order for the concrete sizes (dynamic programming over the
  parenthesisations), a sum among the factors distributed (``A x + A^T x``) or formed
  (``(A + A^T) X``), whichever is cheaper -- chain ordering across sums;
- constants bound once (``constants=``): everything computed from them alone is hoisted
  out of the per-call code, and the cost model counts it as free;
- structured factors applied, never formed, when they multiply something (each construct's
  ``# == codegen ==`` section): ``A^{-1} B`` as ``solve(A, B)``, ``(A ⊗ B) V`` as
  ``vec(B mat(V) A^T)``, ``K_{m,n} V`` as a transpose of reshaped columns, ``diag(v) V`` as
  ``v ∘ V``; a ``matvec`` function applies a Jacobian or Hessian to a vector term by term,
  right to left, without forming it;
- ``tr(A B) = sum(A ∘ B^T)``: a trace of a product never forms the product;
- ``log det`` through ``slogdet``.

The runtime operations (``B.solve``, ``B.kron_apply`` ...) per array library are in
``backends.py``; the compiled functions in ``functions.py``, the derivatives' entry points
in ``gradients.py``.
"""
import importlib

__all__ = ["codegen", "lambdify_grad", "value_and_grad", "hessian_vector_product",
           "GeneratedFunction", "HessianVectorProduct", "BACKENDS", "backend_ops"]

#: name -> the submodule that defines it, imported on first use: the constructs import
#: ``codegen.plan`` (their cost model) when matcalc is imported, and the backends would
#: bring NumPy with them (0.17 s of ``import matcalc``)
_LAZY = {"BACKENDS": "backends", "backend_ops": "backends", "GeneratedFunction": "functions",
         "codegen": "functions", "HessianVectorProduct": "gradients",
         "hessian_vector_product": "gradients", "lambdify_grad": "gradients",
         "value_and_grad": "gradients"}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
