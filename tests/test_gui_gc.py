"""Garbage is collected in the GUI thread, never in a worker (Qt objects must die in their own thread)."""

from __future__ import annotations

import gc
import threading

from fer_desktop.ui.main_window import MainWindow


class _Cycle:
    def __init__(self, died_in: list[str]):
        self.me = self  # only the cycle collector can free it
        self.died_in = died_in

    def __del__(self):
        self.died_in.append(threading.current_thread().name)


def test_cycles_made_by_a_worker_are_collected_by_the_gui_thread(qtbot, engine):
    win = MainWindow(engine, source="15")
    qtbot.addWidget(win)
    assert not gc.isenabled()
    died_in: list[str] = []

    def worker() -> None:
        for _ in range(1000):  # far past the first generation's threshold
            _Cycle(died_in)

    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    thread.join()
    assert died_in == []
    qtbot.waitUntil(lambda: len(died_in) == 1000, timeout=5000)
    assert set(died_in) == {threading.current_thread().name}
    win.close()
