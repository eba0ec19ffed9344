"""Imported once by the worker processes' fork server, before any request.

Every request runs in a process forked from that server (``matcalc.service.jobs``), so
what is imported and computed here is paid once, not per request: matcalc with its rules,
the array libraries code generation uses, and one small derivation that fills the
lazily built tables (the parser's function table, printers, the oracle's printer).
"""
import importlib.util

from .compute import BACKENDS, derivation_payload
from .requests import DerivationRequest

for _module, _ in BACKENDS.values():
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)

derivation_payload(DerivationRequest.from_json({"expression": "tr(A*X)*log(det(X))",
                                                "points": 1}))
