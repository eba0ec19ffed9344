"""Files shipped inside the package: the identity catalogue.

The catalogue lives in the repository's top-level ``identities/`` folder and is installed
as the package ``matcalc.identities`` (``setup.py`` maps the folder; ``pyproject.toml``
ships its ``*.toml`` files as package data), so ``matcalc verify`` with no path works in
an installed wheel and in an editable install alike, from any folder.
"""
from importlib import resources
from pathlib import Path

from .errors import CatalogueError

__all__ = ["catalogue_path"]


def catalogue_path():
    """The folder of the bundled identity catalogue (a directory on the file system)."""
    try:
        folder = resources.files("matcalc.identities")
    except ModuleNotFoundError:  # pragma: no cover - a broken installation
        raise CatalogueError("the bundled catalogue (matcalc.identities) is not installed; "
                             "reinstall sympy-matcalc or pass a catalogue path") from None
    if not isinstance(folder, Path):  # pragma: no cover - e.g. a zipped installation
        raise CatalogueError(f"the bundled catalogue is not a folder on the file system "
                             f"({folder}); pass a catalogue path instead")
    return folder
