"""Dump every mode's rankings on the seed questions, to check that a change keeps results.

    PYTHONPATH=<checkout> python bench/rankings.py INDEX_DIR OUT.json

Runs each mode (the second model and cross-encoder from `make install-quality`) on
evals/data/dev_questions.jsonl and heldout_questions.jsonl with k=10 and writes, per
question, the passages with their scores, score components, highlights and quote ids, and
the ranked quotes. Two checkouts over the same index should write byte-identical files
when a change is meant to keep behaviour (`cmp a.json b.json`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from index.disk import read_index
from service import wiring
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MODES = ("hybrid", "dense", "lexical", "quality", "ensemble", "rerank", "rescore")


def main(index_dir: Path, out: Path) -> None:
    settings = Settings(
        index_dir=index_dir,
        second_model="bge-small-en-v1.5",
        reranker="ms-marco-MiniLM-L-12-v2",
    )
    encoder = wiring.encoder(settings)
    index = read_index(index_dir)
    searchers = {
        "bge": wiring.searcher(index, encoder, settings),
        "mpnet": wiring.searcher(
            index, encoder, settings.model_copy(update={"second_model": "all-mpnet-base-v2"})
        ),
    }
    questions = [
        json.loads(line)["question"]
        for name in ("dev_questions.jsonl", "heldout_questions.jsonl")
        for line in (ROOT / "evals" / "data" / name).read_text().splitlines()
        if line.strip()
    ]
    rows: dict[str, list[object]] = {}
    for mode in MODES:
        searcher = searchers["mpnet" if mode == "rescore" else "bge"]
        rows[mode] = []
        for question in questions:
            result = searcher.search(question, k=10, mode=mode)
            hits = [
                [
                    h.passage.id,
                    round(h.score, 6),
                    {key: round(value, 5) for key, value in h.scores.items()},
                    [list(span) for span in h.highlights],
                    list(h.quote_ids),
                ]
                for h in result.hits
            ]
            rows[mode].append([*hits, [q.quote.id for q in result.quotes]])
    out.write_text(json.dumps(rows))
    print(f"{len(questions)} questions x {len(MODES)} modes -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
