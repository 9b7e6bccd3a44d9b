"""The `sayso` command line: build, ask, serve (heavy imports happen inside commands)."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from service.cli_eval import eval_app
from service.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from index.disk import Index
    from index.models.encoder import Encoder

app = typer.Typer(
    name="sayso",
    help="Question answering over news: passages and the quotes that matter.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(eval_app, name="eval")

SeedsOpt = Annotated[
    Optional[Path], typer.Option("--seeds", help="Articles to index [env: SAYSO_SEEDS_DIR]")
]
IndexOpt = Annotated[
    Optional[Path], typer.Option("--index", help="Index directory [env: SAYSO_INDEX_DIR]")
]
ModelOpt = Annotated[
    Optional[str], typer.Option("--model", help="Embedding model [env: SAYSO_MODEL]")
]


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
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        typer.secho(f"error: {where}: {first['msg']}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except (UserError, DocumentError, IndexStoreError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def load_encoder(settings: Settings) -> Encoder:
    return settings.make_encoder()


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


def ensure_index(
    settings: Settings,
    encoder: Encoder | None = None,
    *,
    force: bool = False,
    repair: bool | None = None,
    reset: bool = False,
) -> Index:
    """The live index, (re)built first when missing, stale or `force`d (see service.indexing)."""
    return _ensure(settings, encoder, force=force, repair=repair, reset=reset)[0]


def _ensure(
    settings: Settings,
    encoder: Encoder | None,
    *,
    force: bool = False,
    repair: bool | None = None,
    reset: bool = False,
) -> tuple[Index, bool]:
    from service.indexing import open_index

    with progress_bar("Embedding") as update:
        opened = open_index(
            settings,
            encoder or _PendingEncoder(settings),
            force=force,
            repair=repair,
            reset=reset,
            progress=update,
        )
    if opened.built:
        index = opened.index
        typer.echo(
            f"Indexed {index.manifest.documents} document(s), {index.manifest.passages} "
            f"passages into {index.path}",
            err=True,
        )
    return opened.index, opened.built


class _PendingEncoder:
    """The configured encoder, loaded on first use, or at once in a background thread
    (`start=True`) so that loading the model overlaps with loading the index."""

    def __init__(self, settings: Settings, *, start: bool = False) -> None:
        self._settings = settings
        self._encoder: Encoder | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if start:
            self._thread = threading.Thread(target=self._load, name="sayso-encoder", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self._encoder = load_encoder(self._settings)
        except BaseException as exc:  # re-raised in the caller's thread by get()
            self._error = exc

    def get(self) -> Encoder:
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


@app.command()
def build(
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset", help="Drop documents added through the API; index exactly the seeds"
        ),
    ] = False,
) -> None:
    """Build the index from the seeds directory (re-embeds only changed documents).

    Documents added through the HTTP API are kept (the index is their only copy) unless
    --reset; a damaged index is rebuilt from the seeds. The selected store (SAYSO_STORE)
    is brought up to date.
    """
    from service.app import open_configured_store

    with user_errors():
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model)
        open_configured_store(ensure_index(settings, repair=True, reset=reset), settings, sync=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to answer")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages to return")] = 5,
    mode: Annotated[
        Optional[str],
        typer.Option(
            "--mode",
            help="hybrid, dense, lexical, quality, rescore or ensemble (the last two need "
            "SAYSO_SECOND_MODEL) or rerank (needs SAYSO_RERANKER) [env: SAYSO_MODE]",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Answer a question in-process (builds the index first if needed)."""
    from index.search.searcher import check_mode, result_rows
    from service.app import searcher_for

    with user_errors():
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model, mode=mode)
        if not question.strip():
            raise UserError("the question is empty")
        check_mode(settings.mode)
        encoder = load_encoder(settings)
        loaded = ensure_index(settings, encoder)
        result = searcher_for(loaded, encoder, settings, sync=True).search(
            question, k=k, mode=settings.mode
        )
    rows = result_rows(result, loaded)
    if as_json:
        payload = {"question": question, "mode": result.mode, "passages": rows}
        typer.echo(
            json.dumps(payload | {"timings_ms": result.timings_ms}, ensure_ascii=False, indent=2)
        )
        return
    for row in rows:
        typer.secho(f"{row['rank']}. {row['id']}  score {row['score']:.4f}", bold=True)
        typer.echo(f"   {row['text']}\n")


@app.command()
def quotes(
    speaker: Annotated[
        Optional[str], typer.Option("--speaker", help="Name, title or organisation contains")
    ] = None,
    doc: Annotated[Optional[str], typer.Option("--doc", help="Only this document id")] = None,
    file: Annotated[
        Optional[Path],
        typer.Option("--file", help="Extract from this text file instead (nothing is stored)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """List the attributed quotes in the index, or extract them from any text file."""
    with user_errors():
        if file is not None:
            found = _file_quotes(file)
        else:
            from index.search.quotes import speaker_filter

            settings = settings_from(seeds_dir=seeds, index_dir=index, model=model)
            loaded = ensure_index(settings)
            found = list(loaded.quotes)
            if speaker is not None:
                names = set(speaker_filter(speaker, (q.speaker for q in found)))
                found = [q for q in found if q.speaker.name in names]
            if doc is not None:
                found = [q for q in found if q.doc_id == doc]
    if as_json:
        typer.echo(
            json.dumps({"quotes": [q.to_json() for q in found]}, ensure_ascii=False, indent=2)
        )
        return
    for quote in found:
        role = ", ".join(part for part in (quote.speaker.title,) if part)
        typer.secho(f"{quote.speaker.name}" + (f" ({role})" if role else ""), bold=True)
        typer.echo(f"   {quote.kind} [{quote.start}:{quote.end}] {quote.cue}: {quote.text}\n")


def _file_quotes(path: Path) -> list[Any]:
    from index.documents import load_text_file
    from index.quotes import extract_quotes

    if not path.is_file():
        raise UserError(f"{path} is not a file")
    document = load_text_file(path)
    return extract_quotes(document.text, doc_id=document.id)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="[env: SAYSO_HOST]")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="[env: SAYSO_PORT]")] = None,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Build the index if missing or stale, then serve the HTTP API."""
    import uvicorn

    from service.app import create_app, searcher_for

    with user_errors():
        settings = settings_from(
            host=host, port=port, seeds_dir=seeds, index_dir=index, model=model
        )
        configure_logging(settings.log_level)
        pending = _PendingEncoder(settings, start=True)
        loaded, built = _ensure(settings, pending)
        searcher = searcher_for(loaded, pending.get(), settings, sync=True)
    typer.echo(f"sayso serving on http://{settings.host}:{settings.port}", err=True)
    # uvicorn finishes in-flight requests on SIGTERM/SIGINT before the process exits.
    uvicorn.run(
        create_app(settings, searcher, startup_builds=int(built)),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,  # replaced by sayso.access: one JSON line per request
    )


def configure_logging(level: str) -> None:
    """Plain lines for the service's own logs; bare JSON lines for the access log."""
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    access = logging.getLogger("sayso.access")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.propagate = False


def main() -> None:
    app()
