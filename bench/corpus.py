"""Many documents: the seed article among PolNeAR's 924 train and dev articles.

    python bench/corpus.py [--limit N] [--passes 3] [--models var/models] [--keep DIR [--reuse]]
                           [--modes hybrid,late,cascade]

Builds two indexes with the default settings (int8 MiniLM, quotes, speaker lines): the
seed article alone, and the seed article plus every PolNeAR train and dev article
(../shared/data/polnear; --limit takes the first N, by name, for a quicker look). For
the large one it reports build wall and CPU seconds (this process and its children),
passages per second, index size on disk, resident memory (peak, and after loading the
searcher), in-process search latency p50/p95 (k=5, the dev questions, --passes
times each); for both, the dev questions' Hit@1 / Hit@3 (a top passage holding one of the
question's answers), for each of `--modes` (default: the settings' mode) over the same two
indexes. Modes `rescore` and `ensemble` load bge-small-en-v1.5 unless SAYSO_SECOND_MODEL
names another (and `late` / `cascade` their default models if SAYSO_LATE_MODEL or
SAYSO_RERANKER were emptied); ColBERT token vectors are computed for the passages a
question reads only (the second model embeds every passage once, cached beside the index). Other SAYSO_* variables (SAYSO_FUSION,
SAYSO_UNIT_WEIGHT, ...) apply as everywhere. `--keep DIR --reuse` opens the indexes an
earlier `--keep DIR` run left (rebuilding only what changed) instead of building them anew.
It fails loudly (exit 1) when a passage, sentence or quote of any document breaks the
offset invariant `document.text[start:end] == text`, or when, in any mode, Hit@3 with the
distractors falls more than one question below the seed article alone. PolNeAR text is
written to a temporary directory, never committed. Not run by `make test`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.datasets import has_answer  # noqa: E402
from index.disk import Index  # noqa: E402
from index.search.modes import get_plan  # noqa: E402
from service import wiring  # noqa: E402
from service.indexing import open_index  # noqa: E402
from service.settings import Settings  # noqa: E402

POLNEAR = (
    next(
        (
            p
            for p in (ROOT.parent, ROOT.parent.parent)
            if (p / "shared" / "data" / "polnear").is_dir()
        ),
        ROOT.parent,
    )
    / "shared"
    / "data"
    / "polnear"
)
QUESTIONS = ROOT / "evals" / "data" / "dev_questions.jsonl"
LATE_MODEL = "answerai-colbert-small-v1"
RERANKER = "ms-marco-MiniLM-L-12-v2"
SECOND_MODEL = "bge-small-en-v1.5"


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def seeds_dir(target: Path, limit: int | None) -> Path:
    """The seed article plus the PolNeAR train and dev articles, as a seeds directory
    (made anew: the index build notices what changed by content)."""
    seeds = target / "seeds"
    shutil.rmtree(seeds, ignore_errors=True)
    seeds.mkdir(parents=True)
    for seed in (ROOT / "seeds").iterdir():
        shutil.copy(seed, seeds / seed.name)
    texts = sorted((POLNEAR / "data").glob("*/text/*.txt"))[:limit]
    for path in texts:
        shutil.copy(path, seeds / path.name)
    return seeds


def invariant_errors(index: Index) -> list[str]:
    """Every passage, sentence and quote whose offsets do not slice out its text."""
    errors = []
    for passage in index.passages:
        text = index.documents[passage.doc_id].text
        if text[passage.start : passage.end] != passage.text:
            errors.append(f"passage {passage.id}")
        for start, end in passage.sentences:
            if not passage.start <= start < end <= passage.end:
                errors.append(f"sentence {start}:{end} of {passage.id}")
    for quote in index.quotes:
        if index.documents[quote.doc_id].text[quote.start : quote.end] != quote.text:
            errors.append(f"quote {quote.id}")
    return errors


def build(settings: Settings, reuse: bool) -> tuple[Index, float, float, bool]:
    """The index (built, or with `reuse` opened and updated), wall and CPU seconds, built?"""
    wall, cpu = time.perf_counter(), cpu_seconds()
    opened = open_index(settings, None, force=not reuse)
    return opened.index, time.perf_counter() - wall, cpu_seconds() - cpu, opened.built


def mode_settings(modes: list[str], **fields: object) -> Settings:
    """Settings with the late-interaction model, the cross-encoder and the second model the
    modes need (an explicit SAYSO_LATE_MODEL, SAYSO_RERANKER or SAYSO_SECOND_MODEL wins)."""
    settings = Settings(**fields)  # type: ignore[arg-type]
    plans = [get_plan(mode) for mode in modes]
    extra: dict[str, str] = {}
    if any(plan.needs_late_model for plan in plans) and not settings.late_model:
        extra["late_model"] = LATE_MODEL
    if any(plan.needs_reranker for plan in plans) and not settings.reranker:
        extra["reranker"] = RERANKER
    if any(plan.needs_second_model for plan in plans) and not settings.second_model:
        extra["second_model"] = SECOND_MODEL
    return settings.model_copy(update=extra) if extra else settings


Ranks = dict[str, dict[str, tuple[int | None, list[str]]]]
"""Per mode, per question id: the rank of the first answering passage in the top 5 (None:
none) and the documents of the top 3."""


def hits(
    settings: Settings, index: Index, passes: int, modes: list[str]
) -> tuple[dict[str, dict[str, float]], Ranks]:
    """For each mode: Hit@1, Hit@3 (questions) and search latency p50/p95 (ms) over the dev
    questions, and each question's answer rank."""
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    searcher = wiring.searcher(index, wiring.encoder(settings), settings, warm="never")
    report = {}
    ranks: Ranks = {}
    for mode in modes:
        ranks[mode] = {}
        at1 = at3 = 0
        latencies = []
        for row in rows:
            for _ in range(passes):
                start = time.perf_counter()
                result = searcher.search(row["question"], k=5, mode=mode)
                latencies.append(1000 * (time.perf_counter() - start))
            found = [has_answer(h.passage.text, tuple(row["answers"])) for h in result.hits]
            at1 += any(found[:1])
            at3 += any(found[:3])
            ranks[mode][row["id"]] = (
                found.index(True) + 1 if any(found) else None,
                [h.passage.doc_id for h in result.hits[:3]],
            )
        latencies.sort()
        report[mode] = {
            "questions": len(rows),
            "hit@1": at1,
            "hit@3": at3,
            "p50_ms": statistics.median(latencies),
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "rss_mb": rss_mb(),
        }
    return report, ranks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="PolNeAR articles to take (default: all)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--models", type=Path, default=ROOT / "var" / "models")
    parser.add_argument("--keep", type=Path, help="build under this directory and keep it")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: open the indexes kept there (rebuilding only what changed)",
    )
    parser.add_argument(
        "--modes", help="comma-separated modes to evaluate (default: the settings' mode)"
    )
    args = parser.parse_args()
    if args.reuse and args.keep is None:
        parser.error("--reuse needs --keep DIR")
    modes = args.modes.split(",") if args.modes else [Settings().mode]
    for mode in modes:
        get_plan(mode)  # an unknown name fails before minutes of building
    work = args.keep or Path(tempfile.mkdtemp(prefix="sayso-corpus-"))
    try:
        report: dict[str, dict[str, float]] = {}
        ranks: dict[str, Ranks] = {}
        for name, limit in (("seed only", 0), ("seed + PolNeAR", args.limit)):
            folder = work / name.replace(" ", "_")
            settings = mode_settings(
                modes,
                seeds_dir=seeds_dir(folder, limit),
                index_dir=folder / "index",
                models_dir=args.models,
            )
            index, wall, cpu, built = build(settings, args.reuse)
            errors = invariant_errors(index)
            if errors:
                sys.exit(f"offset invariant broken ({len(errors)}): {', '.join(errors[:10])}")
            size = sum(f.stat().st_size for f in settings.index_dir.rglob("*") if f.is_file())
            row = {
                "documents": index.manifest.documents,
                "passages": index.manifest.passages,
                "quotes": len(index.quotes),
                "built": int(built),
                "build_wall_s": wall,
                "build_cpu_s": cpu,
                "passages_per_s": index.manifest.passages / wall,
                "index_mb": size / 2**20,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
            found, ranks[name] = hits(settings, index, args.passes, modes)
            for mode, numbers in found.items():
                report[f"{name}, {mode}"] = row | numbers
                print(json.dumps({f"{name}, {mode}": report[f"{name}, {mode}"]}), flush=True)
        table(report)
        moved(ranks["seed only"], ranks["seed + PolNeAR"])
        failed = []
        for mode in modes:
            seed, corpus = report[f"seed only, {mode}"], report[f"seed + PolNeAR, {mode}"]
            if corpus["hit@3"] < seed["hit@3"] - 1:
                failed.append(f"{mode}: {seed['hit@3']} to {corpus['hit@3']}")
        if failed:
            sys.exit(f"Hit@3 fell with distractors ({'; '.join(failed)})")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def moved(seed: Ranks, corpus: Ranks) -> None:
    """The questions that cross the Hit@3 line between the two indexes, per mode."""
    for mode, questions in seed.items():
        for qid, (before, _) in questions.items():
            after, top = corpus[mode][qid]
            if (before or 99) <= 3 < (after or 99) or (after or 99) <= 3 < (before or 99):
                print(f"{mode} {qid}: answer rank {before} -> {after}; top 3: {', '.join(top)}")


def table(report: dict[str, dict[str, float]]) -> None:
    columns = list(next(iter(report.values())))
    print("| corpus | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name, row in report.items():
        cells = [f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
