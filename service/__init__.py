"""sayso HTTP API and command line: a thin edge over the index library."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sayso")  # the one place it is set: pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
