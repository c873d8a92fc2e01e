"""yibao-rules: China's medical-security poverty-alleviation rules as code."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("yibao-rules")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
