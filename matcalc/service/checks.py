"""Checks as JSON: a claimed derivative against finite differences, the bundled catalogue.

``claim_payload`` is the assistant's ``check`` tool: someone (a person, a language model)
states a derivative in matcalc's language, and the numeric oracle says whether it is right,
next to matcalc's own derivation. ``verify_payload`` verifies identities of the bundled
catalogue; ``gallery_payload`` lists them for the web page. These run in a bounded worker
process (``matcalc.service.jobs``).
"""
from __future__ import annotations

from .compute import check_json, parse_request, validate, variable_of
from .requests import MAX_EXPRESSION, DerivationRequest, RequestError

__all__ = ["claim_payload", "verify_payload", "gallery_payload", "MAX_VERIFY_IDS"]

#: the most identity ids one ``verify`` request may name
MAX_VERIFY_IDS = 300


def _ignore(stage):
    pass


def claim_payload(data, progress=_ignore):
    """``data``: a derivation request plus ``claimed`` (the stated derivative, text).
    Returns the oracle's report on the claim and matcalc's own result."""
    from ..catalogue import check_for
    from ..printing.latex import latex
    from ..printing.text import text_form
    if not isinstance(data, dict):
        raise RequestError("request", "expected a JSON object")
    claimed = data.get("claimed")
    if not isinstance(claimed, str) or not claimed.strip():
        raise RequestError("claimed", "expected the claimed derivative as text in matcalc's "
                                      "language")
    if len(claimed) > MAX_EXPRESSION:
        raise RequestError("claimed", f"too long: {len(claimed):,} characters (the limit is "
                                      f"{MAX_EXPRESSION:,})")
    request = DerivationRequest.from_json({k: v for k, v in data.items() if k != "claimed"})
    progress("parsing")
    parsed = parse_request(request)
    f, X = parsed.expr, variable_of(parsed, request)
    validate(f, X, request)
    claim = parse_request(request, claimed).expr
    progress("checking the claim numerically")
    claim_for_oracle = claim
    if request.kind == "jacobian" and request.layout == "denominator":
        from ..algebra import transpose_of
        claim_for_oracle = transpose_of(claim)
    report = check_for(request.kind, f, X, claim_for_oracle, layout=request.layout,
                       structure=request.structure, points=request.points, seed=request.seed)
    payload = {"kind": request.kind, "wrt": X.name, "layout": request.layout,
               "claimed": {"text": text_form(claim), "latex": latex(claim)},
               "check": check_json(report)}
    progress("deriving")
    from dataclasses import replace

    from .compute import derivation_payload, error_payload
    try:
        mine = derivation_payload(replace(request, wrt=X.name, code=False))
        payload["matcalc"] = {"text": mine["result"]["text"], "latex": mine["result"]["latex"],
                              "check": mine.get("check")}
    except Exception as exc:  # the claim's verdict stands even where matcalc has no rule
        payload["matcalc"] = {"error": error_payload(exc)}
    return payload


def verify_payload(data, progress=_ignore):
    """``data``: ``{"ids": [...]}`` (default: every identity) and optionally ``points``.
    Verifies those identities of the bundled catalogue (derive, compare symbolically,
    check numerically)."""
    from ..bundled import catalogue_path
    from ..catalogue import verify_catalogue
    data = data or {}
    if not isinstance(data, dict):
        raise RequestError("request", "expected a JSON object")
    ids = data.get("ids")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) and len(i) <= 100
                                                for i in ids):
            raise RequestError("ids", "expected an array of identity ids")
        if len(ids) > MAX_VERIFY_IDS:
            raise RequestError("ids", f"too many ids: {len(ids)} (the limit is "
                                      f"{MAX_VERIFY_IDS})")
        ids = ids or None
    points = data.get("points", 3)
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= 10:
        raise RequestError("points", "expected an integer from 1 to 10")

    def each(done, total, identity):
        if identity is not None:
            progress(f"verifying {done + 1}/{total}: {identity.id}")

    report = verify_catalogue(catalogue_path(), progress=each, points=points, ids=ids)
    return report.as_dict()


def gallery_payload(progress=_ignore):
    """Every identity of the bundled catalogue, ready to open in the page."""
    from ..bundled import catalogue_path
    from ..catalogue import load_catalogue
    progress("loading the catalogue")
    identities, errors = load_catalogue(catalogue_path(), strict=False)
    entries = []
    for identity in identities:
        expression, result, corrected = identity.texts()
        entries.append({
            "id": identity.id, "section": identity.section, "title": identity.title,
            "source": identity.source, "expression": expression, "wrt": identity.wrt,
            "kind": identity.kind, "result": result, "corrected": corrected,
            "shapes": {k: str(v) for k, v in identity.shapes.items()},
            "assume": dict(identity.assumptions), "scalars": list(identity.scalars),
            "layout": identity.layout if identity.kind == "gradient" else None,
            "structure": identity.structure, "status": identity.status,
            "note": identity.note or identity.reason})
    return {"identities": entries, "malformed": len(errors)}
