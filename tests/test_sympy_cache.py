"""matcalc sizes SymPy's cache when it is imported first, and leaves a user's choice alone."""
import os
import subprocess
import sys

import matcalc

PROBE = ("import {first}; import {second}; import sympy.core.cache as c; "
         "print(c.CACHE[0].cache_info().maxsize)")


def _maxsize(first, second, env_value=None):
    env = {k: v for k, v in os.environ.items() if k != "SYMPY_CACHE_SIZE"}
    if env_value is not None:
        env["SYMPY_CACHE_SIZE"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE.format(first=first, second=second)],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    return out.stdout.strip()


def test_matcalc_imported_first_enlarges_sympys_cache():
    assert _maxsize("matcalc", "sympy") == matcalc.CACHE_SIZE


def test_sympy_imported_first_keeps_its_default():
    assert _maxsize("sympy", "matcalc") == "1000"


def test_a_size_the_user_set_wins():
    assert _maxsize("matcalc", "sympy", env_value="1234") == "1234"
