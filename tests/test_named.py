"""Named intermediates (matcalc.named): a deep composition's gradient as named shared
subexpressions, linear in the depth; every form checked against finite differences."""
import numpy as np
import pytest
from sympy import MatrixSymbol, tanh

import matcalc
from matcalc.cli import main
from matcalc.codegen import codegen
from matcalc.constructs.elementwise import elementwise
from matcalc.named import dag_size, name_intermediates, tree_size

from conftest import n


def network(K):
    """||tanh(W_K ... tanh(W_1 x)) - y||^2 and its weights."""
    x, y = MatrixSymbol("x", n, 1), MatrixSymbol("y", n, 1)
    weights = [MatrixSymbol(f"W{k}", n, n) for k in range(1, K + 1)]
    h = x
    for W in weights:
        h = elementwise(tanh, W * h)
    return matcalc.scalar((h - y).T * (h - y)), weights


@pytest.mark.parametrize("K", [1, 3])
def test_named_gradient_names_the_forward_values_and_checks(K):
    f, weights = network(K)
    named = matcalc.grad(f, weights[0], named=True)
    G = named.expanded()
    assert G == matcalc.grad(f, weights[0])
    assert matcalc.check(f, weights[0], G).passed
    # one name per layer's pre-activation W_k (...), each defined over the one before
    assert len(named.definitions) == K if K > 1 else len(named.definitions) <= 1
    for (name, value), W in zip(named.definitions, weights):
        assert W in value.free_symbols
        assert name in named.result.free_symbols or any(
            name in v.free_symbols for _, v in named.definitions)


def test_named_size_is_linear_in_depth_while_the_tree_is_not():
    sizes = {}
    for K in (2, 4, 8):
        f, weights = network(K)
        G = matcalc.grad(f, weights[0])
        named = name_intermediates(G)
        sizes[K] = (tree_size(G), named.size, dag_size(G))
    steps = [sizes[4][1] - sizes[2][1], (sizes[8][1] - sizes[4][1]) / 2]
    assert abs(steps[0] - steps[1]) <= 0.1 * steps[0], sizes     # a constant cost per layer
    tree_steps = [sizes[4][0] - sizes[2][0], (sizes[8][0] - sizes[4][0]) / 2]
    assert tree_steps[1] > 1.3 * tree_steps[0], sizes              # the tree grows faster
    assert sizes[8][1] < sizes[8][0] / 1.5


def test_nothing_named_without_repetition():
    x, A = MatrixSymbol("x", n, 1), MatrixSymbol("A", n, n)
    G = matcalc.grad(matcalc.scalar(x.T * A * x), x)
    named = name_intermediates(G)
    assert named.definitions == () and named.result == G


def test_named_latex_is_an_align_environment_and_text_lists_definitions():
    f, weights = network(2)
    named = matcalc.grad(f, weights[0], named=True)
    tex = named.latex()
    assert tex.startswith("\\begin{align*}") and tex.endswith("\\end{align*}")
    assert tex.count("&=") == len(named.definitions) + 1
    lines = named.text().splitlines()
    assert [line.split(" = ")[0] for line in lines] == ["Z_1", "Z_2", "G"]


def test_codegen_of_a_named_result_computes_the_gradient():
    f, weights = network(3)
    named = matcalc.grad(f, weights[0], named=True)
    rng = np.random.default_rng(0)
    arrays = {"x": rng.normal(size=(4, 1)), "y": rng.normal(size=(4, 1)),
              **{f"W{k}": rng.normal(size=(4, 4)) / 2 for k in (1, 2, 3)}}
    got = codegen(named)(**arrays)
    want = codegen(named.expanded())(**arrays)
    assert np.allclose(got, want)
    assert matcalc.check(f, weights[0], named.expanded()).passed


def test_cli_names_intermediates_of_a_deep_result_only(capsys):
    deep = "norm(tanh(W3*tanh(W2*tanh(W1*x))) - y)^2"
    shapes = ["--shape", "x=n,1", "--shape", "y=n,1"] + [
        a for k in (1, 2, 3) for a in ("--shape", f"W{k}=n,n")]
    assert main(["grad", deep, "--wrt", "W1", *shapes, "--check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Z_1 = W1*x\n") and "\nG = " in out and "check passed" in out
    assert main(["grad", deep, "--wrt", "W1", *shapes, "--named", "never"]) == 0
    assert "Z_1" not in capsys.readouterr().out
    assert main(["grad", "x'*A*x", "--wrt", "x", "--shape", "x=n,1"]) == 0
    assert capsys.readouterr().out == "(A + A')*x\n"
