"""Package list for setuptools (everything else is in pyproject.toml).

``harness.fixtures`` is the repository's ``fixtures/`` directory (``package_dir``), so the wheel ships the
profiles, gates and push messages as package data while the repository keeps one copy at its root.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["harness", "harness.*", "simulator", "simulator.*"]), "harness.fixtures"],
      package_dir={"harness.fixtures": "fixtures"})
