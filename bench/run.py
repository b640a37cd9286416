"""`python bench/run.py [--sizes 1000,5000,10000] [--runs N] [--quick] ...`: see bench/benchmark.py and --help."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `policypack` (the offline check's pack driver) and `bench` from the repo root

from bench.benchmark import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
