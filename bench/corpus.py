"""Many documents: the seed article among PolNeAR's 924 train and dev articles.

    python bench/corpus.py [--limit N] [--passes 3] [--models var/models] [--keep DIR]

Builds two indexes with the default settings (int8 MiniLM, quotes, speaker lines): the
seed article alone, and the seed article plus every PolNeAR train and dev article
(../shared/data/polnear; --limit takes the first N, by name, for a quicker look). For
the large one it reports build wall and CPU seconds (this process and its children),
passages per second, index size on disk, resident memory (peak, and after loading the
searcher), in-process search latency p50/p95 (the default mode, k=5, the dev questions, --passes
times each); for both, the dev questions' Hit@1 / Hit@3 (a top passage holding one of the
question's answers). It fails loudly (exit 1) when a passage, sentence or quote of any
document breaks the offset invariant `document.text[start:end] == text`, or when Hit@3
with the distractors falls more than one question below the seed article alone. PolNeAR
text is written to a temporary directory, never committed. Not run by `make test`.
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
    """The seed article plus the PolNeAR train and dev articles, as a seeds directory."""
    seeds = target / "seeds"
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


def build(settings: Settings) -> tuple[Index, float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    index = open_index(settings, None, force=True).index
    return index, time.perf_counter() - wall, cpu_seconds() - cpu


def hits(settings: Settings, index: Index, passes: int) -> dict[str, float]:
    """Hit@1, Hit@3 (questions) and search latency p50/p95 (ms) over the dev questions."""
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    searcher = wiring.searcher(index, wiring.encoder(settings), settings)
    at1 = at3 = 0
    latencies = []
    for row in rows:
        for _ in range(passes):
            start = time.perf_counter()
            result = searcher.search(row["question"], k=5, mode=settings.mode)
            latencies.append(1000 * (time.perf_counter() - start))
        found = [has_answer(h.passage.text, tuple(row["answers"])) for h in result.hits]
        at1 += any(found[:1])
        at3 += any(found[:3])
    latencies.sort()
    return {
        "questions": len(rows),
        "hit@1": at1,
        "hit@3": at3,
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "rss_mb": rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="PolNeAR articles to take (default: all)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--models", type=Path, default=ROOT / "var" / "models")
    parser.add_argument("--keep", type=Path, help="build under this directory and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sayso-corpus-"))
    try:
        report: dict[str, dict[str, float]] = {}
        for name, limit in (("seed only", 0), ("seed + PolNeAR", args.limit)):
            settings = Settings(
                seeds_dir=seeds_dir(work / name.replace(" ", "_"), limit),
                index_dir=work / name.replace(" ", "_") / "index",
                models_dir=args.models,
            )
            index, wall, cpu = build(settings)
            errors = invariant_errors(index)
            if errors:
                sys.exit(f"offset invariant broken ({len(errors)}): {', '.join(errors[:10])}")
            size = sum(f.stat().st_size for f in settings.index_dir.rglob("*") if f.is_file())
            row = {
                "documents": index.manifest.documents,
                "passages": index.manifest.passages,
                "quotes": len(index.quotes),
                "build_wall_s": wall,
                "build_cpu_s": cpu,
                "passages_per_s": index.manifest.passages / wall,
                "index_mb": size / 2**20,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
            report[name] = row | hits(settings, index, args.passes)
            print(json.dumps({name: report[name]}), flush=True)
        table(report)
        seed, corpus = report["seed only"], report["seed + PolNeAR"]
        if corpus["hit@3"] < seed["hit@3"] - 1:
            sys.exit(f"Hit@3 fell from {seed['hit@3']} to {corpus['hit@3']} with distractors")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def table(report: dict[str, dict[str, float]]) -> None:
    columns = list(next(iter(report.values())))
    print("| corpus | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name, row in report.items():
        cells = [f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
