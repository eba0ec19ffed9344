"""The identity catalogue: published matrix-calculus identities kept as data (TOML).

One file per source section, read with the standard library's ``tomllib``::

    section = "cookbook-2.1"
    title = "Derivatives of a determinant"

    [[identity]]
    id = "cookbook-49"
    source = "Matrix Cookbook (2012) eq. 49"
    expression = "det(X)"                # matcalc's expression language (matcalc.parse)
    wrt = "X"
    kind = "gradient"                    # gradient | jacobian | hessian
    result = "det(X)*inv(X)'"            # the published result, same language
    shapes = { X = "n,n" }               # name -> "m,n" (a column: "n"; a scalar: "scalar")
    assumptions = { X = "invertible" }   # name -> symmetric | spd | invertible | orthogonal | ...

Optional keys: ``layout`` ("denominator" | "numerator", gradients only),
``structure`` ("symmetric" | "symmetric-elementwise", gradients w.r.t. a symmetric
matrix), ``status`` ("verified" (default) | "erratum" | "unsupported"), for an
erratum ``corrected`` (the right result) and ``note`` (why), for an unsupported
entry ``reason``; ``note``; ``scalars`` (names that are real scalars); ``where``
(name -> text: abbreviations substituted, parenthesised, into ``expression``,
``result`` and ``corrected`` before parsing; a definition may use earlier ones).

Every text is read by ``matcalc.parse`` -- nothing is ever evaluated as Python.
A malformed entry becomes a ``CatalogueError`` naming the file, the line and the
id, and never stops the other entries from loading.

Modules: ``entry`` (one entry: keys, values, ``where``, parsing), ``load`` (files ->
identities and located errors), ``verify`` (derive, compare, check: the report),
``document`` (the catalogue as a LaTeX document).
"""
from .entry import (EXPECTED_OUTCOME, GRADIENT_STRUCTURES, KINDS, LAYOUTS, STATUSES, Identity,
                    ParsedIdentity, expand_where)
from .load import catalogue_files, load_catalogue, load_file
from .document import catalogue_document, display_forms
from .verify import (DEFAULT_TIMEOUT, OUTCOMES, CatalogueReport, Verification, check_for,
                     derive_for, verify_catalogue, verify_identity)

__all__ = ["Identity", "ParsedIdentity", "load_catalogue", "load_file", "catalogue_files",
           "catalogue_document", "display_forms", "expand_where",
           "KINDS", "STATUSES", "LAYOUTS", "GRADIENT_STRUCTURES", "EXPECTED_OUTCOME",
           "Verification", "CatalogueReport", "verify_identity", "verify_catalogue",
           "derive_for", "check_for", "OUTCOMES", "DEFAULT_TIMEOUT"]
