"""`python -m service` runs the sayso command line."""

from service.cli import main

main()
