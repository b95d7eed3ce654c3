"""``python -m harness.cli``: the same as the ``wmpf-hil`` console script."""

import sys

from harness.cli import main

sys.exit(main())
