"""Imported once by the worker processes' fork server, before any request.

Every request runs in a process forked from that server (``matcalc.service.jobs``), so
what is imported and computed here is paid once, not per request: matcalc with its rules,
the array libraries code generation uses, and one small derivation that fills the
lazily built tables (the parser's function table, printers, the oracle's printer).
Measured here: a worker sends its first message about 30 ms after it is started, against
150 ms without these imports and ``gc.freeze()``.
"""
import gc
import importlib.util

from .. import cli  # noqa: F401  (the main module of ``matcalc serve``, re-read by each worker)
from . import checks, jobs  # noqa: F401  (each worker unpickles ``jobs._worker``)
from .compute import BACKENDS, derivation_payload
from .requests import DerivationRequest

for _module, _ in BACKENDS.values():
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)

derivation_payload(DerivationRequest.from_json({"expression": "tr(A*X)*log(det(X))",
                                                "points": 1}))

# every object so far is permanent: a worker's garbage collections then never walk (and so
# never copy, page by page) the fork server's heap
gc.freeze()
