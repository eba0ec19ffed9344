"""``matcalc mcp`` through the MCP SDK's own client: ``matcalc mcp`` is started as a
subprocess speaking the Model Context Protocol over stdio, and a ``Client`` session lists
and calls its tools, as an assistant does.

Integration test (a real server process): ``pytest -m integration``.
"""
import asyncio
import json
import sys

import pytest

import matcalc
from matcalc.catalogue import check_for
from matcalc.parse import parse

pytestmark = pytest.mark.integration
pytest.importorskip("mcp", reason="the mcp extra is not installed (pip install mcp)")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402


def payload(result):
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def assert_oracle_agrees(expression, data, shapes=None):
    """The tool's text reads back and passes the oracle in this process."""
    parsed = parse(expression, shapes=shapes or {})
    claim = parse(data["text"], shapes=shapes or {}).expr
    X = parsed.symbols[data["wrt"]]
    assert check_for(data["kind"], parsed.expr, X, claim, layout=data["layout"]).passed


async def session_calls(tmp_path):
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "matcalc", "mcp", "--timeout", "60"],
                                   cwd=str(tmp_path))
    async with Client(params, read_timeout_seconds=120) as client:
        tools = await client.list_tools()
        calls = {
            "grad": await client.call_tool("grad", {
                "expression": "norm(X*W - Y)^2", "wrt": "W",
                "shapes": {"X": "m,k", "W": "k,n", "Y": "m,n"}}),
            "jacobian": await client.call_tool("jacobian", {"expression": "A*X*B"}),
            "hessian": await client.call_tool("hessian", {"expression": "logdet(X)"}),
            "check wrong": await client.call_tool("check", {"expression": "x'*A*x",
                                                            "claimed": "2*A*x"}),
            "check right": await client.call_tool("check", {
                "expression": "x'*S*x", "claimed": "2*S*x", "assume": {"S": "symmetric"}}),
            "verify": await client.call_tool("verify", {"ids": ["cookbook-49", "mml-5.108"]}),
            "parse error": await client.call_tool("grad", {"expression": "tr(X"}),
            "unsupported": await client.call_tool("hessian", {"expression": "nuclear(X)"}),
        }
    return tools, calls


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return asyncio.run(session_calls(tmp_path_factory.mktemp("mcp")))


def test_the_server_lists_the_five_tools_with_descriptions(session):
    tools, _ = session
    assert sorted(t.name for t in tools.tools) == ["check", "grad", "hessian", "jacobian",
                                                    "verify"]
    for tool in tools.tools:
        assert tool.description
        arguments = tool.input_schema["properties"]
        assert ("ids" if tool.name == "verify" else "expression") in arguments


def test_grad_returns_text_latex_steps_and_the_numeric_check(session):
    data = payload(session[1]["grad"])
    assert data["text"] == "2*X'*(X*W - Y)"
    assert data["latex"] == matcalc.latex(parse("2*X'*(X*W - Y)", shapes={
        "X": "m,k", "W": "k,n", "Y": "m,n"}).expr)
    assert data["steps"][-1] == {"rule": "identify gradient: G", "text": "2*X'*(X*W - Y)"}
    assert data["check"]["passed"] and data["check"]["max_rel_error"] < 1e-6
    assert len(data["check"]["sizes"]) == 3
    assert_oracle_agrees("norm(X*W - Y)^2", data, {"X": "m,k", "W": "k,n", "Y": "m,n"})


def test_jacobian_and_hessian(session):
    jac, hess = payload(session[1]["jacobian"]), payload(session[1]["hessian"])
    assert (jac["text"], jac["check"]["passed"]) == ("kron(B', A)", True)
    assert (hess["text"], hess["check"]["passed"]) == \
        ("-commutation(n, n)*kron(X^-T, X^-1)", True)
    assert_oracle_agrees("A*X*B", jac)
    assert_oracle_agrees("logdet(X)", hess)


def test_check_fails_a_wrong_claim_and_passes_a_right_one(session):
    wrong, right = payload(session[1]["check wrong"]), payload(session[1]["check right"])
    assert wrong["check"]["verdict"] == "failed" and wrong["matcalc"]["text"] == "(A + A')*x"
    assert right["check"]["verdict"] == "passed"


def test_verify_checks_identities_of_the_bundled_catalogue(session):
    data = payload(session[1]["verify"])
    assert data["counts"]["pass"] == 2 and data["counts"]["fail"] == 0
    assert {r["id"] for r in data["identities"]} == {"cookbook-49", "mml-5.108"}


def test_bad_input_is_a_tool_error_that_says_why(session):
    parse_error, unsupported = session[1]["parse error"], session[1]["unsupported"]
    assert parse_error.is_error and unsupported.is_error
    assert "ParseError: unbalanced '(': missing ')' (at column 3)\n  tr(X\n    ^" in \
        parse_error.content[0].text
    assert "UnsupportedError: matcalc has no rule for SingularVectors" in \
        unsupported.content[0].text
