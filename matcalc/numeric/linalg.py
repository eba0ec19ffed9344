"""NumPy values of decompositions and matrix functions, with fixed conventions.

The oracle's NumPy code (and the NumPy backend of generated code) calls these by name
(``matcalc_eigenvalue(X, i)`` ...); they only evaluate -- no derivative rule is used here.

Conventions (the constructs' docstrings state them too):

- eigenvalues ascending by value, ``lambda_1 <= ... <= lambda_n`` (``numpy.linalg.eigh``'s
  order), indices 1-based; a matrix with a complex eigenvalue has no real ordering: nan.
  An exactly symmetric matrix goes through ``eigh``, any other through ``eig``, so a
  non-symmetric perturbation of a symmetric point (finite differences) is the general
  eigenproblem, as the derivative rules assume.
- singular values descending, ``sigma_1 >= sigma_2 >= ...`` (``numpy.linalg.svd``'s order).
- eigenvectors and right singular vectors have unit 2-norm and their entry of largest
  magnitude positive (as scikit-learn's ``svd_flip``); the left singular vector is
  ``u_i = X v_i / sigma_i``; the left eigenvector is normalised by ``u_i^T v_i = 1`` (row i of
  ``V^{-1}``).
- ``cholesky(S)`` is the lower factor of the symmetric part ``(S + S^T)/2``.
- ``pinv`` treats singular values below ``PINV_RCOND * sigma_max`` as zero.
- ``expm``, ``sqrtm`` are SciPy's, ``logm`` inverse scaling and squaring on SciPy's ``sqrtm``
  (principal branches); a non-real result is nan.
"""
import numpy as np

__all__ = ["matcalc_eigenvalue", "matcalc_eigenvector", "matcalc_left_eigenvector",
           "matcalc_eigenvalues", "matcalc_eigenvectors", "matcalc_singular_value",
           "matcalc_singular_vector", "matcalc_singular_vectors", "matcalc_nuclear_norm",
           "matcalc_pinv", "matcalc_cholesky", "matcalc_phi", "matcalc_matrix_function",
           "matcalc_block_function", "matcalc_gap_matrix", "PINV_RCOND", "SCIPY_HINT",
           "eigen_decomposition", "thin_svd", "require_scipy"]

#: singular values below this fraction of the largest count as zero in ``pinv``
PINV_RCOND = 1e-10
#: imaginary parts of eigenvalues below this (relative) count as zero
IMAGINARY_TOLERANCE = 1e-9
SCIPY_HINT = "pip install scipy (a dependency of sympy-matcalc, missing from this environment)"


def require_scipy(what):
    """``scipy.linalg``, or an ImportError saying that ``what`` needs SciPy and how to get it."""
    try:
        import scipy.linalg
    except ImportError:
        raise ImportError(f"{what} needs SciPy (NumPy has no matrix exponential, logarithm "
                          f"or square root); install it with {SCIPY_HINT}") from None
    return scipy.linalg


def _signed(V):
    """Columns of V with their entry of largest magnitude positive."""
    rows = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[rows, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs


def _index(i, count, what):
    k = int(round(float(i)))
    if not 1 <= k <= count:
        raise ValueError(f"{what} index {k} out of range 1..{count}")
    return k - 1


def eigen_decomposition(X):
    """(w, V): the real eigenvalues of the square X ascending and unit eigenvectors (largest
    entry positive); nan arrays when an eigenvalue is complex."""
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    if not np.all(np.isfinite(X)):
        return np.full(n, np.nan), np.full((n, n), np.nan)
    if np.array_equal(X, X.T):
        w, V = np.linalg.eigh(X)
        return w, _signed(V)
    w, V = np.linalg.eig(X)
    scale = max(1.0, float(np.max(np.abs(w))))
    if np.max(np.abs(w.imag)) > IMAGINARY_TOLERANCE * scale:
        return np.full(n, np.nan), np.full((n, n), np.nan)
    order = np.argsort(w.real, kind="stable")
    V = V.real[:, order]
    V = V / np.linalg.norm(V, axis=0)
    return w.real[order], _signed(V)


def matcalc_eigenvalue(X, i):
    """lambda_i(X), ascending, 1-based."""
    w, _ = eigen_decomposition(X)
    return w[_index(i, len(w), "eigenvalue")]


def matcalc_eigenvector(X, i):
    """v_i(X): the unit right eigenvector of lambda_i (n x 1)."""
    w, V = eigen_decomposition(X)
    k = _index(i, len(w), "eigenvector")
    return V[:, k:k + 1]


def matcalc_left_eigenvector(X, i):
    """u_i(X) with u_i^T X = lambda_i u_i^T and u_i^T v_i = 1: row i of V^{-1}, as a column."""
    w, V = eigen_decomposition(X)
    k = _index(i, len(w), "eigenvector")
    if not np.all(np.isfinite(V)):
        return np.full((len(w), 1), np.nan)
    return np.linalg.inv(V)[k, :].reshape(-1, 1)


def matcalc_eigenvalues(X):
    """lambda(X), ascending, as a column."""
    return eigen_decomposition(X)[0].reshape(-1, 1)


def matcalc_eigenvectors(X):
    """V(X): the unit eigenvectors as columns, in the order of the eigenvalues."""
    return eigen_decomposition(X)[1]


def matcalc_gap_matrix(v):
    """F(v): F_ij = 1/(v_j - v_i) off the diagonal, 0 on it (v a vector)."""
    v = np.asarray(v, dtype=float).reshape(-1)
    with np.errstate(divide="ignore"):
        F = 1.0 / (v[None, :] - v[:, None])
    np.fill_diagonal(F, 0.0)
    return F


def thin_svd(X):
    """(U, s, V): X = U diag(s) V^T, s descending, k = min(m, n) columns; v_i's largest entry
    positive and u_i = X v_i / s_i (so the signs of u_i and v_i agree)."""
    X = np.asarray(X, dtype=float)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    V = _signed(Vt.T)
    signs = np.sign(np.sum(V * Vt.T, axis=0))   # the flips _signed made, per column
    return U * signs, s, V


def matcalc_singular_value(X, i):
    """sigma_i(X), descending, 1-based."""
    s = np.linalg.svd(np.asarray(X, dtype=float), compute_uv=False)
    return s[_index(i, len(s), "singular value")]


def matcalc_singular_vector(X, i, side):
    """u_i(X) (``side="left"``, m x 1) or v_i(X) (``"right"``, n x 1)."""
    U, s, V = thin_svd(X)
    k = _index(i, len(s), "singular vector")
    return (U if side == "left" else V)[:, k:k + 1]


def matcalc_singular_vectors(X, side):
    """U (m x k) or V (n x k) of the thin SVD X = U diag(s) V^T."""
    U, _, V = thin_svd(X)
    return U if side == "left" else V


def matcalc_nuclear_norm(X):
    """||X||_* = sum_i sigma_i(X)."""
    return float(np.sum(np.linalg.svd(np.asarray(X, dtype=float), compute_uv=False)))


def matcalc_pinv(M):
    """M^+ (Moore-Penrose), singular values below ``PINV_RCOND`` sigma_max counting as zero."""
    return np.linalg.pinv(np.asarray(M, dtype=float), rcond=PINV_RCOND)


def matcalc_cholesky(S):
    """The lower Cholesky factor of (S + S^T)/2 (nan when it is not positive definite)."""
    S = np.asarray(S, dtype=float)
    try:
        return np.linalg.cholesky((S + S.T) / 2)
    except np.linalg.LinAlgError:
        return np.full(S.shape, np.nan)


def matcalc_phi(M):
    """Phi(M): the strictly lower triangle of M plus half its diagonal."""
    M = np.asarray(M, dtype=float)
    return np.tril(M, -1) + np.diag(np.diagonal(M)) / 2


def _real(F):
    """A SciPy result as a real matrix: nan when it is genuinely complex."""
    F = np.asarray(F)
    if np.iscomplexobj(F):
        scale = max(1.0, float(np.max(np.abs(F)))) if F.size else 1.0
        if np.max(np.abs(F.imag), initial=0.0) > 1e-8 * scale:
            return np.full(F.shape, np.nan)
        F = F.real
    return np.asarray(F, dtype=float)


def _logm(X, sqrtm):
    """The principal logarithm by inverse scaling and squaring (Higham, Functions of Matrices,
    sec. 11.5): square roots until ||Y - I||_1 <= 1/4, then log(Y) = 2 atanh(Z) =
    2 sum_j Z^{2j+1} / (2j + 1) with Z = (Y - I)(Y + I)^{-1}, and log X = 2^k log Y.

    SciPy's own ``logm`` agrees to ~1e-13 on the oracle's draws but is Python-level and
    ~50 times slower on small matrices, which finite differences evaluate thousands of times.
    A matrix with an eigenvalue on the closed negative real axis has no real principal
    logarithm: nan."""
    n = X.shape[0]
    eye = np.eye(n)
    Y, k = X, 0
    while np.linalg.norm(Y - eye, 1) > 0.25:
        Y = sqrtm(Y)
        k += 1
        if k > 64 or np.iscomplexobj(Y) or not np.all(np.isfinite(Y)):
            return np.full(X.shape, np.nan)
    E = Y - eye
    Z = np.linalg.solve((2 * eye + E).T, E.T).T        # (Y - I)(Y + I)^{-1}, commuting
    Z2, term, total = Z @ Z, Z, Z
    for j in range(1, 64):
        term = term @ Z2
        total = total + term / (2 * j + 1)
        if np.max(np.abs(term)) <= 1e-18 * max(1.0, float(np.max(np.abs(total)))):
            break
    return 2.0 ** (k + 1) * total


def matcalc_matrix_function(name, X):
    """expm / logm / sqrtm of the square X (principal branches; SciPy's expm and sqrtm)."""
    X = np.asarray(X, dtype=float)
    linalg = require_scipy(name)
    if not np.all(np.isfinite(X)):
        return np.full(X.shape, np.nan)
    with np.errstate(all="ignore"):
        if name == "expm":
            return _real(linalg.expm(X))
        if name == "logm":
            return _logm(X, linalg.sqrtm)
        if name == "sqrtm":
            return _real(linalg.sqrtm(X))
    raise ValueError(f"unknown matrix function {name!r}")


def matcalc_block_function(name, diagonal, off_diagonal):
    """The upper-right block of f(T), T block upper bidiagonal with the square blocks
    ``diagonal`` (A_1 ... A_k) and ``off_diagonal`` (C_1 ... C_{k-1}) above them.

    For k = 2 and A_1 = A_2 = A it is the Frechet derivative L_f(A, C) (Higham, Functions
    of Matrices, thm 3.6). The value is multilinear in the C_j: each is scaled to unit norm
    first, so that the block matrix is balanced, and the result scaled back.
    """
    diagonal = [np.asarray(A, dtype=float) for A in diagonal]
    off_diagonal = [np.asarray(C, dtype=float) for C in off_diagonal]
    sizes = [A.shape[0] for A in diagonal]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    T = np.zeros((offsets[-1], offsets[-1]))
    scale = 1.0
    for j, A in enumerate(diagonal):
        T[offsets[j]:offsets[j + 1], offsets[j]:offsets[j + 1]] = A
    for j, C in enumerate(off_diagonal):
        size = float(np.max(np.abs(C))) if C.size else 0.0
        if size == 0.0:
            return np.zeros((sizes[0], sizes[-1]))
        scale *= size
        T[offsets[j]:offsets[j + 1], offsets[j + 1]:offsets[j + 2]] = C / size
    F = matcalc_matrix_function(name, T)
    return scale * F[:sizes[0], offsets[-2]:]
