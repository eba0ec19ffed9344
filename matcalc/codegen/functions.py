"""Generated functions: compiled NumPy, JAX and PyTorch functions of matcalc results.

``codegen`` (see the package docstring).  Arguments are passed by symbol name; symbolic
sizes are read from the shapes of the arrays at call time, and one straight-line function is
generated (``Emitter``) and compiled per combination of concrete sizes (cached).  The
generated code is built from the SymPy tree, never from user text: symbol names become
positional parameters ``_a0, _a1, ...`` and never appear in the source.

Constants (``constants={A: array}``) are bound once: they are no longer arguments, and every
statement computing from constants only is hoisted into ``_hoisted``, run once per binding
and combination of sizes; ``_generated`` takes its results as parameters.  A bound array is
copied and made read-only (a later change to the caller's array cannot desynchronise the
hoisted values); an output that is a hoisted value is returned as a copy.
"""
import linecache
import re
import sys

from sympy import Basic, Dummy, Integer, MatrixSymbol, Symbol
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.core.traversal import preorder_traversal
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from ..errors import ShapeError
from ..registry import CODEGEN, refuses
from .backends import backend_ops
from .emitter import NAME, Emitter, param_key

__all__ = ["codegen", "GeneratedFunction"]

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
    used = set(outputs)
    live = []
    for line in reversed(lines):
        name, rhs = line.split(" = ", 1)
        if name in used:
            live.append(line)
            used.update(NAME.findall(rhs))
    return live[::-1]


def _with_deletions(lines, keep):
    """The statements with ``del`` of each temporary after its last use (``keep``: names
    returned): a temporary held to the end of the function holds its memory -- at
    n = 3000 every n x n temporary is 72 MB, and fresh pages cost time to map and zero."""
    last = {}
    for k, line in enumerate(lines):
        for used in NAME.findall(line.split(" = ", 1)[1]):
            last[used] = k
    dead = {}
    for name, k in last.items():
        if name.startswith("_t") and name not in keep:
            dead.setdefault(k, []).append(name)
    out = []
    for k, line in enumerate(lines):
        out.append(line)
        if k in dead:
            out.append("del " + ", ".join(sorted(dead[k])))
    return out


_SCALING = re.compile(r"^(_t\d+) = (-?[0-9][0-9.e+-]*) \* (_t\d+)$")
_PRODUCT = re.compile(r"^_t\d+ = [\w.]+ @ [\w.]+$")


def _scaled_in_place(lines, keep):
    """``_tk = c * _tj`` as ``B.scale_owned(c, _tj)`` when ``_tj`` is a matrix product of
    this function's own (a fresh array) used for the last time there."""
    defined = {line.split(" = ", 1)[0]: line for line in lines}
    last = {}
    for k, line in enumerate(lines):
        for used in NAME.findall(line.split(" = ", 1)[1]):
            last[used] = k
    out = []
    for k, line in enumerate(lines):
        match = _SCALING.match(line)
        if match:
            name, coeff, operand = match.groups()
            if (last.get(operand) == k and operand not in keep
                    and _PRODUCT.match(defined.get(operand, ""))):
                line = f"{name} = B.scale_owned({coeff}, {operand})"
        out.append(line)
    return out


def _hoist(lines, constant_params):
    """(hoisted statements, the rest): a statement whose operands are all constant
    parameters or hoisted values (or literals only) is hoisted."""
    constant = set(constant_params)
    hoisted, rest = [], []
    for line in lines:
        name, rhs = line.split(" = ", 1)
        if all(used in constant for used in NAME.findall(rhs)):
            constant.add(name)
            hoisted.append(line)
        else:
            rest.append(line)
    return hoisted, rest


class _WithHoisted:
    """A compiled function whose constant part is computed once, at the first call."""

    def __init__(self, main, hoisted, constant_positions):
        self.main, self.hoisted, self.positions = main, hoisted, constant_positions
        self.values = None

    def __call__(self, *arrays):
        if self.values is None:
            self.values = tuple(self.hoisted(*[arrays[i] for i in self.positions]))
        return self.main(*arrays, *self.values)


class GeneratedFunction:
    """A compiled function of matrix (and scalar) arguments passed by symbol name.

    ``fn(X=..., W=...)`` returns the value of ``expr`` (a tuple of values for a
    list of expressions).  Positional arguments follow ``arg_names``.  Symbolic
    sizes are read from the array shapes (or passed by name, ``n=5``); one
    function is generated per combination of sizes: ``source(**arrays)`` shows it.
    """

    def __init__(self, exprs, backend="numpy", jit=None, single=True, matvec=False, args=(),
                 constants=None):
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
        self.params = {param_key(s): f"_a{k}" for k, s in enumerate(symbols)}
        self.constants = self._bind_constants(constants or {}, symbols)
        self._constant_params = [self.params[param_key(s)] for s in symbols
                                 if s.name in self.constants]
        self._constant_positions = [k for k, s in enumerate(symbols) if s.name in self.constants]
        #: the arguments a call takes (bound constants are not among them)
        self.arg_names = [s.name for s in symbols if s.name not in self.constants]
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
        self._all_names = [s.name for s in symbols]
        # the fast path of a call by keywords: arguments' positions, constants in place,
        # and the compiled function per combination of argument shapes already checked
        self._call_positions = [k for k, s in enumerate(symbols) if s.name not in self.constants]
        self._template = [self.constants.get(s.name) for s in symbols]
        self._by_shapes = {}
        self.jit = (backend == "jax") if jit is None else jit
        self._compiled = {}
        self._sources = {}

    @property
    def expr(self):
        return self.exprs[0] if self.single else self.exprs

    def _bind_constants(self, constants, symbols):
        """{name: read-only array} of the constants, keyed by a symbol or its name."""
        by_name = {s.name: s for s in symbols}
        out = {}
        for key, value in constants.items():
            name = key if isinstance(key, str) else getattr(key, "name", None)
            if name not in by_name:
                raise ValueError(f"constant {key!r} is not an argument of the function; its "
                                 f"arguments are {', '.join(by_name) or 'none'}")
            symbol = by_name[name]
            array = self.ops.copy(self.ops.asarray(value))
            if isinstance(symbol, MatrixSymbol):
                if array.ndim == 1 and symbol.shape[1] == 1:
                    array = array.reshape(-1, 1)
                if array.ndim != 2:
                    raise ShapeError(f"{name} must be a 2-D array of shape {symbol.shape}, "
                                     f"got {tuple(array.shape)}")
            out[name] = self.ops.read_only(array)
        return out

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
            elif key in self.constants:
                raise TypeError(f"{key} is bound as a constant; it is not an argument")
            else:
                raise TypeError(f"unexpected argument {key!r}; the arguments are "
                                f"{', '.join(self.arg_names) or 'none'}")
        if len(values) != len(self.arg_names):
            missing = [k for k in self.arg_names if k not in values]
            raise TypeError(f"missing argument(s) {', '.join(missing)}")
        values.update(self.constants)
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
        fn, hoisted = self._compile(source, key)
        if hoisted is not None:
            fn = _WithHoisted(fn, hoisted, self._constant_positions)
        self._compiled[tuple(sizes.get(d) for d in self._key_dims)] = fn
        return fn

    def _generate(self, sizes):
        params = list(self.params.values())
        emitter = Emitter(sizes, self.params, matvec=self.matvec,
                          fold_transposes=self.backend == "jax",
                          constant_params=self._constant_params)
        if self.matvec:
            emitter.name_shapes["_v"] = (emitter.dim(self.exprs[0].shape[1]),
                                         int(sizes[self.matvec_cols]))
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
        lines = _live_statements(emitter.lines, outs)
        hoisted, lines = _hoist(lines, self._constant_params)
        constant = set(self._constant_params) | {line.split(" = ", 1)[0] for line in hoisted}
        # an output that is a constant value is returned as a copy (callers may write to it)
        outs = [f"B.copy({out})" if out in constant else out for out in outs]
        ret = outs[0] if self.single else "(" + ", ".join(outs) + ",)"
        source = ""
        if hoisted:
            used = set(NAME.findall(" ".join(line.split(" = ", 1)[1] for line in lines)
                                    + " " + ret))
            passed = [line.split(" = ", 1)[0] for line in hoisted
                      if line.split(" = ", 1)[0] in used]
            body = "\n".join("    " + line for line in hoisted)
            source = (f"def _hoisted({', '.join(self._constant_params)}):\n{body}\n"
                      f"    return ({''.join(name + ', ' for name in passed)})\n\n\n")
            params += passed
        keep = set(NAME.findall(ret)) | set(params)
        lines = _with_deletions(_scaled_in_place(lines, keep), keep)
        body = "\n".join("    " + line for line in lines) or "    pass"
        return source + f"def _generated({', '.join(params)}):\n{body}\n    return {ret}\n"

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
        return fn, namespace.get("_hoisted")

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
        if not args and len(kwargs) == len(self.arg_names):
            arrays = self._fast_arrays(kwargs)
            if arrays is not None:
                fn = self._by_shapes.get(tuple(arrays[i].shape for i in self._call_positions))
                if fn is not None:
                    return fn(*arrays)
        arrays, sizes = self._bind(args, kwargs)
        fn = self._function(sizes)
        if not args and len(kwargs) == len(self.arg_names):
            given = self._fast_arrays(kwargs)
            if given is not None and all(given[i].shape == arrays[i].shape
                                         for i in self._call_positions):
                # these shapes were checked once: the next call with them goes straight in
                self._by_shapes[tuple(arrays[i].shape for i in self._call_positions)] = fn
        return fn(*arrays)

    def _fast_arrays(self, kwargs):
        """The arrays of a call by keywords, in parameter order (constants in their places);
        None when a keyword is not an argument."""
        arrays = list(self._template)
        asarray = self.ops.asarray
        try:
            for i, name in zip(self._call_positions, self.arg_names):
                arrays[i] = asarray(kwargs[name])
        except KeyError:
            return None
        return arrays

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


def codegen(result, backend="numpy", jit=None, matvec=False, args=(), constants=None):
    """A compiled function computing ``result`` (a matcalc result or any matrix/scalar
    expression; a list or tuple of them gives a function returning a tuple).

    ``backend``: "numpy" (default), "jax" (``jax.jit``-compiled unless ``jit=False``;
    float64 needs ``jax.config.update("jax_enable_x64", True)``) or "torch" (float64
    tensors).  ``matvec=True``: a function ``mv(v, **arrays)`` computing
    ``result @ v`` without forming ``result`` (Kronecker products, commutation
    and diagonal matrices applied to v; for Jacobians and Hessians).  ``args``:
    expressions whose symbols the function accepts too, e.g. the function whose
    gradient ``result`` is (its variable may not occur in the gradient).  ``constants``:
    ``{symbol or name: array}`` bound once -- no longer arguments, and everything computed
    from them alone is computed once (``fn.source(...)`` shows it as ``_hoisted``).
    """
    single = not isinstance(result, (list, tuple))
    exprs = [result] if single else list(result)
    # a result with named intermediates (matcalc.named): its definitions become the shared
    # statements of the generated code (value numbering computes each once)
    exprs = [e.expanded() if hasattr(e, "expanded") and hasattr(e, "definitions") else e
             for e in exprs]
    if not exprs:
        raise ValueError("codegen needs at least one expression")
    for e in exprs:
        e = _sympify(e)
        if not isinstance(e, Basic):
            raise TypeError(f"codegen needs SymPy expressions, got {type(e).__name__}")
    cls = _MatvecFunction if matvec else GeneratedFunction
    return cls(exprs, backend=backend, jit=jit, single=single, matvec=matvec, args=args,
               constants=constants)


