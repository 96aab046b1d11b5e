"""Entry script of the frozen bundle: the same dispatch as ``python -m livepredict``."""

import multiprocessing
import sys

from livepredict.__main__ import main

if __name__ == "__main__":
    # A frozen program must handle the child side of the ``spawn`` start method itself (DESIGN §1:
    # never fork after TensorFlow is imported, spawn instead).
    multiprocessing.freeze_support()
    sys.exit(main())
