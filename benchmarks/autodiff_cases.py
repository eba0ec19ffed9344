"""The problems of ``bench_autodiff.py``: each one a symbolic function, its data, the same
loss written in torch and in jax.numpy, and a hand-written NumPy implementation of the
textbook formulas for its value and gradient, Hessian and Hessian-vector product.

Sizes: ``size`` is n (the data are n x n, the variable has n entries), except for the
factorisation (U n x 10), the MLP (W1 n x n, batch 32, 10 outputs), tr(X^T A X B) (X
n x 10) and log det (X s x s, s = round(sqrt(n)), so that its Hessian is about n x n).
For Hessians the problems with a matrix variable are scaled so that the Hessian has about
N = size rows: tr(X^T A X B) takes X (size / 10) x 10.
"""
import numpy as np
from sympy import Determinant, MatrixSymbol, OneMatrix, Symbol, Trace, exp, log, symbols, tanh

from matcalc import norm, scalar

n, m, r, b, o = symbols("n m r b o", integer=True, positive=True)
LAM = 0.1


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


class Case:
    """One problem.  Subclasses define ``symbolic``, ``data``, ``loss`` and the textbook
    formulas ``np_value_and_grad``, ``np_hessian``, ``np_hvp``."""

    name = None
    variable = None
    hessian = True

    def symbolic(self):
        raise NotImplementedError

    def data(self, size, rng, for_hessian=False):
        raise NotImplementedError

    def loss(self, xp, logdet=None):
        raise NotImplementedError


class LeastSquares(Case):
    name, variable = "least squares ||Xw - y||^2", "w"

    def symbolic(self):
        X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
        return norm(X * w - y) ** 2, w

    def data(self, size, rng, for_hessian=False):
        return {"X": rng.standard_normal((size, size)) / np.sqrt(size),
                "y": rng.standard_normal((size, 1)), "w": rng.standard_normal((size, 1))}

    def loss(self, xp, logdet=None):
        return lambda w, d: xp.sum((d["X"] @ w - d["y"]) ** 2)

    def np_value_and_grad(self, d):
        e = d["X"] @ d["w"] - d["y"]
        return np.sum(e * e), 2 * (d["X"].T @ e)

    def np_hessian(self, d):
        return 2 * (d["X"].T @ d["X"])

    def np_hvp(self, d, v):
        return 2 * (d["X"].T @ (d["X"] @ v))


class Ridge(LeastSquares):
    name = "ridge ||Xw - y||^2 + λ||w||^2"

    def symbolic(self):
        f, w = super().symbolic()
        return f + Symbol("lambda", positive=True) * norm(w) ** 2, w

    def data(self, size, rng, for_hessian=False):
        return dict(super().data(size, rng), **{"lambda": LAM})

    def loss(self, xp, logdet=None):
        return lambda w, d: xp.sum((d["X"] @ w - d["y"]) ** 2) + d["lambda"] * xp.sum(w * w)

    def np_value_and_grad(self, d):
        e = d["X"] @ d["w"] - d["y"]
        w = d["w"]
        return np.sum(e * e) + d["lambda"] * np.sum(w * w), 2 * (d["X"].T @ e + d["lambda"] * w)

    def np_hessian(self, d):
        H = 2 * (d["X"].T @ d["X"])
        H[np.diag_indices_from(H)] += 2 * d["lambda"]
        return H

    def np_hvp(self, d, v):
        return 2 * (d["X"].T @ (d["X"] @ v) + d["lambda"] * v)


class Logistic(Case):
    name, variable = "logistic regression", "w"

    def symbolic(self):
        X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
        z = X * w
        return OneMatrix(1, m) * z.applyfunc(lambda t: log(1 + exp(t))) - y.T * z, w

    def data(self, size, rng, for_hessian=False):
        return {"X": rng.standard_normal((size, size)) / np.sqrt(size),
                "y": (rng.uniform(size=(size, 1)) < 0.5).astype(float),
                "w": rng.standard_normal((size, 1))}

    def loss(self, xp, logdet=None):
        return lambda w, d: (xp.sum(xp.log(1 + xp.exp(d["X"] @ w)))
                             - xp.sum(d["y"] * (d["X"] @ w)))

    def np_value_and_grad(self, d):
        z = d["X"] @ d["w"]
        return (np.sum(np.logaddexp(0.0, z)) - np.sum(d["y"] * z),
                d["X"].T @ (_sigmoid(z) - d["y"]))

    def np_hessian(self, d):
        s = _sigmoid(d["X"] @ d["w"])
        return d["X"].T @ ((s * (1 - s)) * d["X"])

    def np_hvp(self, d, v):
        s = _sigmoid(d["X"] @ d["w"])
        return d["X"].T @ ((s * (1 - s)) * (d["X"] @ v))


class Factorisation(Case):
    name, variable, hessian = "matrix factorisation ||R - UV^T||_F^2", "U", False

    def symbolic(self):
        R, U, V = MatrixSymbol("R", m, n), MatrixSymbol("U", m, r), MatrixSymbol("V", n, r)
        return norm(R - U * V.T) ** 2, U

    def data(self, size, rng, for_hessian=False):
        return {"R": rng.standard_normal((size, size)), "U": rng.standard_normal((size, 10)),
                "V": rng.standard_normal((size, 10))}

    def loss(self, xp, logdet=None):
        return lambda U, d: xp.sum((d["R"] - U @ d["V"].T) ** 2)

    def np_value_and_grad(self, d):
        E = d["U"] @ d["V"].T - d["R"]
        return np.sum(E * E), 2 * (E @ d["V"])


class MLP(Case):
    name, variable, hessian = "3-layer MLP ||W3 tanh(W2 tanh(W1 X)) - Y||_F^2", "W1", False

    def symbolic(self):
        X, Y = MatrixSymbol("X", n, b), MatrixSymbol("Y", o, b)
        W1, W2, W3 = MatrixSymbol("W1", n, n), MatrixSymbol("W2", n, n), MatrixSymbol("W3", o, n)
        return norm(W3 * (W2 * (W1 * X).applyfunc(tanh)).applyfunc(tanh) - Y) ** 2, W1

    def data(self, size, rng, for_hessian=False):
        return {"X": rng.standard_normal((size, 32)), "Y": rng.standard_normal((10, 32)),
                "W1": rng.standard_normal((size, size)) / np.sqrt(size),
                "W2": rng.standard_normal((size, size)) / np.sqrt(size),
                "W3": rng.standard_normal((10, size)) / np.sqrt(size)}

    def loss(self, xp, logdet=None):
        return lambda W1, d: xp.sum((d["W3"] @ xp.tanh(d["W2"] @ xp.tanh(W1 @ d["X"]))
                                     - d["Y"]) ** 2)

    def np_value_and_grad(self, d):
        H1 = np.tanh(d["W1"] @ d["X"])
        H2 = np.tanh(d["W2"] @ H1)
        E = d["W3"] @ H2 - d["Y"]
        dZ2 = (d["W3"].T @ (2 * E)) * (1 - H2 * H2)
        dZ1 = (d["W2"].T @ dZ2) * (1 - H1 * H1)
        return np.sum(E * E), dZ1 @ d["X"].T


class QuadraticLogSumExp(Case):
    name, variable = "x^T A x + log 1^T exp(x)", "x"

    def symbolic(self):
        x, A = MatrixSymbol("x", n, 1), MatrixSymbol("A", n, n)
        return scalar(x.T * A * x) + log(scalar(OneMatrix(1, n) * x.applyfunc(exp))), x

    def data(self, size, rng, for_hessian=False):
        return {"A": rng.standard_normal((size, size)) / np.sqrt(size),
                "x": rng.standard_normal((size, 1))}

    def loss(self, xp, logdet=None):
        return lambda x, d: xp.sum(x * (d["A"] @ x)) + xp.log(xp.sum(xp.exp(x)))

    def np_value_and_grad(self, d):
        A, x = d["A"], d["x"]
        e = np.exp(x)
        s = np.sum(e)
        return (x.T @ (A @ x))[0, 0] + np.log(s), (A + A.T) @ x + e / s

    def np_hessian(self, d):
        A, x = d["A"], d["x"]
        p = np.exp(x) / np.sum(np.exp(x))
        return A + A.T + np.diagflat(p) - p @ p.T

    def np_hvp(self, d, v):
        A, x = d["A"], d["x"]
        p = np.exp(x) / np.sum(np.exp(x))
        return (A + A.T) @ v + p * v - p * (p.T @ v)


class TraceQuadratic(Case):
    name, variable = "tr(X^T A X B), X n x 10", "X"

    def symbolic(self):
        X, A, B = MatrixSymbol("X", n, r), MatrixSymbol("A", n, n), MatrixSymbol("B", r, r)
        return Trace(X.T * A * X * B), X

    def data(self, size, rng, for_hessian=False):
        rows = max(2, size // 10) if for_hessian else size
        return {"A": rng.standard_normal((rows, rows)) / np.sqrt(rows),
                "B": rng.standard_normal((10, 10)), "X": rng.standard_normal((rows, 10))}

    def loss(self, xp, logdet=None):
        return lambda X, d: xp.sum((X.T @ (d["A"] @ X)) * d["B"].T)

    def np_value_and_grad(self, d):
        A, B, X = d["A"], d["B"], d["X"]
        AX = A @ X
        return np.trace(X.T @ AX @ B), AX @ B + A.T @ X @ B.T

    def np_hessian(self, d):
        # d^2 f / d vec(X) d vec(X)^T = B^T ⊗ A + B ⊗ A^T (column-major vec)
        A, B = d["A"], d["B"]
        return np.kron(B.T, A) + np.kron(B, A.T)

    def np_hvp(self, d, V):
        A, B = d["A"], d["B"]
        return A @ V @ B + A.T @ V @ B.T


class LogDet(Case):
    name, variable = "log det X, X s x s", "X"

    def symbolic(self):
        X = MatrixSymbol("X", n, n)
        return log(Determinant(X)), X

    def data(self, size, rng, for_hessian=False):
        s = max(2, int(round(np.sqrt(size))))
        return {"X": np.eye(s) + 0.3 * rng.standard_normal((s, s)) / np.sqrt(s)}

    def loss(self, xp, logdet=None):
        return lambda X, d: logdet(X)

    def np_value_and_grad(self, d):
        sign, value = np.linalg.slogdet(d["X"])
        return value, np.linalg.inv(d["X"]).T

    def np_hessian(self, d):
        # H[i + s j, k + s l] = d^2 f / dX_ij dX_kl = -(X^-1)_jk (X^-1)_li
        Xi = np.linalg.inv(d["X"])
        s = Xi.shape[0]
        return -np.einsum("jk,li->jilk", Xi, Xi).reshape(s * s, s * s)

    def np_hvp(self, d, V):
        Xi = np.linalg.inv(d["X"])
        return -Xi.T @ V.T @ Xi.T


GRADIENT_CASES = [LeastSquares(), Ridge(), Logistic(), Factorisation(), MLP(),
                  QuadraticLogSumExp(), TraceQuadratic(), LogDet()]
HESSIAN_CASES = [c for c in GRADIENT_CASES if c.hessian]
