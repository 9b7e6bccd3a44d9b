"""Dev-set parity: Hit@1, Hit@3, MRR@10 of the embedded default vs Qdrant (local mode), and
of Milvus Lite's native BM25 vs bm25s, on evals/data/dev_questions.jsonl (real model).

Usage: python bench/parity.py [--index DIR]   (builds the seed index there if missing)
A passage is relevant when it contains one of the question's answer strings.
Not run by `make test` (tests/index/stores/test_stores.py asserts the Qdrant parity in the model tier).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def metrics(ranked: list[list[str]], questions: list[dict[str, object]]) -> dict[str, float]:
    hit1 = hit3 = mrr = 0.0
    for texts, row in zip(ranked, questions, strict=True):
        answers = [str(a).lower() for a in row["answers"]]  # type: ignore[attr-defined]
        first = next(
            (n for n, t in enumerate(texts[:10], 1) if any(a in t.lower() for a in answers)), None
        )
        if first:
            hit1, hit3, mrr = hit1 + (first == 1), hit3 + (first <= 3), mrr + 1 / first
    n = len(questions)
    return {"hit@1": round(hit1 / n, 3), "hit@3": round(hit3 / n, 3), "mrr@10": round(mrr / n, 3)}


def milvus_bm25(index: object, questions: list[dict[str, object]]) -> list[list[str]]:
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    client = MilvusClient(tempfile.mkdtemp(dir="/work/var-dist") + "/parity.db")
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=128)
    analyzer = {
        "tokenizer": "standard",
        "filter": [
            "lowercase",
            {"type": "stop", "stop_words": ["_english_"]},
            {"type": "stemmer", "language": "english"},
        ],
    }
    schema.add_field(
        "text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=analyzer
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["text"],
            output_field_names=["sparse"],
        )
    )
    params = client.prepare_index_params()
    params.add_index(
        "sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": 1.2, "bm25_b": 0.75},
    )
    client.create_collection("parity", schema=schema, index_params=params)
    passages = index.passages  # type: ignore[attr-defined]
    client.insert("parity", [{"id": p.id, "text": p.text} for p in passages])
    texts = {p.id: p.text for p in passages}
    out = []
    for row in questions:
        found = client.search("parity", data=[str(row["question"])], anns_field="sparse", limit=10)
        out.append([texts[h["id"]] for h in found[0]])
    client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("/tmp/sayso-bench-index"))
    args = parser.parse_args()
    from index.build import update_index
    from index.disk import BuildSettings
    from index.documents import load_documents
    from index.models.encoder import SentenceTransformerEncoder
    from index.search.modes import MODES
    from service import wiring
    from service.settings import Settings

    encoder = SentenceTransformerEncoder()
    index = update_index(args.index, load_documents(ROOT / "seeds"), BuildSettings(), encoder)
    questions = [
        json.loads(line)
        for line in (ROOT / "evals/data/dev_questions.jsonl").read_text().splitlines()
    ]
    searchers = {
        name: wiring.searcher(index, encoder, Settings(**config), sync=True)
        for name, config in {
            "faiss": {"index_dir": args.index},
            "qdrant": {"index_dir": args.index, "store": "qdrant", "store_location": ":memory:"},
        }.items()
    }
    print(f"{len(questions)} questions, {len(index.passages)} passages")
    print(
        "| store | mode | Hit@1 | Hit@3 | MRR@10 | same top-10 as faiss |\n|---|---|---|---|---|---|"
    )
    runs: dict[tuple[str, str], list[list[str]]] = {}
    for mode in MODES:
        for name, searcher in searchers.items():
            runs[name, mode] = [
                [h.passage.text for h in searcher.search(str(q["question"]), k=10, mode=mode).hits]
                for q in questions
            ]
            same = sum(a == b for a, b in zip(runs[name, mode], runs["faiss", mode], strict=True))
            m = metrics(runs[name, mode], questions)
            print(
                f"| {name} | {mode} | {m['hit@1']} | {m['hit@3']} | {m['mrr@10']} | {same}/{len(questions)} |"
            )
    milvus = milvus_bm25(index, questions)
    same = sum(a == b for a, b in zip(milvus, runs["faiss", "lexical"], strict=True))
    m = metrics(milvus, questions)
    print(
        f"| milvus-lite BM25 | lexical | {m['hit@1']} | {m['hit@3']} | {m['mrr@10']} | {same}/{len(questions)} |"
    )


if __name__ == "__main__":
    main()
