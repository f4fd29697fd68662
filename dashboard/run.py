"""`python -m dashboard.run`: the embedded run's old name, kept for habits and scripts.

The embedded run lives in the ops package (ops/run.py); `make run` calls it there.
"""

import sys

from ops.run import main

if __name__ == "__main__":
    sys.exit(main())
