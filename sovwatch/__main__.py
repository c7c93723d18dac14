"""`python -m sovwatch` is the same as the `sovwatch` console script."""

from sovwatch.cli import main

raise SystemExit(main())
