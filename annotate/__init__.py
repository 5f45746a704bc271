"""annotate: a terminal tool for building claim-verification datasets."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("annotate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
