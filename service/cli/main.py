"""The `sayso` command line: build, ask, serve (heavy imports happen inside commands)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from index.search.modes import describe_modes
from service import __version__
from service.cli.common import (
    PendingEncoder,
    UserError,
    ensure,
    ensure_index,
    load_encoder,
    one_blas_thread,
    settings_from,
    user_errors,
)
from service.cli.evals import eval_app
from service.logs import configure_logging

if TYPE_CHECKING:
    pass

app = typer.Typer(
    name="sayso",
    help="Question answering over news: passages and the quotes that matter.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(eval_app, name="eval")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sayso {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """Question answering over news: passages and the quotes that matter."""


SeedsOpt = Annotated[
    Optional[Path], typer.Option("--seeds", help="Articles to index [env: SAYSO_SEEDS_DIR]")
]
IndexOpt = Annotated[
    Optional[Path], typer.Option("--index", help="Index directory [env: SAYSO_INDEX_DIR]")
]
ModelOpt = Annotated[
    Optional[str], typer.Option("--model", help="Embedding model [env: SAYSO_MODEL]")
]


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
    from service import wiring

    with user_errors():
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model)
        if not sys.stderr.isatty():  # the stages' progress goes to the log
            configure_logging(settings.log_level)
        loaded = ensure_index(settings, repair=True, reset=reset)
        wiring.open_store(loaded, settings, sync=True, keep_api=not reset)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to answer")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages to return")] = 5,
    mode: Annotated[
        Optional[str],
        typer.Option(
            "--mode",
            help=f"{describe_modes()} [env: SAYSO_MODE]",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Answer a question in-process (builds the index first if needed)."""
    from index.search import result_rows
    from index.search.modes import check_mode
    from service import wiring

    with user_errors():
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model, mode=mode)
        if not question.strip():
            raise UserError("the question is empty")
        check_mode(settings.mode)
        encoder = load_encoder(settings)
        loaded = ensure_index(settings, encoder)
        searcher = wiring.searcher(loaded, encoder, settings, sync=True, warm="never")
        result = searcher.search(question, k=k, mode=settings.mode)
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


UrlOpt = Annotated[
    Optional[str],
    typer.Option(
        "--url",
        help="A running sayso server (e.g. http://127.0.0.1:8000) instead of the local "
        "index; sends SAYSO_API_KEY as a Bearer token",
    ),
]


@app.command()
def add(
    files: Annotated[
        list[Path], typer.Argument(help="Article files: .txt, .md (one each), .jsonl (one a line)")
    ],
    url: UrlOpt = None,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Add articles, or replace those with the same ids, as one new index version.

    Locally the index directory is updated atomically (a server on it adopts the new
    version on its next request); the articles are kept by later `sayso build`s like
    those added over HTTP. With --url they are sent to the server as one batch.
    """
    from service.cli import archive

    with user_errors():
        documents, origins = archive.read_files(files)
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model)
        if url is not None:
            body = archive.post_documents(url, _key(settings), documents, origins)
            results = [(row["id"], row["status"]) for row in body["results"]]
            archive.report(results, body["index_id"], body["documents"])
            return
        batch = archive.apply_locally(settings, upserts=documents)
        manifest = batch.index.manifest
        archive.report(batch.results, manifest.index_id, manifest.documents)


@app.command()
def rm(
    ids: Annotated[list[str], typer.Argument(help="Document ids to remove")],
    url: UrlOpt = None,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Remove articles: locally as one new index version, or from a server (--url).

    A removed seed article comes back with the next `sayso build` unless its file is
    deleted too.
    """
    from service.cli import archive

    with user_errors():
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model)
        if url is not None:
            body: dict[str, Any] = {}
            for doc_id in ids:
                body = archive.delete_document(url, _key(settings), doc_id)
                typer.echo(f"{body['status']:<10} {doc_id}")
            typer.echo(f"index {body['index_id']}: {body['documents']} document(s)", err=True)
            return
        batch = archive.apply_locally(settings, deletes=ids)
        manifest = batch.index.manifest
        archive.report(batch.results, manifest.index_id, manifest.documents)


def _key(settings: Any) -> str | None:
    """SAYSO_API_KEY as plain text, for the Authorization header."""
    key = settings.api_key
    return None if key is None else str(key.get_secret_value())


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="[env: SAYSO_HOST]")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="[env: SAYSO_PORT]")] = None,
    workers: Annotated[
        Optional[int],
        typer.Option(
            "--workers",
            help="Worker processes on one index; see docs/operations.md [env: SAYSO_WORKERS]",
        ),
    ] = None,
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Build the index if missing or stale, then serve the HTTP API."""
    import uvicorn

    from service import wiring
    from service.app import create_app
    from service.cli.workers import run_workers
    from service.server import uvicorn_options

    flags: dict[str, object] = {"host": host, "port": port, "workers": workers}
    flags |= {"seeds_dir": seeds, "index_dir": index, "model": model}
    pending: PendingEncoder | None = None
    try:
        with user_errors():
            settings = settings_from(**flags)
            configure_logging(settings.log_level)
            local_qdrant = not settings.store_location.startswith(("http://", "https://"))
            if settings.workers > 1 and settings.store == "qdrant" and local_qdrant:
                raise UserError(
                    "SAYSO_STORE=qdrant in local mode admits one process: set "
                    "SAYSO_STORE_LOCATION to a Qdrant server URL, or serve with one worker"
                )
            pending = PendingEncoder(settings, start=True)
            loaded, built = ensure(settings, pending)
            if settings.workers > 1:
                wiring.open_store(loaded, settings, sync=True)  # the workers only read it
                wiring.late_model(settings, index=loaded, warm="now")  # ... and this cache
            else:
                searcher = wiring.searcher(
                    loaded, pending.get(), settings, sync=True, warm="background"
                )
    except BaseException:
        if pending is not None:
            pending.settle()  # refused (a damaged index ...): exit 1, not an abort
        raise
    typer.echo(
        f"sayso serving on http://{settings.host}:{settings.port}"
        + (f" with {settings.workers} workers" if settings.workers > 1 else ""),
        err=True,
    )
    if settings.workers > 1:
        run_workers(settings, flags)
        return
    # uvicorn finishes in-flight requests on SIGTERM/SIGINT before the process exits.
    uvicorn.run(
        create_app(settings, searcher, startup_builds=int(built)),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,  # replaced by sayso.access: one JSON line per request
        **uvicorn_options(settings),
        log_config=None,  # keep sayso's JSON handler (service.logs) for uvicorn's lines
    )


@app.command("mcp")
def mcp_command(
    seeds: SeedsOpt = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Serve the MCP tools over stdio (builds the index first if missing or stale).

    For MCP clients that start a server themselves (Claude Desktop, Cursor, the mcp SDK);
    the same tools are at /mcp on `sayso serve`. Writes are offered when SAYSO_API_KEY
    is set. Logs go to stderr: stdout carries the protocol.
    """
    from service import wiring
    from service.mcp_server import serve_stdio

    with user_errors():
        settings = settings_from(seeds_dir=seeds, index_dir=index, model=model)
        configure_logging(settings.log_level)  # to stderr
        pending = PendingEncoder(settings, start=True)
        loaded, _ = ensure(settings, pending)
        searcher = wiring.searcher(loaded, pending.get(), settings, sync=True, warm="background")
    serve_stdio(settings, searcher)


def main() -> None:
    one_blas_thread()  # before any command imports numpy
    app()
