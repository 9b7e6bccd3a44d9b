"""The `sayso` command line (heavy imports happen inside the commands)."""

from service.cli.main import app, main

__all__ = ["app", "main"]
