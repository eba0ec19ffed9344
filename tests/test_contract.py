"""The construct contract: every registered construct has a rule for every stage it needs,
and each rule is exercised here -- or the construct declares that it refuses the stage and
the stage's ``UnsupportedError`` says so, naming construct and stage.

A construct added without its rules, or without an example below, fails this test: that is
how "a construct is one module that registers every rule about it" stays true.
"""
import contextlib
import pytest

import matcalc
import numpy as np
from matcalc.algebra import transpose_of
from matcalc.codegen import codegen
from matcalc.constructs.block_function import BlockFunction, frechet
from matcalc.constructs.cholesky import Cholesky, Phi, cholesky, phi
from matcalc.constructs.commutation import CommutationMatrix
from matcalc.constructs.differentials import Differential, DifferentialSymbol, ScalarDifferential
from matcalc.constructs.eigen import (Eigenvalue, Eigenvector, LeftEigenvector, eigenvalue,
                                     eigenvector, left_eigenvector)
from matcalc.constructs.eigensystem import (Eigenvalues, Eigenvectors, GapMatrix, eigenvalues,
                                           eigenvectors, gap_matrix)
from matcalc.constructs.elementwise import elementwise
from matcalc.constructs.matrix_functions import MatrixExp, MatrixLog, MatrixSqrt, expm, logm, sqrtm
from matcalc.constructs.inverse import power_sum
from matcalc.constructs.matrix_sum import MatrixSum
from matcalc.constructs.partial_trace import PartialTrace
from matcalc.constructs.differentials import ScalarDifferentialSymbol
from matcalc.constructs.function_gradient import FunctionGradient
from matcalc.constructs.unit_matrix import UnitMatrix
from matcalc.constructs.matrix_function import (AppliedMatrixFunction, FunctionAdjoint,
                                                FunctionDerivative, FunctionJacobian,
                                                matrix_function)
from sympy import Derivative, ImmutableDenseMatrix, ImmutableMatrix, Lambda, Subs, Symbol
from sympy.core.function import AppliedUndef
from matcalc.constructs.norm import Norm
from matcalc.constructs.pinv import PseudoInverse, pinv
from matcalc.constructs.scalars import scalar
from matcalc.constructs.softmax import LogSumExp, Softmax
from matcalc.constructs.svd import (NuclearNorm, SingularValue, SingularVector, SingularVectors,
                                   nuclear_norm, singular_value, singular_vector, singular_vectors)
from matcalc.constructs.vec import Vec
from matcalc.differential import differential
from matcalc.errors import UnsupportedError
from matcalc.numeric import check, check_jacobian, evaluate, numpy_code, random_point
from matcalc.parse import parse
from matcalc.printing.text import text_form
from matcalc.registry import CONSTRUCTS, OPERATIONS, required_operations, rules_changed
from sympy import (Abs, Add, Determinant, Expr, Function, Heaviside, Identity, Inverse, MatAdd,
                   MatMul, MatPow, MatrixSymbol, Max, Min, Mul, OneMatrix, Pow, Trace, Transpose,
                   ZeroMatrix, exp, sign, sin, symbols)
from sympy.codegen.cfunctions import log1p
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixElement

n = symbols("n", integer=True, positive=True)
X, A, W = (MatrixSymbol(s, n, n) for s in "XAW")
x, w = MatrixSymbol("x", n, 1), MatrixSymbol("w", n, 1)
f, t = Function("f"), Symbol("t")
F = matrix_function("F", n, n)

#: construct -> (an expression with the construct at its top, the variable it depends on)
EXAMPLES = {
    MatMul: (A * X * W, X),
    MatAdd: (X + A, X),
    Add: (Trace(X) + Trace(A * X), X),
    Mul: (Trace(X) * Trace(A * X), X),
    Pow: (Trace(A * X) ** 3, X),
    MatrixElement: (scalar(x.T * A * x), x),
    Function: (sin(Trace(A * X)), X),
    log1p: (log1p(Trace(A * X)), X),
    Abs: (Abs(Trace(A * X)), X),
    sign: (sign(Trace(A * X)), X),
    Heaviside: (Heaviside(Trace(A * X)), X),
    Max: (Max(Trace(A * X), Trace(X)), X),
    Min: (Min(Trace(A * X), Trace(X)), X),
    Trace: (Trace(A * X), X),
    Determinant: (Determinant(X), X),
    Norm: (Norm(A * X), X),
    Transpose: (Transpose(A * X), X),
    Inverse: (Inverse(X), X),
    MatPow: (MatPow(X, 3), X),
    HadamardProduct: (HadamardProduct(A, X), X),
    HadamardPower: (HadamardPower(X, 3), X),
    KroneckerProduct: (KroneckerProduct(A, X), X),
    DiagMatrix: (DiagMatrix(x), x),
    DiagonalOf: (DiagonalOf(A * X), X),
    DiagonalMatrix: (DiagonalMatrix(A * X), X),
    ElementwiseApplyFunction: (elementwise(exp, A * X), X),
    Vec: (Vec(A * X), X),
    Softmax: (Softmax(A * x), x),
    LogSumExp: (LogSumExp(A * X), X),
    CommutationMatrix: (CommutationMatrix(n, n), None),
    MatrixSum: (power_sum(X, A, 12), X),
    PartialTrace: (PartialTrace(MatrixSymbol("H", n * n, n * n) * KroneckerProduct(A, X), n, 1), X),
    AppliedUndef: (f(Trace(A * X)), X),
    Subs: (f(Trace(A * X)).fdiff(), X),
    Derivative: (Derivative(f(t), t), t),
    FunctionGradient: (FunctionGradient(f(A * X), 1), None),
    ScalarDifferentialSymbol: (ScalarDifferentialSymbol.of(t), None),
    UnitMatrix: (UnitMatrix(n, n, 1, 2), None),
    ImmutableDenseMatrix: (ImmutableMatrix([[Trace(A * X), 1], [0, Determinant(X)]]), X),
    AppliedMatrixFunction: (F(A * X), X),
    FunctionDerivative: (FunctionDerivative(F(A), 1, X), X),
    FunctionJacobian: (FunctionJacobian(F(A * X), 1), X),
    FunctionAdjoint: (FunctionAdjoint(F(A * X), 1, W), X),
    MatrixSymbol: (X, X),
    Identity: (Identity(n), None),
    ZeroMatrix: (ZeroMatrix(n, n), None),
    OneMatrix: (OneMatrix(n, n), None),
    DifferentialSymbol: (DifferentialSymbol.of(X), None),
    Differential: (Differential(A * X), None),
    ScalarDifferential: (ScalarDifferential(Trace(A * X)), None),
    PseudoInverse: (pinv(A * X), X),
    Eigenvalue: (eigenvalue(X, 2), X),
    Eigenvector: (eigenvector(X, 1), X),
    LeftEigenvector: (left_eigenvector(X, n), X),
    Eigenvalues: (eigenvalues(X), X),
    Eigenvectors: (eigenvectors(X), X),
    GapMatrix: (gap_matrix(eigenvalues(X)), X),
    SingularValue: (singular_value(X, 2), X),
    SingularVector: (singular_vector(X, 1, "left"), X),
    SingularVectors: (singular_vectors(X, "right"), X),
    NuclearNorm: (nuclear_norm(X), X),
    Cholesky: (cholesky(X * X.T + Identity(n)), X),
    Phi: (phi(A * X), X),
    MatrixExp: (expm(X), X),
    MatrixLog: (logm(X), X),
    MatrixSqrt: (sqrtm(X), X),
    BlockFunction: (frechet("expm", A, X), X),
}

#: the scalar whose gradient puts the construct around dX (default: tr(W^T F) or F itself)
COTANGENT_EXAMPLES = {
    KroneckerProduct: (Trace(KroneckerProduct(A, X)), X),    # the trace: an I_p ⊗ I_q cotangent
    ImmutableDenseMatrix: (Trace(ImmutableMatrix([[1, 2], [3, 4]])
                                 * ImmutableMatrix([[Trace(A * X), 1], [0, Determinant(X)]])), X),
}

#: concrete functions for the undefined ones of an example (the oracle's functions=)
BINDINGS = {f: sin, F: Lambda(MatrixSymbol("M", n, n), MatrixSymbol("M", n, n) ** 2)}

#: constructs whose text is outside the language on purpose (a reason)
NOT_READ_BACK = {
    AppliedUndef: "undefined functions are not in the language",
    Subs: "f'(a) of an undefined function is printed only",
    Derivative: "f'(t) of an undefined function is printed only",
    FunctionGradient: "∇f(U) of an undefined function is printed only (and has no value)",
    ScalarDifferentialSymbol: "dt is a derivation symbol, printed only",
    UnitMatrix: "E_ij is printed only (the language has no unit matrix yet)",
    ImmutableDenseMatrix: "explicit matrices are printed as SymPy's Matrix([...]) only",
    AppliedMatrixFunction: "undefined matrix functions are not in the language",
    FunctionDerivative: "DF(U)[L] is printed only (a differential)",
    FunctionJacobian: "J_F(U) is printed only (and has no value)",
    FunctionAdjoint: "DF(U)^*[G] is printed only (and has no value)",
    MatrixSum: "a sum over an index is printed only (the language has no bound index yet)",
    PartialTrace: "a partial trace is printed only (the language has no partial trace yet)",
    DiagonalMatrix: "M ∘ I has no spelling in the language yet",
    Differential: "d(U) is a derivation step, printed only",
    ScalarDifferential: "d(s) is a derivation step, printed only",
    DifferentialSymbol: "dX is a derivation symbol, printed only",
}


@contextlib.contextmanager
def spy(op, cls):
    """Count the calls of ``op``'s rules registered for ``cls`` (guarded ones too)."""
    calls = []

    def counted(rule):
        def wrapper(*args, **kwargs):
            calls.append(rule)
            return rule(*args, **kwargs)
        return wrapper

    saved_rule = op.rules.get(cls)
    saved_guarded = list(op.guarded.get(cls, ()))
    if saved_rule is not None:
        op.rules[cls] = counted(saved_rule)
    if saved_guarded:
        op.guarded[cls] = [(when, counted(rule)) for when, rule in saved_guarded]
    rules_changed()
    try:
        yield calls
    finally:
        if saved_rule is not None:
            op.rules[cls] = saved_rule
        if saved_guarded:
            op.guarded[cls] = saved_guarded
        rules_changed()


def _owns(op, cls):
    """The class that carries ``cls``'s rule for ``op`` (itself or a base)."""
    return next(k for k in cls.__mro__ if k in op.rules or k in op.guarded)


def _is_matrix(expr):
    return getattr(expr, "is_Matrix", False)


def _value(expr, point):
    return np.asarray(evaluate(expr, point), dtype=float)


def exercise(stage, cls):
    """Run ``stage`` on ``cls``'s example, checking the result numerically where it has one."""
    F, var = EXAMPLES[cls]
    if stage == "differential":
        if _is_matrix(F) and F.shape != (1, 1):
            J = matcalc.jacobian(F, var)
            assert check_jacobian(F, var, J, functions=BINDINGS).passed
        else:
            G = matcalc.grad(F, var)
            assert check(F, var, G, functions=BINDINGS).passed
    elif stage == "cotangent":
        f, var = COTANGENT_EXAMPLES.get(cls) or (
            (Trace(MatMul(W.T, F)) if F.shape == W.shape else Trace(MatMul(w.T, F)), var)
            if _is_matrix(F) else (F, var))
        G = matcalc.grad(f, var)
        assert check(f, var, G, functions=BINDINGS).passed
    elif stage == "vec":
        J = matcalc.jacobian(F, var)
        assert check_jacobian(F, var, J, functions=BINDINGS).passed
    elif stage == "transpose":
        T = transpose_of(F)
        if cls in NOT_READ_BACK or cls is DifferentialSymbol:
            return
        point = random_point(F, T)
        assert np.allclose(_value(T, point), _value(F, point).T)
    elif stage == "latex":
        assert matcalc.latex(F)
    elif stage == "text":
        text = text_form(F)
        assert text
        if cls not in NOT_READ_BACK:
            shapes = {s.name: s.shape for s in F.free_symbols if isinstance(s, MatrixSymbol)}
            back = parse(text, shapes=shapes).expr
            point = random_point(F, back)
            assert np.allclose(_value(back, point), _value(F, point))
    elif stage == "numpy":
        point = random_point(F)
        assert np.all(np.isfinite(_value(F, point)))
    elif stage == "codegen":
        point = random_point(F)
        fn = codegen(F)
        args = {s.name: point[s] for s in F.free_symbols if s in point.values}
        sizes = {d.name: v for d, v in point.sizes.items()}
        got = np.asarray(fn(**args, **{k: v for k, v in sizes.items()
                                      if k not in args}), dtype=float)
        assert np.allclose(got.reshape(np.shape(_value(F, point))), _value(F, point))
    else:
        raise AssertionError(f"no exercise for the stage {stage}")


def refusal(stage, cls):
    """The ``UnsupportedError`` a refused stage raises on ``cls``'s example."""
    F, var = EXAMPLES[cls]
    if stage == "differential":
        return lambda: differential(F, var or X)
    if stage == "numpy":
        return lambda: numpy_code(F)
    if stage == "codegen":
        return lambda: codegen(F).source(**({"t": 1.0} if F.has(t) else {"n": 3}))
    raise AssertionError(f"no refusal check for the stage {stage}")


CASES = [(cls, stage) for cls, declared in CONSTRUCTS.items()
         for stage in required_operations(declared)]


def test_every_construct_has_an_example():
    missing = [cls.__name__ for cls in CONSTRUCTS if cls not in EXAMPLES]
    assert not missing, f"add an example to tests/test_contract.py for {missing}"


@pytest.mark.parametrize("cls, stage", CASES, ids=[f"{c.__name__}-{s}" for c, s in CASES])
def test_rule_exists_and_is_exercised_or_refused(cls, stage):
    declared = CONSTRUCTS[cls]
    op = OPERATIONS[stage]
    if stage in declared.refuses:
        assert not (cls in op.rules or cls in op.guarded), \
            f"{cls.__name__} both refuses {stage} and registers a rule for it"
        with pytest.raises(UnsupportedError) as caught:
            refusal(stage, cls)()
        message = str(caught.value)
        assert cls.__name__ in message and f"no {stage} rule" in message, message
        return
    assert op.has_rule(cls), f"{cls.__name__} has no {stage} rule and declares no refusal"
    with spy(op, _owns(op, cls)) as calls:
        exercise(stage, cls)
    assert calls, f"the {stage} rule of {cls.__name__} was not used by its example"


def test_a_construct_without_rules_is_refused_by_name_and_stage():
    class Toeplitz(Expr):
        """A scalar construct no module registered."""

    with pytest.raises(UnsupportedError, match=r"Toeplitz \(.*\): no differential rule"):
        matcalc.grad(Toeplitz(Trace(X)), X)
