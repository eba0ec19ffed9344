"""The numeric oracle: concrete sizes, random points, NumPy evaluation, finite differences.

The independent judge of every derivative matcalc claims.  It never imports the symbolic
engine (no differential, identification, vec or simplification rule): it substitutes
concrete sizes for the symbolic dimensions, draws random matrices that respect each
symbol's declared structure (``points``), evaluates through NumPy (``printer``,
``evaluate``) and compares a claimed gradient / Jacobian / Hessian with central finite
differences (``differences``), sweeping the step when they disagree (``judge``)::

    D(h)  = (f(X + hE) - f(X - hE)) / 2h
    R     = (4 D(h/2) - D(h)) / 3                   (Richardson, error O(h^4))

    max_rel_error = max|G - G_fd| / max(max|G_fd|, max|G|)

For large variables (more than ``DIRECTIONAL_THRESHOLD`` entries) it compares ``<G, V>``
with the directional difference along random directions ``V`` (``check``).
"""
from .check import (DIRECTIONAL_THRESHOLD, HESSIAN_DIRECTIONAL_THRESHOLD, REDRAWS, CheckReport,
                    check, check_hessian, check_jacobian)
from .differences import (DIRECTIONS, HESSIAN_STEP, STEP, fd_directional, fd_gradient,
                          fd_hessian, fd_jacobian, random_directions)
from .evaluate import MAX_NESTING, _Bound, evaluate, lambdify
from .judge import HESSIAN_SWEEP, SWEEP, conditioning
from .points import (MAX_ENTRIES, MAX_EVAL_NESTING, MAX_POINTS, SIZE_POOL, Point,
                     concrete_sizes, dimension_symbols, draw_matrix, nesting_depth, point_at,
                     random_point, sympify)
from .printer import MatcalcNumPyPrinter, numpy_code

__all__ = ["Point", "CheckReport", "concrete_sizes", "random_point", "evaluate", "lambdify",
           "fd_gradient", "fd_directional", "fd_jacobian", "fd_hessian",
           "check", "check_jacobian", "check_hessian",
           "point_at", "conditioning", "nesting_depth", "MatcalcNumPyPrinter", "numpy_code",
           "SIZE_POOL", "DIRECTIONAL_THRESHOLD", "STEP", "HESSIAN_STEP", "SWEEP", "HESSIAN_SWEEP",
           "MAX_POINTS", "MAX_ENTRIES", "MAX_EVAL_NESTING"]
