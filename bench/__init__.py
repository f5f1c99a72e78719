"""Benchmarks of routekeeper against its peers; `python -m bench [--quick]` writes bench/results/.

The checkout's own `src` goes first on the path: the suite measures this tree, even when some other
routekeeper is installed in the environment.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
