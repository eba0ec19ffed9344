"""Simplification: results in the Matrix Cookbook's compact form, and symbolic equality.

    rewrite.py         local rewrites bottom-up (each construct's ``REWRITE`` rules)
    monomials.py       sums of monomials: expanded, collected, factored again
    forms.py           simplify_result (the form a reader sees), canonical_form / equal_forms
    kronecker_form.py  Jacobians and Hessians in compact Kronecker form
"""
from .forms import canonical_form, equal_forms, simplify_result
from .monomials import expand_terms, expression_size, factor_terms
from .rewrite import normalize

__all__ = ["simplify_result", "normalize", "expand_terms", "factor_terms", "canonical_form",
           "equal_forms", "expression_size"]
