"""The README's Python examples run and print what the README says they print; its
Quickstart has exactly two commands; it names no file that is not in the repository.

A ``print(...)`` in an example carries its output as the comment beside it: the comment is
the printed text, exactly; a comment ending in `` ...`` gives the start of the output; two
spaces and a parenthesis after the output begin a note (``# S^-1  (LaTeX: S^{-T})``). An
example whose output is shown in a ```` ```text ```` block right after it (introduced by a
line ending in "prints:") must print exactly that block. Every print is checked one way
or the other.
"""
import ast
import contextlib
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCK = re.compile(r"```python\n(.*?)```(\n\n[^\n]*prints:\n\n```text\n(.*?)```)?", flags=re.S)
EXAMPLES = [(m.group(1), m.group(3)) for m in BLOCK.finditer(TEXT)]


class Printed:
    """``print`` for an example: records each call's text with the line it is on."""

    def __init__(self):
        self.calls = []
        self.stream = io.StringIO()

    def __call__(self, *args, sep=" ", end="\n", **kwargs):
        import inspect
        line = inspect.currentframe().f_back.f_lineno
        text = sep.join(str(a) for a in args)
        self.calls.append((line, text))
        self.stream.write(text + end)


def comments_beside_prints(code):
    """line -> the comment beside each ``print(...)`` statement (None: no comment)."""
    lines = code.splitlines()
    found = {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            source = lines[node.end_lineno - 1]
            comment = source.split("  # ", 1)[1] if "  # " in source else None
            found[node.lineno] = comment
    return found


def expected_output(comment):
    """(text, is a prefix) from a comment: ``text ...`` is a prefix; ``text  (note)`` has a
    note."""
    text = re.split(r"\s{2,}\(", comment, maxsplit=1)[0].rstrip()
    if text.endswith(" ..."):
        return text[:-4], True
    return text, False


@pytest.mark.parametrize("code, shown", EXAMPLES, ids=[f"block{i}" for i in range(len(EXAMPLES))])
def test_readme_examples_print_what_the_readme_says(code, shown):
    printed = Printed()
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__", "print": printed})
    if shown is not None:
        assert printed.stream.getvalue() == shown
        return
    comments = comments_beside_prints(code)
    for line, text in printed.calls:
        comment = comments.get(line)
        assert comment is not None, f"print on line {line} has no comment saying what it prints"
        expected, prefix = expected_output(comment)
        first = text.splitlines()[0] if text else ""
        if prefix:
            assert text.startswith(expected), f"line {line}: printed {text!r}"
        else:
            assert first == expected, f"line {line}: printed {text!r}, README says {expected!r}"
            assert "\n" not in text, f"line {line}: printed more lines than the comment says"
    assert {line for line, _ in printed.calls} == set(comments), "a print did not run"


def test_quickstart_has_two_commands_that_do_not_share_a_venv_and_ci_runs_the_second():
    quick = TEXT.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    assert len(commands) == 2
    venvs = [re.search(r"python3 -m venv (\S+)", c).group(1) for c in commands]
    assert venvs[0] != venvs[1]
    assert re.search(r"takes about \d+\s+(minutes|seconds)", quick), \
        "the Quickstart says how long the test command takes"
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci


def test_every_file_the_readme_names_is_in_the_repository():
    named = set(re.findall(r"\]\(((?!https?:)[^)#\s]+)\)", TEXT))             # links, images
    named |= set(re.findall(r"(?:`|python3 )((?:\.\./)*(?:[\w.-]+/)+[\w.-]+\."
                            r"(?:py|md|toml|ipynb|png|json|sh))", TEXT))
    missing = sorted(path for path in named if not (ROOT / path).exists()
                     and not (ROOT / "matcalc" / path).exists())
    assert not missing, f"the README names files that are not in the repository: {missing}"
    assert "DESIGN.md" not in TEXT, "DESIGN.md is not part of the repository"
