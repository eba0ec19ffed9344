"""The identity catalogue, shipped inside the package as ``matcalc.identities``.

The ``*.toml`` files beside this one are data (see ``matcalc.catalogue``); this file only
makes the folder a package, so that ``importlib.resources`` finds it both in an installed
wheel and in an editable install (``pip install -e .``) of the repository.
"""
