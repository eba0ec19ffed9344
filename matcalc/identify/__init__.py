"""Identification: the derivative read off a differential linear in dX.

    gradient.py     df = sum_i <G_i, dX>            =>  grad f = sum_i G_i     (scalar f)
    jacobian.py     vec(dF) = sum_i J_i vec(dX)     =>  J = sum_i J_i          (matrix F)

Both are walkers over the differential: each construct wrapped around dX moves itself
onto the cotangent (``COTANGENT`` rules) or onto the Jacobian (``VEC`` rules), registered
by the construct's own module.
"""
from .gradient import Cotangents, gradient_terms, matrix_cotangent_terms
from .jacobian import scalar_jacobian, vec_jacobian

__all__ = ["Cotangents", "gradient_terms", "matrix_cotangent_terms", "scalar_jacobian",
           "vec_jacobian"]
