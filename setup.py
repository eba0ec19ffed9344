"""Packages of the wheel: ``matcalc`` and its subpackages, and the identity catalogue.

The catalogue stays a top-level folder of the repository (``identities/``, data that a
reader opens first) and ships inside the package as ``matcalc.identities``, read with
``importlib.resources``. pyproject.toml cannot map a folder under another package name
while also discovering the subpackages, hence these few lines; everything else is there.
"""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["matcalc", "matcalc.*"]) + ["matcalc.identities"],
      package_dir={"matcalc.identities": "identities"})
