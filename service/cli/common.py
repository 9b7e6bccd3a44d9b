"""What the commands share: settings from flags, one-line user errors, progress, the index."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from service.settings import Settings, describe

if TYPE_CHECKING:
    import numpy as np

    from index.disk import Index
    from index.models.encoder import Encoder
    from index.progress import Stages


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """One BLAS / OpenMP thread per process unless the environment asks for more; effective
    only before numpy loads. A question's matrix products are small, and on a busy machine
    extra threads wait for cores more than they help; concurrent requests still use every
    core (docs/operations.md)."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit code 1."""


def settings_from(**overrides: Any) -> Settings:
    """Settings from SAYSO_* variables, with the flags that were given taking precedence."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


@contextmanager
def user_errors() -> Iterator[None]:
    from pydantic import ValidationError

    from index.disk import IndexStoreError
    from index.documents import DocumentError

    try:
        yield
    except ValidationError as exc:
        typer.secho(f"error: {describe(exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except (UserError, DocumentError, IndexStoreError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def load_encoder(settings: Settings) -> Encoder:
    from service import wiring

    return wiring.encoder(settings)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


@contextmanager
def progress_stages() -> Iterator[Stages]:
    """Stages of a build: one rich bar per stage on a terminal; log lines with counts and
    percent (logger `sayso.build`) when stderr is not a terminal, as in a server's log."""
    from index.progress import LogStages

    if not sys.stderr.isatty():
        yield LogStages(logging.getLogger("sayso.build"))
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as progress:

        def stage(name: str) -> Callable[[int, int], None]:
            task = progress.add_task(name.capitalize(), total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return update

        yield stage


def ensure_index(
    settings: Settings,
    encoder: Encoder | None = None,
    *,
    force: bool = False,
    repair: bool | None = None,
    reset: bool = False,
) -> Index:
    """The live index, (re)built first when missing, stale or `force`d (see service.indexing)."""
    return ensure(settings, encoder, force=force, repair=repair, reset=reset)[0]


def ensure(
    settings: Settings,
    encoder: Encoder | None,
    *,
    force: bool = False,
    repair: bool | None = None,
    reset: bool = False,
) -> tuple[Index, bool]:
    from service.indexing import open_index

    with progress_stages() as stages:
        opened = open_index(
            settings,
            encoder or PendingEncoder(settings),
            force=force,
            repair=repair,
            reset=reset,
            stages=stages,
        )
    if opened.built:
        index = opened.index
        typer.echo(
            f"Indexed {index.manifest.documents} document(s), {index.manifest.passages} "
            f"passages into {index.path}",
            err=True,
        )
    return opened.index, opened.built


class PendingEncoder:
    """The configured encoder, loaded on first use, or at once in a background thread
    (`start=True`) so that loading the model overlaps with loading the index."""

    def __init__(self, settings: Settings, *, start: bool = False) -> None:
        self._settings = settings
        self._encoder: Encoder | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # a build encodes on several threads at once
        if start:
            self._thread = threading.Thread(target=self._load, name="sayso-encoder", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self._encoder = load_encoder(self._settings)
        except BaseException as exc:  # re-raised in the caller's thread by get()
            self._error = exc

    def get(self) -> Encoder:
        with self._lock:
            if self._thread is not None:
                self._thread.join()
                self._thread = None
            elif self._encoder is None and self._error is None:
                self._load()
        if self._error is not None:
            raise self._error
        assert self._encoder is not None
        return self._encoder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.get().encode(texts)

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        from index.models.encoder import encode_spans

        return encode_spans(self.get(), texts, spans)

    def settle(self) -> None:
        """Wait for a background load to end (its errors are dropped): a process that exits
        while native code loads a model in another thread aborts (exit 134)."""
        if self._thread is not None:
            self._thread.join()
