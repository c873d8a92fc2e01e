"""Where the policies, schemas, examples and release record are: the checkout the package runs from, else its shipped copy."""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# A wheel or sdist install carries policies/, schema/ and examples/ here (setup.py copies them at build time).
SHIPPED_DATA = PACKAGE_DIR / "data"
DATA_NAMES = ("policies", "schema", "examples")
RELEASES_FILE = "releases.txt"


def checkout_root() -> Path | None:
    """The repository root when the package runs from a checkout (editable install or source tree), else None."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "policies").is_dir() and (root / "schema").is_dir():
        return root
    return None


def data_dir(name: str) -> Path:
    """The folder `name` (policies, schema or examples): the checkout's own when there is one, else the shipped copy."""
    if name not in DATA_NAMES:
        raise ValueError(f"unknown data folder {name!r}")
    root = checkout_root()
    return root / name if root is not None else SHIPPED_DATA / name


def repo_root() -> Path:
    """The checkout for git-based commands (release-check, diff, --ref); the package folder's parent when installed."""
    return checkout_root() or PACKAGE_DIR.parent
