"""Text -> SymPy expression, without ``eval``: matcalc's own small expression language.

The text is read by a hand-written tokenizer and an operator-precedence parser;
nothing in it is ever handed to Python's or SymPy's evaluators, so any string is
safe to parse. Every failure is a ``ParseError`` (with the 0-based position) or,
for operands whose shapes do not fit, a ``ShapeError``/``NonSquareMatrixError``
naming the operands -- never any other exception.

The language is the one matcalc prints (``matcalc.printing.text.text_form``, the
command line's output): each construct registers its function's spelling and builder
(``FUNCTIONS``, in its module's ``# == parsing ==`` section) next to its text rule, so
what is printed reads back.

Numbers
    ``2``, ``0.5`` (exactly ``Rational(1, 2)``), ``1e-3``, ``.25``. A literal has
    at most 100 characters and a decimal exponent of at most 1000.
Names
    ``[A-Za-z_][A-Za-z0-9_]*``. Function names (below) are reserved.
Operators, from the tightest binding to the loosest
    1. postfix transpose ``X'`` and ``X.T``, the inverse transpose ``X^-T`` (unless
       ``T`` is a declared variable), function calls ``f(...)``;
    2. powers ``**``, ``^`` and the Hadamard power ``.^`` (right-associative;
       the exponent may carry a sign: ``X^-1``);
    3. unary ``-`` and ``+``;
    4. ``*`` (scalar multiplication or matrix product), ``@`` (matrix product
       of two conformable matrices only), ``/`` (division by a scalar or a 1x1
       expression), ``.*`` (Hadamard product of equal shapes; with a scalar
       operand, ordinary multiplication), all left-associative;
    5. ``+`` and ``-``, left-associative.
    The transpose of a scalar is the scalar itself. Indexing ``M[i, j]`` is
    not part of the language: use ``scalar(M)``.
Powers
    On a scalar: ``Pow``. On a square matrix with an integer exponent:
    ``MatPow`` (``X^-1`` is ``Inverse(X)``, ``X^0`` the identity). On a 1x1
    matrix expression with a non-integer exponent: ``Pow(scalar(M), p)``.
    ``A .^ p`` is ``HadamardPower(A, p)``.
Functions
    ``tr``/``trace`` (Trace), ``det`` (Determinant), ``logdet`` (log of the
    Determinant), ``inv`` (Inverse), ``kron(A, B, ...)`` (KroneckerProduct),
    ``hadamard(A, B, ...)`` (HadamardProduct), ``norm`` (``matcalc`` Norm),
    ``diag(v)`` (DiagMatrix of a vector, DiagonalOf of a square matrix),
    ``diagm(v)`` (DiagMatrix), ``diagonal(M)`` (DiagonalOf of a square
    matrix), ``vec(M)`` (the columns stacked), ``scalar(M)`` (the 1x1 ``M`` as a scalar),
    ``I(n)``/``eye(n)`` (Identity), ``zeros(m, n)``/``ones(m, n)`` (ZeroMatrix/OneMatrix;
    one argument means square), ``commutation(m, n)`` (the commutation matrix K_{m,n})
    -- the arguments of the last four are dimension names or positive integers.
Elementwise functions
    ``exp log sqrt sin cos tan tanh sinh cosh abs sigmoid sign``: of a scalar, the
    SymPy function (``abs`` is ``Abs``); of a 1x1 matrix expression, the
    function of ``scalar(M)``; of any other matrix, applied elementwise
    (``ElementwiseApplyFunction`` over the one bound variable ``ELEMENT``, so that
    two parses of the same text are equal).  ``map(u -> body, M)`` applies any scalar
    function of ``u`` elementwise: ``map(u -> 1 - tanh(u)^2, A*X)``.
Scalars and 1x1 matrices
    A 1x1 matrix expression used where a scalar is needed (a factor of a
    product it is not conformable with, as in ``(x'*y)*A``; a divisor; a term
    added to a scalar; an exponent) becomes ``scalar(M)``. Otherwise terms of
    a sum must have equal shapes and factors of a product conformable shapes,
    or a ``ShapeError`` names both operands and their shapes.

Shapes of names: see ``matcalc.parse.symbols`` (declared shapes, structures and
scalars; dimensions of declared shapes; upper-case names n x n, others n x 1 columns).

Limits
------
Inputs longer than 100,000 characters and nesting deeper than 200 levels
(parentheses and calls, checked before anything is built; or operators in the
built expression, e.g. a tower of 300 powers) are refused with a
``ParseError``, as are numeric constants beyond 100,000 bits (``9^9^9``). The
parser never recurses, and sums and products are collected into one n-ary
node, so long flat chains cost time roughly linear in their length.
"""
from .. import constructs  # noqa: F401  (registers every construct's functions)
from ..errors import ParseError, ShapeError
from .calls import ELEMENTWISE_FUNCTIONS, FUNCTIONS
from .grammar import Parser
from .infer import MAX_PASSES, PASS_CHARACTERS, Reparse
from .symbols import CONVENTIONS, GREEK, Parsed, SymbolTable, dimension, parse_shape, symbol_table
from .tokens import MAX_DEPTH, MAX_LENGTH, error, tokenize

__all__ = ["parse", "parse_shape", "Parsed", "SymbolTable", "symbol_table", "dimension",
           "FUNCTIONS", "ELEMENTWISE_FUNCTIONS", "GREEK", "CONVENTIONS", "MAX_LENGTH",
           "MAX_DEPTH"]


def parse(text, shapes=None, structures=None, scalars=(), convention="matcalc"):
    """Parse ``text`` in matcalc's expression language (see the module docstring).

    ``shapes``: name -> shape (``"m,k"``, ``"n"``, ``"3,2"``, ``"scalar"``, or a
    tuple); ``structures``: name -> structure (``"spd"``, ``"symmetric"``, ...);
    ``scalars``: names that are real scalars; ``convention``: the shapes of the other
    names when the expression does not fix them (``CONVENTIONS``: ``"matcalc"``,
    upper-case matrices and other vectors, or ``"matrixcalculus"``, matrixcalculus.org's
    a-g scalars, h-z vectors, A-Z matrices). Returns a ``Parsed`` with the
    expression, the symbols used and the dimension symbols. Raises only
    ``ParseError``, ``ShapeError`` or ``NonSquareMatrixError``.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a string, got {type(text).__name__}")
    table = SymbolTable(shapes, structures, scalars, convention)
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input too long: {len(text)} characters (the limit is {MAX_LENGTH})")
    if not text.strip(" \t\r\n\f\v"):
        raise error("empty input", text, 0)
    try:
        tokens = tokenize(text, inverse_transpose=not table.declares("T"))
        names = frozenset(t.text for t in tokens if t.kind == "name")
        table.names = names
        # each pass reads the whole text: long texts get fewer (bounded time)
        most = max(2, min(MAX_PASSES, PASS_CHARACTERS // max(len(text), 1)))
        for passes in range(1, most + 1):
            try:
                expr = Parser(text, tokens, table, inferring=passes < most).parse()
                break
            except Reparse as fixed:   # a shape the expression fixes: parse again with it
                inferred = dict(table.inferred)
                table = SymbolTable(shapes, structures, scalars, convention, inferred)
                table.infer(fixed.name, fixed.shape, fixed.axes)
                table.names = names
    except (ParseError, ShapeError):
        raise
    except RecursionError:
        raise error("too deeply nested", text, 0) from None
    except Exception as exc:  # the contract: parse() raises only ParseError/ShapeError
        raise error(f"cannot build the expression: {type(exc).__name__}: {exc}",
                    text, 0) from exc
    return Parsed(expr, dict(table.symbols), dict(table.dims), text)
