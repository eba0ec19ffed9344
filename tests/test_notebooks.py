"""Every notebook in notebooks/ runs top to bottom without an error, fast, and is stored clean.

The notebooks assert their own results (each derivative is checked numerically and
the check asserted), so executing them is the test.  The kernel starts in the
repository root, so ``import matcalc`` finds the package even when it is not installed.
"""
import pathlib
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: per cell, and for the whole notebook (the notebooks are meant to take seconds)
CELL_TIMEOUT = 120
NOTEBOOK_BUDGET = 60


def _notebook_tools():
    try:
        import nbclient
        import nbformat
        import ipykernel  # noqa: F401  (the python3 kernel)
    except ImportError as missing:
        reason = (f"notebook tests skipped: {missing.name} is not installed "
                  "(pip install nbclient nbformat ipykernel, or the package's [test] extra)")
        print(reason)
        pytest.skip(reason)
    return nbclient, nbformat


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert names[:4] == ["01_quickstart.ipynb", "02_mml_chapter5.ipynb",
                         "03_sympy_comparison.ipynb", "04_ml_gradients.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    _, nbformat = _notebook_tools()
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: clear the outputs before committing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    nbclient, nbformat = _notebook_tools()
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    start = time.perf_counter()
    client.execute()   # raises CellExecutionError, naming the cell, on any error
    elapsed = time.perf_counter() - start
    assert elapsed < NOTEBOOK_BUDGET, f"{path.name} took {elapsed:.0f} s (budget {NOTEBOOK_BUDGET} s)"
