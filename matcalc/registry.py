"""The rule registry: every construct's rule for every stage of the pipeline.

A *construct* is a SymPy expression class (``Trace``, ``KroneckerProduct``, matcalc's own
``Norm`` ...).  A *stage* (an ``Operation``) is a small table from construct classes to rules,
as JAX keeps ``ad.primitive_jvps[cholesky_p] = _cholesky_jvp_rule``.  Each construct's module
in ``matcalc/constructs/`` registers its rules right after defining (or naming) the
construct, so reading that module tells everything matcalc knows about it::

    @DIFFERENTIAL.register(Trace, "d tr(U) = tr(dU)")
    def d_trace(s, d):
        return Trace(d(s.arg))

The stages (``matcalc.differential``, ``matcalc.identify``, ``matcalc.simplify``,
``matcalc.printing``, ``matcalc.codegen`` ...) are generic walkers that look rules up here
and never switch on a construct's type.

Lookup follows the class's MRO (a ``StructuredMatrixSymbol`` uses the ``MatrixSymbol``
rule unless it has its own).  A rule may carry a guard, ``when=``: guarded rules of a class
are tried, in registration order, before its unguarded rule, the most specific class first
(``log`` of a determinant has its own differential, registered by the determinant's module).  A stage that finds no rule
raises ``UnsupportedError`` naming the construct and the stage (``Operation.__call__``) or
lets its caller decide (``Operation.lookup`` returns None).

``construct(cls, ...)`` declares a construct: which stages it must have rules for (its
contract, checked by ``tests/test_contract.py``) and which it refuses, with the reason.
"""
from dataclasses import dataclass, field

from sympy import Basic
from sympy.core.function import Application
from sympy.matrices.expressions.matexpr import MatrixExpr

from .dag import describe
from .errors import UnsupportedError

__all__ = ["Operation", "RuleList", "Construct", "construct", "CONSTRUCTS", "OPERATIONS",
           "declaration_of", "refuses",
           "required_operations", "describe", "rule_memo", "rules_changed"]

#: ``cache_clear`` of every memo whose values depend on the rules (``rule_memo``)
_MEMOS = []


def rule_memo(function):
    """Register a memoised function (``functools.lru_cache``) whose results depend on the
    registered rules: it is cleared whenever a rule is registered (``rules_changed``)."""
    _MEMOS.append(function.cache_clear)
    return function


def rules_changed():
    """Forget every result computed with the rules as they were (lookups and memos)."""
    for operation in OPERATIONS.values():
        getattr(operation, "_cache", {}).clear()
    for clear in _MEMOS:
        clear()


def _rule_classes(kind):
    """The classes whose rules apply to an instance of ``kind``: its MRO, except that a
    matrix expression never takes a scalar class's rules (SymPy's MatMul is a Mul, MatAdd an
    Add, every MatrixExpr an Expr: a rule for scalar products must not see matrix products)."""
    if not issubclass(kind, MatrixExpr):
        return kind.__mro__
    return tuple(k for k in kind.__mro__ if issubclass(k, MatrixExpr) or k in (Basic, object))


class Operation:
    """One stage's rules: construct class -> rule (with optional guarded rules first)."""

    def __init__(self, name, doc=""):
        self.name, self.doc = name, doc
        self.rules = {}       # class -> unguarded rule
        self.guarded = {}     # class -> [(when, rule), ...]
        self.names = {}       # rule -> the name shown in derivations (its formula)
        self.notes = {}       # that name -> its LaTeX note (text with $...$ math)
        self._cache = {}      # class -> ((guard or None, rule), ...) along the MRO
        OPERATIONS[name] = self

    def register(self, cls, name=None, *, when=None, note=None):
        """Decorator: ``rule`` is this stage's rule for ``cls`` (and its subclasses);
        ``name`` is how a derivation step names it (None for a rule that only refuses),
        ``note`` how a LaTeX derivation names it (text with ``$...$`` math)."""
        def decorate(rule):
            if when is None:
                if cls in self.rules:
                    raise ValueError(f"{self.name}: {cls.__name__} already has the rule "
                                     f"{self.rules[cls].__name__}")
                self.rules[cls] = rule
            else:
                self.guarded.setdefault(cls, []).append((when, rule))
            if name is not None:
                self.names[rule] = name
                if note is not None:
                    self.notes[name] = note
            rules_changed()
            return rule
        return decorate

    def lookup(self, expr):
        """The rule for ``expr``, or None: along the MRO, a class's guarded rules whose
        guard holds, then its unguarded rule."""
        candidates = self._cache.get(type(expr))
        if candidates is None:
            candidates = self._cache[type(expr)] = tuple(
                entry for klass in _rule_classes(type(expr))
                for entry in (*self.guarded.get(klass, ()),
                              *(((None, self.rules[klass]),) if klass in self.rules else ())))
        for when, rule in candidates:
            if when is None or when(expr):
                return rule
        return None

    def has_rule(self, cls):
        """Does ``cls`` have a rule (guarded or not) of its own or through its bases?"""
        return any(k in self.rules or k in self.guarded for k in _rule_classes(cls))

    def __call__(self, expr, *args, **kwargs):
        rule = self.lookup(expr)
        if rule is None:
            raise self.unsupported(expr)
        return rule(expr, *args, **kwargs)

    def unsupported(self, expr, detail=""):
        """The ``UnsupportedError`` for ``expr`` at this stage, naming the construct and the
        stage (and the construct's declared reason, or ``detail``)."""
        declared = declaration_of(expr)
        reason = detail or (declared.refuses.get(self.name, "") if declared else "")
        name = type(expr).__name__
        if declared is not None and declared.cls is not type(expr):
            name += f", a {declared.cls.__name__}"    # f(x) of Function("f"): an AppliedUndef
        return UnsupportedError(f"{name} ({describe(expr)})",
                                f"no {self.name} rule" + (f": {reason}" if reason else ""))

    def __repr__(self):
        return f"<Operation {self.name}: {len(self.rules)} constructs>"


class RuleList:
    """A stage whose rules are lists per class, all applied in order (local rewrites).

    ``order`` places a rule among the others of its class: lower first, then in
    registration order (canonicalization, which must come last, says so).
    """

    def __init__(self, name, doc=""):
        self.name, self.doc = name, doc
        self.rules = {}       # class -> [(order, serial, rule), ...]
        self._cache = {}
        self._serial = 0
        OPERATIONS[name] = self

    def register(self, *classes, order=0):
        def decorate(rule):
            for cls in classes:
                self._serial += 1
                self.rules.setdefault(cls, []).append((order, self._serial, rule))
                self.rules[cls].sort(key=lambda entry: entry[:2])
            rules_changed()
            return rule
        return decorate

    def lookup(self, expr):
        """Every rule for ``expr``'s class and its bases (most specific class first)."""
        kind = type(expr)
        try:
            return self._cache[kind]
        except KeyError:
            found = tuple(rule for k in _rule_classes(kind) for _, _, rule in self.rules.get(k, ()))
            self._cache[kind] = found
            return found

    def has_rule(self, cls):
        return any(k in self.rules for k in _rule_classes(cls))


#: stage name -> Operation / RuleList (filled as the stages are created below)
OPERATIONS = {}


@dataclass
class Construct:
    """A construct's contract: what it is and which stages it refuses (with reasons)."""
    cls: type
    kind: str                   # "matrix" or "scalar"
    linear: bool                # can wrap dX in a differential: needs identification rules
    leaf: bool = False          # no arguments: a constant or the variable, never differentiated
    refuses: dict = field(default_factory=dict)   # stage name -> reason
    module: str = ""


#: construct class -> Construct
CONSTRUCTS = {}


def declaration_of(expr):
    """The declared construct ``expr`` is an instance of: its class's, or along its MRO (the
    class of ``f(x)`` for ``Function("f")`` is ``f``, declared as ``AppliedUndef``)."""
    for cls in type(expr).__mro__:
        declared = CONSTRUCTS.get(cls)
        if declared is not None:
            return declared
    return None


def refuses(expr, stage):
    """Does the construct of ``expr`` declare that it refuses ``stage``?"""
    declared = declaration_of(expr)
    return declared is not None and stage in declared.refuses


def construct(cls, kind="matrix", linear=False, leaf=False, refuses=None, module=None):
    """Declare ``cls`` a construct of ``kind`` ("matrix" or "scalar").

    ``linear``: it can appear around dX in a differential (a product, a trace, a transpose
    ...), so identification rules (gradient, and for matrices vec) are part of its contract.
    ``leaf``: it has no arguments (a symbol, I, 0, 1, K): the differential stage handles it
    as a constant or as the variable itself.
    ``refuses``: stage name -> the reason this construct has no rule for that stage.
    """
    if kind not in ("matrix", "scalar"):
        raise ValueError(f"kind must be 'matrix' or 'scalar', got {kind!r}")
    CONSTRUCTS[cls] = Construct(cls, kind, linear, leaf, dict(refuses or {}),
                                module or cls.__module__)
    return cls


def required_operations(declared):
    """The stages a declared construct must have a rule for (or refuse with a reason)."""
    ops = ["latex", "text", "numpy", "codegen"] + ([] if declared.leaf else ["differential"])
    if declared.kind == "matrix":
        ops.append("transpose")
    if declared.linear:
        ops.append("cotangent")
        if declared.kind == "matrix":
            ops.append("vec")
    return ops


# --------------------------------------------------------------------------
# The stages.  Each construct module imports the tables it registers rules in from here;
# the stage modules import them too and walk expressions with them.
# --------------------------------------------------------------------------

# == derivation ==
DIFFERENTIAL = Operation(
    "differential", "rule(expr, d) -> d(expr), built from d(arg) of its arguments "
    "(d.depends(arg) says whether an argument depends on the variable); its name is the formula")
COTANGENT = Operation(
    "cotangent", "rule(L, G, walk) yields the contributions <G, L> = sum_i <G_i, dX>: "
    "L is a differential linear in dX wrapped by this construct, G the cotangent "
    "(a scalar coefficient for scalar L); walk(L', G') continues inside")
VEC = Operation(
    "vec", "rule(L, walk) yields J_i with vec(L) = sum_i J_i vec(dX); walk(L') yields "
    "the Jacobians of an inner differential")

# == structure ==
REBUILD = Operation("rebuild", "rule(e, args) -> e's construct built again from new args, "
                    "where SymPy's own constructor would evaluate what it must not")
TRANSPOSE = Operation("transpose", "rule(M) -> M^T with the transpose pushed inward")
VALIDATE = Operation("validate", "rule(expr) raises ShapeError/NonSquareMatrixError for an "
                                 "ill-shaped node (sizes compared symbolically)")

# == simplification ==
REWRITE = RuleList("rewrite", "local rewrites e -> e' applied bottom-up to every node "
                              "(the Cookbook form); a rule returns e when it does not apply")
CANONICAL = RuleList("canonical", "more rewrites applied only to decide equality "
                                  "(expanded forms: tr(A + B) = tr A + tr B ...)")
NEGATE = Operation("negate", "rule(M) -> -M as one factor (a difference flipped), or None")
ONE_BY_ONE = Operation("one by one", "rule(M) -> the scalar a 1x1 M stands for (M^{-1} -> 1/m, "
                                    "M^k -> m^k, I_1 -> 1); default scalar(M)")
HADAMARD_FORM = Operation(
    "hadamard form", "rule(M, form) -> M's polynomial in Hadamard products over form.base "
    "(form.of(part) gives a part's), or None: M is an atom")
ELEMENTWISE_BASE = Operation("elementwise base",
                             "rule(M) -> U for a function applied elementwise, φ(U)")
SCALAR_FORMS = RuleList("scalar forms", "rule(e) -> another spelling of the scalar e "
                                        "(the shortest spelling wins: σ(t) for e^t/(1 + e^t))")
INVERTED = Operation("inverted", "rule(F) -> N when the factor F is N^{-1}, else None")
SCALE = Operation("scale", "rule(M, c) -> c M as one factor (c absorbed into M), or None")
TIDY = Operation("tidy", "rule(M) -> M with its own parameters in lowest terms "
                         "(an elementwise function's body cancelled or factored)")

ENTRY = Operation("entry", "rule(M, m, n, element) -> the entry M_{mn} from entries of M's "
                          "parts (element(P, i, j) for a part), or None to keep M_{mn} whole")

# == Jacobians in Kronecker form ==
JACOBIAN_FACTOR = Operation(
    "jacobian_factor", "rule(F, form) -> (c, F') with F = c F' in canonical Kronecker form "
    "(form.normalize(F), form.simplified(M) are the stage's own)")


class PairRules:
    """Rules for adjacent factors P Q of a product: (class of P, class of Q) -> rules.

    A rule returns ``(c, [factors])`` replacing ``P Q``, or None when it does not apply.
    """

    def __init__(self, name, doc=""):
        self.name, self.doc = name, doc
        self.rules = {}
        OPERATIONS[name] = self

    def register(self, left, right, when=None):
        def decorate(rule):
            self.rules.setdefault((left, right), []).append((when, rule))
            return rule
        return decorate

    def apply(self, P, Q, form):
        for left in type(P).__mro__:
            for right in type(Q).__mro__:
                for when, rule in self.rules.get((left, right), ()):
                    if when is None or when(P, Q):
                        out = rule(P, Q, form)
                        if out is not None:
                            return out
        return None


PAIRS = PairRules("pairs", "rule(P, Q, form) -> (c, [factors]) for the adjacent product P Q")
SUM_MERGES = RuleList("sum_merges", "rule(terms, form) -> terms: terms of a Jacobian sum "
                                    "merged (P ⊗ A + P ⊗ B = P ⊗ (A + B), ...)")
#: classes whose presence in a sum inside a product makes the Jacobian simplifier expand it
STRUCTURAL_FACTORS = set()

# == printing ==
LATEX = Operation(
    "latex", "rule(expr, printer, **kwargs) -> LaTeX; printer: a MatcalcLatexPrinter "
    "(printer._print for the arguments, printer.sympy_print for SymPy's own form), kwargs as "
    "SymPy passes them (exp= for a function raised to a power)")
TEXT = Operation(
    "text", "rule(expr, printer) -> expr in matcalc's text language, which matcalc.parse "
    "reads back; printer: a TextPrinter (a rule of a matcalc class also serves plain str())")
ATOMIC_LATEX = Operation(
    "atomic latex", "rule(M) -> True when M's LaTeX is one token or a call (X, I_{n}, "
    "\\operatorname{diag}(v)), so that it takes ^{T} without parentheses")


def sympy_notation(expr, printer, **kwargs):
    """A construct's LATEX or TEXT rule when SymPy's own printer already writes it as
    matcalc does (``A \\otimes B``, ``A \\circ B``, a symbol's name)."""
    return printer.sympy_print(expr, **kwargs)


ATOMIC_TEXT = Operation(
    "atomic text", "rule(M) -> True when M's text is a name or a call (X, tr(A), kron(A, B)), "
    "so that it takes ' and .^ without parentheses and never needs them in a product")

# == parsing ==
@dataclass(frozen=True)
class FunctionSyntax:
    """One function of the text language, ``name(arg, ...)``: read by the parser and
    printed by the text printer under ``name`` (the first of ``names``; the others are
    aliases the parser accepts too).

    ``build(call)`` makes the SymPy object from the parser's view of the call (its
    arguments, checked with ``call.matrix(i)``, ``call.square_matrix(i)`` ...).
    ``dimensions``: the arguments are dimensions (names or positive integers), not
    expressions.  ``binds``: the first argument binds a scalar name, ``u -> body``.
    ``function``: the SymPy function a scalar function of the language stands for.
    ``soft``: the name is a function only where it is called and not declared, so a
    variable may have it too (``d(U)``, the differential, beside a scalar ``d``).
    """
    names: tuple
    build: object
    least: int = 1
    most: object = 1          # None: any number
    dimensions: bool = False
    binds: bool = False
    function: object = None
    soft: bool = False

    @property
    def name(self):
        return self.names[0]

    def __call__(self, call):
        return self.build(call)


class Syntax:
    """The language's functions: name -> ``FunctionSyntax`` (every name and alias)."""

    def __init__(self, name, doc=""):
        self.name, self.doc = name, doc
        self.by_name = {}
        OPERATIONS[name] = self

    def define(self, *names, args=1, dimensions=False, binds=False, function=None,
               soft=False):
        """Decorator: ``build(call)`` is the function ``names[0](...)`` (``names[1:]``
        are aliases); ``args`` is the number of arguments, or (least, most) with most
        None for any number.  Returns the ``FunctionSyntax``."""
        least, most = (args, args) if isinstance(args, int) else args

        def decorate(build):
            syntax = FunctionSyntax(tuple(names), build, least, most, dimensions, binds,
                                    function, soft)
            for name in names:
                if name in self.by_name:
                    raise ValueError(f"{self.name}: {name!r} is already defined")
                self.by_name[name] = syntax
            return syntax
        return decorate

    def get(self, name):
        return self.by_name.get(name)

    def __contains__(self, name):
        return name in self.by_name

    def reserves(self, name):
        """Is ``name`` a function everywhere -- never a variable (all but ``soft`` ones)?"""
        syntax = self.by_name.get(name)
        return syntax is not None and not syntax.soft

    def __iter__(self):
        return iter(self.by_name)

    def scalar_functions(self):
        """name -> SymPy function, for the scalar functions of the language (exp, abs ...)."""
        return {name: s.function for name, s in self.by_name.items() if s.function is not None}

    def spelling_of(self, function):
        """The language's name for the SymPy function class ``function``, or None."""
        for syntax in self.by_name.values():
            if syntax.function is function:
                return syntax.name
        return None


FUNCTIONS = Syntax("functions", "the functions of the text language (name -> FunctionSyntax); "
                                "the parser reads them, the text printer writes their names")

# == numeric ==
NUMPY = Operation(
    "numpy", "rule(expr, printer) -> the NumPy code of expr. printer is the oracle's "
    "MatcalcNumPyPrinter: printer._print(e) prints a sub-expression, printer.np(name) a "
    "qualified NumPy name, printer.operand(e) a sub-expression safe next to @, .T or [i, j], "
    "printer.fresh_name(stem) a new variable; printer.print_natively(e) is SymPy's own printing")
NUMPY_APPLIED = Operation(
    "numpy-applied", "rule(M, body, var, printer) -> the NumPy code of the elementwise function "
    "u -> body applied to M, when M's construct knows a stabler form (log softmax(Z) = "
    "Z - logsumexp(Z)), else None")
CONDITION = Operation(
    "condition", "rule(expr) -> the matrix whose condition number bounds how accurately expr "
                 "can be evaluated (what it inverts or takes the determinant of), or None")
KINKS = Operation(
    "kinks", "rule(expr) -> the expressions (scalars or matrices) whose sign changes are the "
             "kinks of expr (|a|, sign(a), max(a, b): a, a, a - b), or (); finite differences "
             "whose steps cross a kink are not evidence")
DRAW = Operation(
    "draw", "rule(expr) -> the matrix sub-expressions whose symbols the oracle draws with a "
            "separated spectrum (well-spaced real eigenvalues and singular values): a "
            "decomposition is differentiable only where they are simple")


BIND = Operation(
    "bind", "rule(expr, functions, bind) -> expr with the undefined functions of ``functions`` "
            "({f: concrete}) made concrete (bind(e) binds a sub-expression): how the oracle "
            "evaluates f(U), f'(a) and ∇f(U) of a claim (``check(..., functions=...)``)")


def numpycode_hook(expr, printer):
    """``_numpycode`` of matcalc's own classes, for any SymPy NumPy printer (``sympy.lambdify``
    calls it): their ``NUMPY`` rule, so that rule is their one definition."""
    from .numeric.printer import print_with_rule  # NumPy code is printed by the oracle's printer
    return print_with_rule(expr, printer)


# == codegen ==
CODEGEN = Operation(
    "codegen", "rule(expr, emitter, env) -> the name (or literal) holding expr's value in "
    "generated code: emitter.value(e, env) for a sub-expression, emitter.emit(rhs) a statement "
    "(value-numbered), emitter.chain(mats, env, coeff) a product; env maps bound variables "
    "(elementwise bodies) to names")
STRUCTURED_FACTOR = Operation(
    "codegen-structured", "rule(M, emitter) -> a codegen.plan.StructuredFactor standing for M "
    "in a matrix product: applied to its neighbours (solve, kron_apply, ...), formed only when "
    "alone; the rule is the factor's class")
PRODUCT_FACTORS = Operation(
    "codegen-factors", "rule(M, emitter, env) -> the list of factors M stands for in a matrix "
    "product (I: none, a product: its factors, U^k: k factors U), each a dense expression, a "
    "StructuredFactor or a computed value")
APPLY = Operation(
    "codegen-apply", "rule(E, emitter, W, env) -> the name of E @ W, W computed, without "
    "forming E (sums distributed, products applied right to left)")


def rebuilt(e, args):
    """``e`` built again from ``args``: ``e.func(*args)``, or its construct's REBUILD rule.

    An applied function whose evaluation SymPy cannot carry out on the new arguments (its
    sign simplification rebuilding a matrix inside them as a scalar product, say) is built
    unevaluated: the same function of the same arguments."""
    rule = REBUILD.lookup(e)
    if rule is not None:
        return rule(e, args)
    try:
        return e.func(*args)
    except (ValueError, TypeError, AttributeError):
        if isinstance(e, Application):
            return e.func(*args, evaluate=False)
        raise
