"""The garbage collector's settings for a long-running process (web or worker), once loaded.

Two costs are cut. Every full collection walks every object still alive, and most of them
(modules, SQLAlchemy's mappers, Jinja's compiled templates) live as long as the process:
gc.freeze() moves them out of its reach. And drawing a week of 300 events holds some 8,000
new objects at its peak (ORM rows, layout, template output), freed when the request ends: at
Python's default of a young collection per 700 new objects, each drawing ran 12 young
collections, one of the middle generation, and one request in ten a full one (counted with
gc.callbacks; bench.week_view's p95 was 41-113 ms against a p50 of 27). At 10,000, one
drawing in nine runs a young collection and none an older one. Garbage in reference cycles
waits a little longer to be freed.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 10_000


def settle_collector() -> None:
    """Freeze what start-up loaded out of the collector's reach; collect young ones less often."""
    gc.collect()
    gc.freeze()
    # The older generations keep their settings (each collected after 10 of the one below).
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
