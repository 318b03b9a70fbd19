"""The garbage collector's settings for a long-running process (web or worker), once loaded.

Two costs are cut. Every full collection walks every object still alive, and most of them
(modules, SQLAlchemy's mappers, Jinja's compiled templates) live as long as the process:
gc.freeze() moves them out of its reach. And a week of 300 events allocates some 100,000
objects (ORM rows, layout, template strings) that are nearly all freed when the request ends,
not by the collector: at Python's default of one young collection per 700 allocations, that
request ran ~140 collections and the older generations' with them (bench.week_view's p95 fell
from 34 to 25 ms when they were made rarer). Garbage in reference cycles waits a little longer
to be freed; the young generation is still collected every 10,000 allocations.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 10_000
# The older generations keep Python's defaults: collected after 10 collections of the one below.
OLDER_GENERATIONS = (10, 10)


def settle_collector() -> None:
    """Freeze what start-up loaded out of the collector's reach; collect young ones less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *OLDER_GENERATIONS)
