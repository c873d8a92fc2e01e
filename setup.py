"""Build hook: copy policies/, schema/ and examples/ into the wheel as engine/data/ (they stay at the repository top)."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = ("policies", "schema", "examples")


class BuildWithData(build_py):
    """build_py that also ships the policy set, its schemas and the examples inside the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the checkout itself
        dest = Path(self.build_lib) / "engine" / "data"
        for name in DATA:
            src = HERE / name
            if not src.is_dir():
                raise SystemExit(f"{src} is missing: build from a checkout or from the sdist")
            shutil.copytree(src, dest / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
