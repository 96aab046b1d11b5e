"""A model load runs without cyclic collections; the collector comes back after it."""

from __future__ import annotations

import gc

from livepredict.core import gc_defer


def test_deferred_switches_automatic_collection_off_and_back_on():
    assert gc.isenabled()
    with gc_defer.deferred():
        assert not gc.isenabled()
        with gc_defer.deferred():  # nested (a load inside a load)
            assert not gc.isenabled()
        assert not gc.isenabled()  # still inside the outer one
        assert gc_defer.deferring()
    assert gc.isenabled()
    assert gc_defer.deferring()  # the grace period: the first prediction comes now
    assert not gc_defer.deferring(grace_s=0.0)


def test_deferred_leaves_collection_off_when_it_was_off():
    """The app switches automatic collection off for good (ui.gui_gc): a load must not turn it on."""
    gc.disable()
    try:
        with gc_defer.deferred():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_deferred_restores_collection_when_the_load_fails():
    try:
        with gc_defer.deferred():
            raise ValueError("a corrupt model")
    except ValueError:
        pass
    assert gc.isenabled()
    assert not gc_defer.deferring(grace_s=0.0)


def test_open_model_loads_without_collections(model_files):
    """A real model file: every status line the load says is said with automatic collection off."""
    from livepredict.inference.loader import open_model

    seen: list[bool] = []
    model = open_model(model_files["keras"], status=lambda _msg: seen.append(gc.isenabled()), use_cache=False)
    model.close()
    assert seen and not any(seen)
    assert gc.isenabled()
