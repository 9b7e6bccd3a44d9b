"""Progress of long work: named stages, each reporting (done, total) counts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Called with (items done so far, items in all) as one stage proceeds."""

Stages = Callable[[str], Progress]
"""Called once as a stage begins, with its name ("quotes", "embedding"); returns the
stage's Progress."""


def only_embedding(progress: Progress) -> Stages:
    """Stages for a caller that passed one Progress: it hears the embedding passes only,
    as it did before builds had named stages."""

    def stage(name: str) -> Progress:
        return progress if name.startswith("embedding") else _ignore

    return stage


def _ignore(done: int, total: int) -> None:
    return None


class LogStages:
    """Stages as log lines, for logs that are not a terminal: a line when a stage first
    reports, then its count and percent at most every `every` seconds, then one at its end
    with the seconds it took."""

    def __init__(self, logger: logging.Logger, every: float = 5.0) -> None:
        self._log = logger
        self._every = every

    def __call__(self, name: str) -> Progress:
        started = last = time.monotonic()
        first = True

        def update(done: int, total: int) -> None:
            nonlocal last, first
            now = time.monotonic()
            finished = done >= total
            if not (first or finished or now - last >= self._every):
                return
            percent = 100 * done // total if total else 100
            took = f" in {now - started:.1f}s" if finished else ""
            self._log.info("%s: %d/%d (%d%%)%s", name, done, total, percent, took)
            last, first = now, False

        return update
