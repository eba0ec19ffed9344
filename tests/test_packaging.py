"""The package as a user installs it: the licence, one version, the bundled catalogue
(``matcalc verify`` with no path, from any folder), the lazy exports in ``dir()``, and a
wheel installed into a fresh virtual environment outside the checkout (integration)."""
import importlib.metadata
import io
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

import matcalc
from matcalc.bundled import catalogue_path
from matcalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_the_licence_file_is_the_mit_licence_pyproject_declares():
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in licence
    katex = ROOT / "matcalc" / "web" / "static" / "katex" / "LICENSE"
    assert "The MIT License" in katex.read_text() and "Khan Academy" in katex.read_text()


def test_the_version_has_one_source():
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "matcalc.__version__"}
    assert importlib.metadata.version("sympy-matcalc") == matcalc.__version__
    done = subprocess.run([sys.executable, "-m", "matcalc", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, f"matcalc {matcalc.__version__}\n")


def test_dir_lists_the_lazy_exports_for_tab_completion():
    names = dir(matcalc)
    for name in ("jacobian", "hessian", "check", "check_jacobian", "check_hessian",
                 "derivative_tensor", "grad"):
        assert name in names
    assert set(matcalc.__all__) <= set(names)


def test_the_bundled_catalogue_is_the_repository_folder_read_as_package_data():
    folder = catalogue_path()
    assert sorted(p.name for p in folder.glob("*.toml")) == \
        sorted(p.name for p in (ROOT / "identities").glob("*.toml"))


def test_verify_without_a_path_verifies_the_bundled_catalogue_from_any_folder(tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("verify", "--id", "cookbook-49", "--id", "mml-5.108")
    assert code == 0, err
    assert out.splitlines()[-1].startswith("2 identities: 2 pass, 0 fail, 0 errata")


# --------------------------------------------------------------------------
# the wheel, in a fresh virtual environment outside the checkout
# --------------------------------------------------------------------------

def _run(command, cwd, timeout=600):
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.integration
def test_the_wheel_installs_and_verifies_its_bundled_catalogue_outside_the_checkout(
        tmp_path, capsys):
    start = time.monotonic()
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w",
          str(wheels)], cwd=tmp_path)
    wheel = next(wheels.glob("sympy_matcalc-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "matcalc/identities/cookbook-2.1-determinants.toml" in names
    assert "matcalc/web/static/katex/katex.min.js" in names
    assert "matcalc/web/static/katex/LICENSE" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python, matcalc_command = venv / "bin" / "python", venv / "bin" / "matcalc"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    located = _run([str(python), "-c", "import matcalc, matcalc.bundled; "
                    "print(matcalc.__file__); print(matcalc.bundled.catalogue_path())"],
                   cwd=elsewhere).split()
    assert all(str(venv) in line and str(ROOT) not in line for line in located)
    report = _run([str(matcalc_command), "verify"], cwd=elsewhere)
    assert " 0 fail" in report.splitlines()[-1], report[-1500:]
    grad = _run([str(matcalc_command), "grad", "norm(X*W - Y)^2", "--wrt", "W", "--shape",
                 "X=m,k", "--shape", "W=k,n", "--shape", "Y=m,n", "--check"], cwd=elsewhere)
    assert grad.splitlines()[0] == "2*X'*(X*W - Y)"
    assert grad.splitlines()[1].startswith("check passed")
    with capsys.disabled():
        print(f"\n[wheel] {wheel.name}: {wheel.stat().st_size / 1024:.0f} KiB; built, "
              f"installed in a fresh venv and verified in {time.monotonic() - start:.0f} s")


@pytest.mark.parametrize("command, module, extra", [
    (["serve", "--port", "0"], "uvicorn", "web"), (["mcp"], "mcp.server.mcpserver", "mcp")])
def test_serve_and_mcp_without_their_extra_say_what_to_install(monkeypatch, command, module,
                                                              extra):
    monkeypatch.setitem(sys.modules, module, None)   # as if the extra were not installed
    code, out, err = run_cli(*command)
    assert code == 2 and out == ""
    assert err.startswith(f"matcalc: error: matcalc {command[0]} needs the {extra} extra")
    assert err.rstrip().endswith(f'pip install "sympy-matcalc[{extra}]"')
    assert len(err.splitlines()) == 1


def test_import_matcalc_leaves_numpy_and_the_code_generator_unimported():
    """``import matcalc`` costs SymPy's import plus matcalc's own modules: NumPy and the
    code generator's backends load when first used (benchmarks/bench_startup.py times it)."""
    probe = ("import sys, matcalc; print(sorted(m for m in ('numpy', 'matcalc.codegen.backends',"
             " 'matcalc.numeric') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"
    used = ("import matcalc.codegen as c, sys; c.codegen; "
            "print('matcalc.codegen.backends' in sys.modules, sorted(c.__dir__())[:2])")
    out = subprocess.run([sys.executable, "-c", used], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "True ['BACKENDS', 'GeneratedFunction']"
