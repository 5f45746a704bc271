"""annotate: a terminal tool for building claim-verification datasets."""

__version__ = "0.1.0"
"""The tool's version (pyproject.toml reads it from here)."""
