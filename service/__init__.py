"""sayso HTTP API and command line: a thin edge over the index library."""
