"""Python's cycle collector, moved to the GUI thread.

The collector runs in whichever thread happens to allocate when a threshold
is crossed: the labelling, training or camera worker.  If the garbage then
holds Qt objects (a closed window's widgets, say), Qt destroys them outside
the thread that owns them and the app can crash with no Python traceback.
pyqtgraph's collector turns automatic collection off and collects from a
timer in the GUI thread instead.
"""

from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

_collector: GarbageCollector | None = None


def collect_in_gui_thread(interval_s: float = 1.0) -> None:
    """Start the GUI-thread collector once per process (call from the GUI thread)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=interval_s)
