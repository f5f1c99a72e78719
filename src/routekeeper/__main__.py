"""`python -m routekeeper`."""

import sys

from routekeeper.cli import main

sys.exit(main())
