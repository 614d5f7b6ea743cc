"""`python -m annotate` runs the `flywheel` command."""

from annotate.cli import main

main()
