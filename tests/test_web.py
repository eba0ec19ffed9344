"""``matcalc serve`` over HTTP: the page and its assets, the JSON API, bad and hostile
input, the per-request time limit, and a bounded load from several clients.

Integration tests (a real server process): ``pytest -m integration``.
"""
import http.client
import json
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import matcalc
from matcalc.catalogue import check_for
from matcalc.parse import parse

from served import call, running_server

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
pytestmark = pytest.mark.integration

TIMEOUT = 3   # the server's per-request limit in these tests (seconds)
#: a Hessian that takes seconds (about 8 s alone), beyond the test server's time limit
SLOW = {"expression": "norm(tanh(X*tanh(X*tanh(X*tanh(X*tanh(X))))))^2", "kind": "hessian"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve"), "--timeout", str(TIMEOUT),
                        "--memory", "1024") as base:
        yield base


def assert_checks(expression, payload, shapes=None):
    """The returned result reads back and passes the oracle here, in the test process."""
    parsed = parse(expression, shapes=shapes or {})
    X = parsed.symbols[payload["wrt"]]
    result = parse(payload["result"]["text"], shapes=shapes or {}).expr
    assert check_for(payload["kind"], parsed.expr, X, result, layout=payload["layout"]).passed


def test_page_and_assets_are_served_with_security_headers(server):
    status, headers, html = call(server, "/", method="GET")
    assert status == 200 and "<title>matcalc: matrix calculus</title>" in html
    assert f"matcalc {matcalc.__version__}" in html
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert asset.startswith("/static/") or asset.startswith("data:"), asset
        if asset.startswith("/static/"):
            assert call(server, asset, method="GET")[0] == 200, asset


def test_the_page_works_offline_every_font_katex_names_is_shipped(server):
    status, _, css = call(server, "/static/katex/katex.min.css", method="GET")
    fonts = re.findall(r"url\(([^)]+)\)", css)
    assert status == 200 and len(fonts) >= 20
    assert all(f.endswith(".woff2") for f in fonts)
    for font in fonts:
        assert call(server, "/static/katex/" + font, method="GET")[0] == 200, font
    assert "MIT" in call(server, "/static/katex/LICENSE", method="GET")[2]


def test_derive_returns_result_steps_check_and_code(server):
    body = {"expression": "norm(X*W - Y)^2", "wrt": "W",
            "shapes": {"X": "m,k", "W": "k,n", "Y": "m,n"}}
    status, _, payload = call(server, "/api/derive", body)
    assert status == 200, payload
    assert payload["result"]["text"] == "2*X'*(X*W - Y)"
    assert payload["result"]["latex"] == r"2 X^{T} \left(X W - Y\right)"
    assert [s["rule"] for s in payload["steps"]][-1] == "identify gradient: G"
    assert payload["check"]["passed"] and len(payload["check"]["sizes"]) == 3
    assert "def grad_W(W, X, Y):" in payload["code"]["numpy"]["source"]
    assert_checks(body["expression"], payload, body["shapes"])


def test_the_stream_reports_progress_then_the_result(server):
    connection = http.client.HTTPConnection(server.split("//")[1], timeout=60)
    connection.request("POST", "/api/derive?stream=1", json.dumps({"expression": "logdet(X)",
                                                                   "kind": "hessian"}),
                       {"Content-Type": "application/json"})
    response = connection.getresponse()
    lines = [json.loads(line) for line in response.read().decode().splitlines()]
    connection.close()
    stages = [line["progress"] for line in lines if "progress" in line]
    assert response.status == 200 and response.getheader("content-type").startswith(
        "application/x-ndjson")
    assert stages[:3] == ["parsing", "differentiating", "printing"]
    assert "checking numerically" in stages
    result = lines[-1]["result"]
    assert result["result"]["text"] == "-commutation(n, n)*kron(X^-T, X^-1)"
    assert_checks("logdet(X)", result)


def test_a_client_that_goes_away_takes_its_worker_with_it(server):
    connection = http.client.HTTPConnection(server.split("//")[1], timeout=60)
    connection.request("POST", "/api/derive?stream=1", json.dumps(SLOW),
                       {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert json.loads(response.readline())["progress"] == "parsing"
    assert len(server.workers()) == 1
    connection.close()                       # the page's Cancel button does this
    deadline = time.monotonic() + 5
    while server.workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.workers() == []


def test_symbols_and_gallery(server):
    status, _, data = call(server, "/api/symbols", {"expression": "x'*S*x",
                                                     "assume": {"S": "spd"}})
    assert status == 200 and data["wrt"] == "x"
    assert [(s["name"], s["shape"], s["structure"]) for s in data["symbols"]] == \
        [("x", "n", "general"), ("S", "n,n", "spd")]
    status, _, gallery = call(server, "/api/gallery", method="GET")
    assert status == 200 and len(gallery["identities"]) >= 237


@pytest.mark.parametrize("request_kwargs, status, kind", [
    ({"raw": b"expression=x", "content_type": "application/x-www-form-urlencoded"}, 415,
     "UnsupportedMediaType"),
    ({"raw": b"{not json"}, 400, "BadRequest"),
    ({"raw": b"\xff\xfe"}, 400, "BadRequest"),
    ({"raw": json.dumps({"expression": "x" * 40_000}).encode()}, 413, "TooLarge"),
    ({"body": {"expression": "x", "eval": "1"}}, 400, "BadRequest"),
    ({"body": {"expression": "tr(X"}}, 400, "ParseError"),
    ({"body": {"expression": "nuclear(X)", "kind": "hessian"}}, 422, "UnsupportedError"),
    ({"body": SLOW}, 422, "TimeLimit"),
])
def test_bad_requests_get_a_clear_4xx(server, request_kwargs, status, kind):
    got, _, data = call(server, "/api/derive", **request_kwargs)
    assert (got, data["error"]["type"]) == (status, kind), data
    assert data["error"]["message"]


def test_parse_errors_carry_the_column(server):
    status, _, data = call(server, "/api/derive", {"expression": "tr(X) + ?"})
    assert status == 400
    assert (data["error"]["position"], data["error"]["text"]) == (8, "tr(X) + ?")


def test_other_hosts_methods_and_paths_are_refused(server):
    assert call(server, "/", method="GET", headers={"Host": "attacker.example"})[0] == 400
    assert call(server, "/api/derive", method="GET")[0] == 405
    status, _, data = call(server, "/api/nothing", method="GET")
    assert status == 404 and data["error"]["type"] == "NotFound"
    assert call(server, "/static/../pyproject.toml", method="GET")[0] == 404


# --------------------------------------------------------------------------
# a bounded load, with hostile input mixed in
# --------------------------------------------------------------------------

CANARY = Path("/tmp/matcalc-web-canary")

#: expensive requests, sent a few times each: (request, the statuses that are right for it)
HEAVY = [(SLOW, {422}), ({"expression": "tr(X^999999999)"}, {200, 422}),
         ({"expression": "kron(X, X, X, X, X, X)", "kind": "jacobian"}, {200, 422})]
#: (request, the statuses that are right for it)
WORKLOAD = [
    ({"expression": "x'*A*x"}, {200}),
    ({"expression": "norm(X*W - Y)^2", "wrt": "W"}, {200}),
    ({"expression": "A*X*B", "kind": "jacobian"}, {200}),
    ({"expression": "logdet(S)", "assume": {"S": "spd"}}, {200}),
    ({"expression": "x'*A*x", "kind": "hessian"}, {200}),
    ({"expression": "frobm(X)"}, {400}),
    ({"expression": "tr(" * 300 + "X" + ")" * 300}, {400}),
    ({"expression": "9^9^9^9"}, {400}),
    ({"expression": "X" * 2001}, {400}),
    ({"expression": "tr(X)\x00"}, {400}),
    ({"expression": f"__import__('os').system('touch {CANARY}')"}, {400}),
    ({"expression": "<script>alert(1)</script>"}, {400}),
    ({"expression": ["x"]}, {400}),
    ({"expression": "tr(\u03a7)"}, {400}),
    ({"expression": "x", "shapes": {"x": "n" * 40}}, {200, 400}),
    ("raw:not json", {400}),
    ("raw:big", {413}),
]


def _send(base, item):
    body, allowed = item
    if body == "raw:not json":
        status, _, data = call(base, "/api/derive", raw=b"{")
    elif body == "raw:big":
        status, _, data = call(base, "/api/derive", raw=b" " * 100_000)
    else:
        status, _, data = call(base, "/api/derive", body)
    return status, allowed, data


def test_two_hundred_requests_from_eight_clients_get_no_error_but_a_clear_4xx(server,
                                                                              capsys):
    """200 requests (normal, malformed and hostile ones, and 9 expensive ones that may run
    into the time limit) from 8 concurrent clients: every answer is a 200 or a 4xx with a
    message, never a 5xx."""
    CANARY.unlink(missing_ok=True)
    plan = [WORKLOAD[k % len(WORKLOAD)] for k in range(191)] + HEAVY * 3
    latencies, lock = [], threading.Lock()

    def timed(item):
        start = time.monotonic()
        outcome = _send(server, item)
        with lock:
            latencies.append(time.monotonic() - start)
        return outcome

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(timed, plan))
    elapsed = time.monotonic() - start
    statuses = [status for status, _, _ in outcomes]
    wrong = [(status, data) for status, allowed, data in outcomes if status not in allowed]
    assert not wrong, wrong[:3]
    assert all(status < 500 for status in statuses)
    assert all(data["error"]["message"] for status, _, data in outcomes if status >= 400)
    assert not CANARY.exists()
    assert call(server, "/api/health", method="GET")[0] == 200   # still serving
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    with capsys.disabled():
        print(f"\n[load] {len(plan)} requests from 8 clients in {elapsed:.1f} s: statuses "
              f"{counts}; latency median {statistics.median(latencies):.2f} s, max "
              f"{max(latencies):.2f} s")
