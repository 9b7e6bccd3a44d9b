"""The `sayso` command line: build, ask, serve (heavy imports happen inside commands)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from service.cli_eval import eval_app
from service.settings import Settings

if TYPE_CHECKING:
    from index.dense import Encoder
    from index.store import Index

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

    from index.documents import DocumentError
    from index.store import IndexStoreError

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
    from index.dense import SentenceTransformerEncoder

    return SentenceTransformerEncoder(settings.model)


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
    settings: Settings, encoder: Encoder | None = None, *, force: bool = False
) -> Index:
    """The live index, (re)built first when missing, stale or `force`d."""
    from index.build import is_current, update_index
    from index.documents import load_documents
    from index.store import read_index

    documents = load_documents(settings.seeds_dir)
    build = settings.build_settings()
    if not force and is_current(settings.index_dir, documents, build):
        return read_index(settings.index_dir, model=settings.model)
    encoder = encoder or load_encoder(settings)
    with progress_bar("Embedding") as update:
        index = update_index(settings.index_dir, documents, build, encoder, progress=update)
    typer.echo(
        f"Indexed {index.manifest.documents} document(s), {index.manifest.passages} passages "
        f"into {index.path}",
        err=True,
    )
    return index


@app.command()
def build(seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None) -> None:
    """Build the index from the seeds directory (re-embeds only changed documents)."""
    with user_errors():
        ensure_index(settings_from(seeds_dir=seeds, index_dir=index, model=model))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to answer")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages to return")] = 5,
    mode: Annotated[
        Optional[str], typer.Option("--mode", help="hybrid, dense or lexical [env: SAYSO_MODE]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Answer a question in-process (builds the index first if needed)."""
    from index.search import Searcher, check_mode, result_rows

    with user_errors():
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model, mode=mode)
        if not question.strip():
            raise UserError("the question is empty")
        check_mode(settings.mode)
        encoder = load_encoder(settings)
        loaded = ensure_index(settings, encoder)
        result = Searcher(loaded, encoder, fusion=settings.fusion).search(
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
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="[env: SAYSO_HOST]")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="[env: SAYSO_PORT]")] = None,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Build the index if missing or stale, then serve the HTTP API."""
    import uvicorn

    from index.search import Searcher
    from service.app import create_app

    with user_errors():
        settings = settings_from(
            host=host, port=port, seeds_dir=seeds, index_dir=index, model=model
        )
        logging.basicConfig(
            level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
        )
        encoder = load_encoder(settings)
        searcher = Searcher(ensure_index(settings, encoder), encoder, fusion=settings.fusion)
    typer.echo(f"sayso serving on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(
        create_app(settings, searcher),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
    )


def main() -> None:
    app()
