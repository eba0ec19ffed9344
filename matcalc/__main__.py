"""``python -m matcalc``: the matcalc command line (see ``matcalc.cli``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
