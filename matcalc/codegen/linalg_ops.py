"""The decompositions and matrix functions in generated code: ``B.eigenvalue(X, i)`` ...

The conventions are the oracle's (``matcalc.numeric.linalg``): eigenvalues ascending, singular
values descending, 1-based indices, unit vectors with their largest entry positive, u_i =
X v_i / sigma_i, left eigenvectors with u_i^T v_i = 1, chol of the symmetric part.  NumPy
calls the oracle's own functions; JAX and PyTorch compute the same with their libraries
(without Python branches on values, so that ``jax.jit`` traces them).  A matrix function the
library lacks (JAX: logm; PyTorch: logm, sqrtm) is refused by name when the code runs.
"""
from functools import partial

from ..errors import UnsupportedError
from ..numeric import linalg

__all__ = ["NumPyLinalg", "JaxLinalg", "TorchLinalg"]

_MATRIX_FUNCTIONS = {"expm": "exponential", "logm": "logarithm", "sqrtm": "square root"}


class _Refusals:
    """Matrix functions a backend's library does not have."""

    def _refuse(self, name):
        raise UnsupportedError(f"{name} in generated {self.name} code",
                               f"{self.library_name} has no matrix {_MATRIX_FUNCTIONS[name]}; "
                               "generate NumPy code (backend='numpy', with SciPy) instead")

    def expm(self, X):
        self._refuse("expm")

    def logm(self, X):
        self._refuse("logm")

    def sqrtm(self, X):
        self._refuse("sqrtm")


class NumPyLinalg:
    """The NumPy backend: the oracle's functions themselves (``B.eigenvalue`` is
    ``numeric.linalg.matcalc_eigenvalue`` ..., ``B.expm(X)`` its matrix function "expm")."""


for _operation in ("eigenvalue", "eigenvector", "left_eigenvector", "eigenvalues",
                   "eigenvectors", "gap_matrix", "singular_value", "singular_vector",
                   "singular_vectors", "nuclear_norm", "pinv", "cholesky", "phi",
                   "block_function"):
    setattr(NumPyLinalg, _operation, staticmethod(getattr(linalg, "matcalc_" + _operation)))
for _operation in _MATRIX_FUNCTIONS:
    setattr(NumPyLinalg, _operation, staticmethod(partial(linalg.matcalc_matrix_function,
                                                          _operation)))


class _ArrayLinalg(_Refusals):
    """JAX and PyTorch: the same algorithms on the library's arrays (``self.lib``)."""

    def _signed(self, V):
        """Columns with their entry of largest magnitude positive."""
        lib = self.lib
        rows = lib.argmax(lib.abs(V), 0)
        signs = lib.sign(V[rows, lib.arange(V.shape[1])])
        return V * lib.where(signs == 0, 1.0, signs)

    def _eig(self, X):
        """(w ascending, V unit, signed); nan when an eigenvalue is complex."""
        lib = self.lib
        w, V = lib.linalg.eig(X)
        scale = lib.maximum(lib.max(lib.abs(w)), self.asarray(1.0))
        complex_ = lib.max(lib.abs(w.imag)) > linalg.IMAGINARY_TOLERANCE * scale
        order = lib.argsort(w.real)
        w, V = w.real[order], V.real[:, order]
        V = V / lib.sqrt(lib.sum(V * V, 0))
        nan = self.asarray(float("nan"))
        return lib.where(complex_, nan, w), lib.where(complex_, nan, self._signed(V))

    def eigenvalue(self, X, i):
        return self._eig(X)[0][i - 1]

    def eigenvector(self, X, i):
        return self._eig(X)[1][:, i - 1:i]

    def left_eigenvector(self, X, i):
        return self.lib.linalg.inv(self._eig(X)[1])[i - 1, :].reshape(-1, 1)

    def eigenvalues(self, X):
        return self._eig(X)[0].reshape(-1, 1)

    def eigenvectors(self, X):
        return self._eig(X)[1]

    def gap_matrix(self, v):
        lib = self.lib
        v = v.reshape(-1)
        gaps = v[None, :] - v[:, None]
        off = self.eye(v.shape[0]) == 0
        return lib.where(off, 1.0 / lib.where(off, gaps, 1.0), 0.0)

    def _svd(self, X):
        U, s, Vt = self.lib.linalg.svd(X, full_matrices=False)
        V = self._signed(Vt.T)
        signs = self.lib.sign(self.lib.sum(V * Vt.T, 0))
        return U * signs, s, V

    def singular_value(self, X, i):
        return self._svd(X)[1][i - 1]

    def singular_vector(self, X, i, side):
        U, _, V = self._svd(X)
        return (U if side == "left" else V)[:, i - 1:i]

    def singular_vectors(self, X, side):
        U, _, V = self._svd(X)
        return U if side == "left" else V

    def nuclear_norm(self, X):
        return self.lib.sum(self._svd(X)[1])

    def pinv(self, M):
        return self.lib.linalg.pinv(M, rtol=linalg.PINV_RCOND)

    def phi(self, M):
        return self.lib.tril(M, -1) + self.lib.diag(self.lib.diagonal(M)) / 2

    def block_function(self, name, diagonal, off_diagonal):
        """The upper-right block of f(T), T block bidiagonal (each C_j scaled to unit size)."""
        lib, sizes = self.lib, [A.shape[0] for A in diagonal]
        total, scale, rows, start = sum(sizes), self.asarray(1.0), [], 0
        for j, A in enumerate(diagonal):
            parts = [self.zeros(sizes[j], start)] if start else []
            parts.append(A)
            end = start + sizes[j]
            if j < len(off_diagonal):
                size = lib.max(lib.abs(off_diagonal[j]))
                size = lib.where(size == 0, 1.0, size)
                scale = scale * size
                parts.append(off_diagonal[j] / size)
                end += sizes[j + 1]
            if end < total:
                parts.append(self.zeros(sizes[j], total - end))
            rows.append(self.concat(parts, 1))
            start += sizes[j]
        F = getattr(self, name)(self.concat(rows, 0))
        return scale * F[:sizes[0], total - sizes[-1]:]


class JaxLinalg(_ArrayLinalg):
    library_name = "JAX"

    def concat(self, arrays, axis):
        return self.lib.concatenate(arrays, axis)

    def cholesky(self, S):
        return self.lib.linalg.cholesky((S + S.T) / 2)   # nan when not positive definite

    def expm(self, X):
        return self.jax.scipy.linalg.expm(X)

    def sqrtm(self, X):
        F = self.jax.scipy.linalg.sqrtm(X)
        scale = self.lib.maximum(self.lib.max(self.lib.abs(F)), 1.0)
        genuine = self.lib.max(self.lib.abs(F.imag)) > 1e-8 * scale
        return self.lib.where(genuine, self.asarray(float("nan")), F.real)


class TorchLinalg(_ArrayLinalg):
    library_name = "PyTorch"

    def concat(self, arrays, axis):
        return self.lib.cat(arrays, axis)

    def cholesky(self, S):
        L, info = self.lib.linalg.cholesky_ex((S + S.T) / 2)
        return self.lib.where(info > 0, self.asarray(float("nan")), L)

    def expm(self, X):
        return self.lib.linalg.matrix_exp(X)
