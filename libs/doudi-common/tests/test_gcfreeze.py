"""freeze_startup_objects: what is alive when a process is up leaves the
collector's generations; what is garbage by then is collected first."""

from __future__ import annotations

import gc

from doudi_common.gcfreeze import freeze_startup_objects


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_live_objects_are_frozen_and_garbage_is_not():
    before = gc.get_freeze_count()
    live = [Node() for _ in range(100)]
    garbage = [Node() for _ in range(100)]
    garbage_ids = {id(node) for node in garbage}
    del garbage
    try:
        frozen = freeze_startup_objects()
        assert frozen == gc.get_freeze_count()
        assert frozen >= before + 100
        # the cycles that were garbage were collected before the freeze
        assert not [o for o in gc.get_objects() if id(o) in garbage_ids and isinstance(o, Node)]
        # the live ones sit in the permanent generation: no longer tracked by
        # any generation that a collection walks
        assert not any(o is live[0] for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()  # a test process starts many containers: leave it collectable
    assert any(o is live[0] for o in gc.get_objects(generation=2))
