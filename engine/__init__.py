"""yibao-rules: China's medical-security poverty-alleviation rules as code."""
from __future__ import annotations


def __getattr__(name: str) -> str:
    """`__version__` read from the installed package's metadata when first asked (importlib.metadata costs 30 ms)."""
    if name != "__version__":
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("yibao-rules")
    except PackageNotFoundError:  # running from a source tree that is not installed
        value = "0+unknown"
    globals()["__version__"] = value
    return value
