"""The constructs: one module per construct (or family), each registering all its rules.

Importing this package registers every rule (``matcalc.registry``).  The modules:

========================  ==============================================================
``products``              ``MatMul``, ``MatAdd``
``scalars``               ``Add``, ``Mul``, ``Pow``, 1x1 elements (``scalar(M)``)
``functions``             the chain rule for scalar functions, ``Abs``, the sigmoid
``undefined``             undefined functions ``Function("f")`` and their derivatives f'(a), ∂_1 F
``function_gradient``     ``∇f(U)``: the gradient of an undefined function of a matrix
``matrix_function``       undefined matrix-valued ``F(U)``: DF(U)[dU], J_F(U), DF(U)^*[G]
``special``               matrix symbols, ``I``, ``0``, ``1``
``structured``            symmetric / SPD / orthogonal / ... symbols
``transpose``             ``U^T``
``inverse``               ``U^{-1}``, ``U^k``
``trace``                 ``tr(U)``
``determinant``           ``det(U)``, ``log det(U)``
``hadamard``              ``U ∘ V``, ``U^{∘p}``
``kronecker``             ``U ⊗ V``
``commutation``           ``K_{m,n}``
``partial_trace``         ``tr_1(M)``, ``tr_2(M)``: gradients through ``⊗`` under any cotangent
``vec``                   ``vec(M)``
``unit_matrix``           ``E_{ij}``, entries ``M_{ij}`` of matrices
``explicit``              explicit matrices ``Matrix([...])`` with symbolic entries
``diagonal``              ``diag(v)``, ``diagvec(M)``, ``M ∘ I``
``elementwise``           ``φ(U)`` applied elementwise
``norm``                  ``||E||``
``softmax``               ``softmax(Z)``, ``logsumexp(Z)`` (vectors; per column or row of a matrix)
``nonsmooth``             ``sign``, the step ``H``, ``max``/``min`` (``relu``): derivatives away from kinks
``log1p``                 ``log(1 + x)`` (the README's worked example of adding a construct)
``matrix_sum``            ``Σ_{i=a}^{b} T(i)``: d(U^k) for large or symbolic k
``differentials``         ``dX``, ``d(U)``, ``d(s)``
``pinv``                  ``M^+``, the Moore-Penrose pseudo-inverse
``eigen``                 ``lambda_i(X)``, ``v_i(X)``, ``u_i(X)``: one eigenvalue / eigenvector
``eigensystem``           ``lambda(X)``, ``V(X)``, the inverse gaps ``F(lambda)``
``svd``                   ``sigma_i(X)``, ``u_i(X)``, ``v_i(X)``, ``U(X)``, ``V(X)``, ``||X||_2``, ``||X||_*``
``cholesky``              ``chol(S)``, ``Phi(M)``
``matrix_functions``      ``e^X``, ``log X``, ``X^{1/2}``
``block_function``        ``L_f(A, E)``: Frechet derivatives of matrix functions in block form
========================  ==============================================================

The order of the imports does not matter: where several rules of one stage apply to the
same construct, their ``order=`` says which comes first.
"""
from . import (commutation, determinant, diagonal, differentials, elementwise, explicit,
               function_gradient, functions, hadamard, inverse, kronecker, log1p,
               matrix_function, matrix_sum, nonsmooth, norm, partial_trace, products, scalars,
               softmax, special, structured, trace, transpose, undefined, unit_matrix, vec)
from . import (block_function, cholesky, eigen, eigensystem, matrix_functions,  # noqa: E402
               pinv, svd)  # the decompositions, built on the constructs above
