"""The garbage collector's settings that the web and worker processes take once loaded."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import pytest

from portal.core.collector import YOUNG_COLLECTION_EVERY, settle_collector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def restored_collector():
    """Put the test process's collector back as it was."""
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_settling_freezes_what_is_loaded_and_makes_young_collections_rarer(restored_collector):
    gc.unfreeze()
    settle_collector()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, 10, 10)


def test_each_gunicorn_worker_settles_its_collector_once_the_app_is_loaded(restored_collector):
    gc.set_threshold(700, 10, 10)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    settings["post_worker_init"](None)
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY
