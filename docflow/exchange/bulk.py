"""Work over hundreds of thousands of cases at once: a case import, an inspection run.

Such work makes millions of short-lived objects (rows, records, events) that form no reference
cycles, and Python's cycle collector would walk every live object of the process each time a
few hundred thousand of them have been made. ``few_collections()`` puts those passes off for the
duration (the collector still runs, about a hundred times less often) and restores the
thresholds after.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_THRESHOLD = 100_000  # allocations between passes over the youngest objects (Python: 700)


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
