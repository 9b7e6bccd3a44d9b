"""The `sayso eval` commands: retrieval evaluation (`sayso eval DATA`) and `sayso eval quotes`."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from service.cli import common as cli
from service.settings import Settings

if TYPE_CHECKING:
    from evals.datasets import Dataset
    from evals.retrieval import Retriever

CORPUS_MAX_WORDS = 2000  # keeps a BEIR abstract whole: one passage per document, as published
DOC_FANOUT = 3  # passages retrieved per wanted document when documents hold several passages
EXIT_REGRESSION = 2


class DefaultCommandGroup(TyperGroup):
    """A group whose first argument, when not a subcommand name, goes to `run`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors click
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Retrieval evaluation: `sayso eval DATA ...` (same as `sayso eval run DATA`) "
    "and quote attribution: `sayso eval quotes`.",
    no_args_is_help=True,
)


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _corpus_index(dataset: Dataset, settings: Settings, root: Path, max_words: int) -> Any:
    """The index of `dataset.documents` under `root`, built unless current (with a bar per
    stage on a terminal, progress lines in the log otherwise)."""
    from index.build import is_current, update_index
    from index.disk import BuildSettings, read_index
    from service import wiring
    from service.logs import configure_logging

    assert dataset.documents is not None
    build = BuildSettings(
        model=settings.model,
        max_words=max_words,
        title_context=True,
        quotes=False,  # quotes do not enter retrieval scores; extraction would dominate
        sentence_scheme=settings.sentence_scheme,
    )
    if is_current(root, dataset.documents, build):
        return read_index(root, model=settings.model), None
    encoder = cli.load_encoder(settings)
    if not sys.stderr.isatty():  # the stages' progress goes to the log
        configure_logging(settings.log_level)
    with cli.progress_stages() as stages:
        index = update_index(
            root,
            dataset.documents,
            build,
            encoder,
            stages=stages,
            workers=wiring.build_workers(settings),
        )
    typer.echo(f"Indexed {index.manifest.passages} passages into {index.path}", err=True)
    return index, encoder


def _local(
    dataset: Dataset, settings: Settings, index_dir: Path | None, max_words: int
) -> tuple[Retriever, dict[str, str] | None, int]:
    """An in-process retriever, the passages judged for a question file, and the fan-out."""
    from evals.retrieval import LocalRetriever
    from service import wiring

    encoder = None
    if dataset.documents is not None:
        root = index_dir or Path("var/eval-index") / dataset.name.split("/")[0]
        loaded, encoder = _corpus_index(dataset, settings, root, max_words)
    else:
        if index_dir is not None:
            settings = settings.model_copy(update={"index_dir": index_dir})
        encoder = cli.load_encoder(settings)
        loaded = cli.ensure_index(settings, encoder)
    encoder = encoder or cli.load_encoder(settings)
    per_doc: dict[str, int] = {}
    for passage in loaded.passages:
        per_doc[passage.doc_id] = per_doc.get(passage.doc_id, 0) + 1
    fanout = min(DOC_FANOUT, max(per_doc.values(), default=1))
    passages = {p.id: p.text for p in loaded.passages} if dataset.kind == "questions" else None
    # The index root the second model's vectors are cached under (None: no second model).
    searcher = wiring.searcher(
        loaded,
        encoder,
        settings,
        sync=True,
        root=loaded.path.parent.parent,
        warm="now" if dataset.documents is None else "never",  # a corpus: the heads read
    )
    return LocalRetriever(searcher), passages, fanout


@eval_app.command("run")
def run(
    data: Annotated[
        Path,
        typer.Argument(
            help="A question file (.jsonl), a BEIR directory, or TREC topics (with --qrels)"
        ),
    ],
    mode: Annotated[
        str, typer.Option("--mode", help="Comma-separated modes, evaluated side by side")
    ] = "hybrid",
    k: Annotated[
        Optional[int], typer.Option("--k", min=1, help="Depth ranked (default 100; 50 with --url)")
    ] = None,
    metrics: Annotated[
        Optional[str], typer.Option("--metrics", help="Comma-separated ir_measures names")
    ] = None,
    split: Annotated[str, typer.Option("--split", help="BEIR qrels split")] = "test",
    qrels: Annotated[
        Optional[Path], typer.Option("--qrels", help="TREC qrels (DATA = topics)")
    ] = None,
    corpus: Annotated[
        Optional[Path], typer.Option("--corpus", help="corpus.jsonl for TREC topics (else seeds)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    run_out: Annotated[
        Optional[Path], typer.Option("--run-out", help="Write TREC run file(s) here")
    ] = None,
    report: Annotated[
        Optional[Path], typer.Option("--report", help="Write report.md and metrics.png here")
    ] = None,
    baseline: Annotated[
        Optional[Path], typer.Option("--baseline", help="A saved --json result to compare with")
    ] = None,
    max_drop: Annotated[
        float, typer.Option("--max-drop", help="Allowed fall of a metric before it regresses")
    ] = 0.01,
    alpha: Annotated[
        float, typer.Option("--alpha", help="Significance level of the paired t-test")
    ] = 0.05,
    correction: Annotated[
        str,
        typer.Option(
            "--correction",
            help="Multiple-comparison correction of --baseline's tests: holm (over every "
            "metric and mode compared) or none",
        ),
    ] = "holm",
    run_in: Annotated[
        Optional[Path],
        typer.Option(
            "--run",
            help="Score this TREC run file (one result per tag) instead of retrieving",
        ),
    ] = None,
    identical: Annotated[
        Optional[bool],
        typer.Option(
            "--ignore-identical-ids/--keep-identical-ids",
            help="Leave a query's own id out of its ranking (BEIR's rule; default: on for "
            "datasets whose queries are documents, e.g. ArguAna, Quora)",
            show_default=False,
        ),
    ] = None,
    url: Annotated[
        Optional[str],
        typer.Option("--url", help="Evaluate a running server, e.g. http://host:8000"),
    ] = None,
    index: Annotated[
        Optional[Path],
        typer.Option("--index", help="Index directory (default for a corpus: var/eval-index/NAME)"),
    ] = None,
    max_words: Annotated[
        int, typer.Option("--max-words", min=10, help="Passage word budget for a corpus")
    ] = CORPUS_MAX_WORDS,
    seeds: Annotated[Optional[Path], typer.Option("--seeds", help="[env: SAYSO_SEEDS_DIR]")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="[env: SAYSO_MODEL]")] = None,
) -> None:
    """Evaluate retrieval on DATA in one or more modes; exit 2 on a regression vs --baseline."""
    from evals.comparison import CORRECTIONS, compare
    from evals.datasets import load_dataset, queries_are_documents
    from evals.evaluation import evaluate
    from evals.metrics import DEFAULT_METRICS, parse_metrics
    from evals.retrieval import HttpRetriever, RetrievalError
    from evals.runs import run_paths, write_run
    from index.search.modes import check_mode

    with cli.user_errors():
        try:
            settings = cli.settings_from(seeds_dir=seeds, model=model)
            modes = _split_list(mode)
            if not modes:
                raise cli.UserError("--mode names no mode")
            for name in modes:
                check_mode(name)
            names = _split_list(metrics) if metrics else list(DEFAULT_METRICS)
            parse_metrics(names)
            if correction not in CORRECTIONS:
                raise cli.UserError(f"--correction must be one of: {', '.join(CORRECTIONS)}")
            old = _read_baseline(baseline) if baseline else None
            dataset = load_dataset(data, split=split, qrels=qrels, corpus=corpus)
            ignore = queries_are_documents(dataset) if identical is None else identical
            depth = k or (50 if url else 100)
            if run_in is not None:
                evaluation = _scored_run(dataset, run_in, settings, index, depth, names, ignore)
            else:
                if url:
                    retriever: Retriever = HttpRetriever(url)
                    passages, fanout = None, 1
                else:
                    retriever, passages, fanout = _local(dataset, settings, index, max_words)
                # One more document per query when the query's own may be left out.
                per_query = (depth + (1 if ignore else 0)) * fanout
                with cli.progress_bar("Evaluating") as update:
                    evaluation = evaluate(
                        dataset,
                        retriever,
                        modes,
                        k=depth,
                        metrics=names,
                        passages=passages,
                        passage_k=per_query if dataset.kind != "questions" else depth,
                        progress=update,
                        ignore_identical_ids=ignore,
                    )
            modes = [result.mode for result in evaluation.modes]
        except RetrievalError as exc:
            raise cli.UserError(str(exc)) from None
        payload = evaluation.to_json()
        if run_out:
            for name, path in run_paths(run_out, modes).items():
                result = next(r for r in evaluation.modes if r.mode == name)
                write_run(path, result.run, tag=f"sayso-{name}")
                typer.echo(f"Wrote run {path}", err=True)
        payload["config"]["ignore_identical_ids"] = ignore
        differences = (
            compare(payload, old, max_drop=max_drop, alpha=alpha, correction=correction)
            if old
            else []
        )
        if old:
            payload["comparison"] = {
                "baseline": str(baseline),
                "max_drop": max_drop,
                "alpha": alpha,
                "correction": correction,
                "differences": [d.to_json() for d in differences],
            }
        if report:
            from evals.report import write_report

            typer.echo(f"Wrote report {write_report(evaluation, payload, report)}", err=True)
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_summary(payload)
    regressions = [d for d in differences if d.regression]
    for d in differences:
        if not as_json or d.regression:
            mark = "REGRESSION " if d.regression else ""
            typer.echo(
                f"{mark}{d.mode} {d.metric}: {d.baseline:.4f} -> {d.current:.4f} "
                f"({d.delta:+.4f}, p={d.p_value:.3g}, {correction} p={d.p_adjusted:.3g}, "
                f"n={d.queries})",
                err=as_json,
            )
    if regressions:
        raise typer.Exit(EXIT_REGRESSION)


def _scored_run(
    dataset: Dataset,
    path: Path,
    settings: Settings,
    index_dir: Path | None,
    k: int,
    metrics: list[str],
    ignore: bool,
) -> Any:
    """An external TREC run scored like sayso's own (`--run`); a question file judges the
    passages of the index its run was made on (--index, else SAYSO_INDEX_DIR)."""
    from evals.evaluation import evaluate_runs
    from evals.runs import read_runs
    from index.disk import IndexStoreError, read_index

    try:
        runs = read_runs(path)
    except ValueError as exc:
        raise cli.UserError(str(exc)) from None
    passages = None
    if dataset.kind == "questions":
        root = index_dir or settings.index_dir
        try:
            loaded = read_index(root)
        except IndexStoreError as exc:
            raise cli.UserError(f"--run on a question file needs its index: {exc}") from None
        passages = {p.id: p.text for p in loaded.passages}
    return evaluate_runs(
        dataset,
        runs,
        k=k,
        metrics=metrics,
        passages=passages,
        ignore_identical_ids=ignore,
        source={"run": str(path)},
    )


def _read_baseline(path: Path) -> dict[str, Any]:

    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise cli.UserError(f"cannot read baseline {path}: {exc}") from None
    if not isinstance(loaded, dict) or "per_query" not in loaded:
        raise cli.UserError(f"{path} is not a `sayso eval --json` result")
    return loaded


def _print_summary(payload: dict[str, Any]) -> None:
    config = payload["config"]
    typer.secho(
        f"{config['dataset']}: {config['queries']} queries, {config['unit']}s to depth "
        f"{config['k']}",
        bold=True,
    )
    names = [*config["metrics"], "latency_p50_ms", "latency_p95_ms"]
    typer.echo(f"{'mode':<10}" + "".join(f"{n:>16}" for n in names))
    for name, values in payload["metrics"]["modes"].items():
        cells = "".join(
            f"{values[n]:>16.1f}" if n.startswith("latency") else f"{values[n]:>16.4f}"
            for n in names
        )
        typer.echo(f"{name:<10}{cells}")


@eval_app.command("conversations")
def conversations(
    data: Annotated[
        Path, typer.Option("--data", help="Conversations (.jsonl: messages, answers)")
    ] = Path("evals/data/conversations.jsonl"),
    seeds: Annotated[
        Optional[Path], typer.Option("--seeds", help="Articles to index [env: SAYSO_SEEDS_DIR]")
    ] = None,
    index: Annotated[
        Optional[Path], typer.Option("--index", help="Index directory [env: SAYSO_INDEX_DIR]")
    ] = None,
) -> None:
    """Hit@1 / Hit@3 of each conversation's final turn, under each query-rewriting strategy."""
    from evals.conversations import STRATEGIES, evaluate
    from service import wiring

    with cli.user_errors():
        settings = cli.settings_from(seeds_dir=seeds, index_dir=index)
        try:
            lines = data.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise cli.UserError(f"cannot read {data}: {exc.strerror}") from None
        rows = []
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise cli.UserError(f"{data}:{number}: not JSON ({exc.msg})") from None
        encoder = cli.load_encoder(settings)
        searcher = wiring.searcher(
            cli.ensure_index(settings, encoder), encoder, settings, sync=True
        )
        typer.echo(f"{len(rows)} conversations, final turn, hybrid, k=3")
        typer.echo(f"{'strategy':28} {'Hit@1':>6} {'Hit@3':>6}  misses@1")
        for name, strategy in STRATEGIES.items():
            score = evaluate(searcher, rows, strategy)
            misses = " ".join(m.removeprefix("conv-") for m in score.misses)
            typer.echo(f"{name:28} {score.hit1:6.3f} {score.hit3:6.3f}  {misses}")


@eval_app.command("quotes")
def quotes(
    root: Annotated[
        Optional[Path],
        typer.Option("--root", help="PolNeAR directory (default ../shared/data/polnear)"),
    ] = None,
    split: Annotated[str, typer.Option("--split", help="train or dev")] = "dev",
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="First N articles")] = None,
    exclude: Annotated[
        Optional[list[str]],
        typer.Option("--exclude", metavar="DOC_ID", help="Leave out an article (repeatable)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    agreement: Annotated[
        bool,
        typer.Option(
            "--agreement",
            help="Score PolNeAR's annotators against each other instead (the human reference)",
        ),
    ] = False,
) -> None:
    """Quote-attribution evaluation on PolNeAR (span P/R/F1 and speaker accuracy)."""

    with cli.user_errors():
        try:
            quote_evals = importlib.import_module("evals.quotes")
        except ImportError:
            raise cli.UserError(
                "quote evaluation is not installed in this checkout (evals/quotes.py is missing)"
            ) from None
        default_root = getattr(quote_evals, "default_root", None)
        where = root or (default_root() if default_root else Path("../shared/data/polnear"))
        try:
            if agreement:
                result = quote_evals.evaluate_agreement(where, split)
            else:
                result = quote_evals.evaluate_polnear(where, split, limit, exclude or [])
        except FileNotFoundError as exc:
            raise cli.UserError(str(exc)) from None
    formatter = getattr(quote_evals, "format_report", None)
    if as_json or formatter is None:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        typer.echo(formatter(result))
