"""Generated functions: compiled NumPy, JAX and PyTorch functions of matcalc results.

``codegen`` / ``lambdify_grad`` / ``hessian_vector_product`` (see the package docstring).
Arguments are passed by symbol name; symbolic sizes are read from the shapes of the arrays at
call time, and one straight-line function is generated (``Emitter``) and compiled per
combination of concrete sizes (cached).  The generated code is built from the SymPy tree,
never from user text: symbol names become positional parameters ``_a0, _a1, ...`` and never
appear in the source.
"""
import linecache
import sys

from sympy import Basic, Dummy, Integer, MatrixSymbol, Symbol
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.core.traversal import preorder_traversal
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from ..errors import ShapeError
from ..registry import CODEGEN, refuses
from .backends import backend_ops
from .emitter import Emitter, param_key

__all__ = ["codegen", "lambdify_grad", "hessian_vector_product", "GeneratedFunction",
           "HessianVectorProduct"]

#: Python recursion limit while generating code for deep expressions
_RECURSION_LIMIT = 20000


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
    dims = _dimension_symbols(exprs)
    matrices, scalars = {}, {}
    for e in exprs:
        for s in e.free_symbols:
            if refuses(s, "codegen"):   # dX has no value
                raise CODEGEN.unsupported(s)
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
        self.params = {param_key(s): f"_a{k}" for k, s in enumerate(symbols)}
        if matvec:
            self.params[param_key(self.matvec_symbol)] = "_v"
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
        emitter = Emitter(sizes, self.params, matvec=self.matvec,
                           fold_transposes=self.backend == "jax")
        # the emitter recurses along the expression tree: deep networks need the room
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
        try:
            if self.matvec:
                outs = [emitter.apply(self.exprs[0], "_v")]
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
        # the source is built by Emitter from the SymPy tree; no user text is in it
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
    from ..constructs.scalars import as_scalar
    from ..derivatives import grad
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
        from ..constructs.scalars import as_scalar
        from ..differential import differential
        from ..constructs.differentials import DifferentialSymbol
        from ..derivatives import grad
        from ..simplify import simplify_result
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
            from ..derivatives import hessian
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
