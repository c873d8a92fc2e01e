"""Read-ahead: the next chunk is read and checked in a background thread while the current one is settled, in order."""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterator

_ITEM, _DONE, _ERROR = 0, 1, 2


class ReadAhead:
    """make(note)'s items from a background thread, at most `depth` ahead; progress and errors reach the consumer at their item."""

    def __init__(self, make: Callable[[Callable[[float], None]], Iterator[Any]], progress: Callable[[float], None] | None = None,
                 depth: int = 1) -> None:
        self.progress = progress
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(make,), name="yibao-read-ahead", daemon=True)
        self._thread.start()

    def _work(self, make: Callable[[Callable[[float], None]], Iterator[Any]]) -> None:
        frac: list[float | None] = [None]

        def note(f: float) -> None:
            frac[0] = f

        try:
            for item in make(note):
                if not self._put((_ITEM, item, frac[0])):
                    return
            self._put((_DONE, None, frac[0]))
        except BaseException as e:  # handed to the consumer, which raises it where the reading stopped
            self._put((_ERROR, e, frac[0]))

    def _put(self, entry: tuple) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Any]:
        try:
            while True:
                kind, value, frac = self._queue.get()
                if frac is not None and self.progress is not None:
                    self.progress(frac)
                if kind == _ITEM:
                    yield value
                elif kind == _ERROR:
                    raise value
                else:
                    return
        finally:
            self.close()

    def close(self) -> None:
        """Stop the reading thread and wait for it (an item it is reading is finished and dropped)."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()
