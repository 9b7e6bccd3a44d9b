"""Size and growth: build time, memory, query latency and recall at growing corpus sizes.

Usage: python bench/scale.py [--sizes 20000,50000,200000] [--engines flat,hnsw,bm25,qdrant,milvus]
       [--cache /work/var-dist] [--queries 200] [--qdrant-dense-queries 10]
       [--qdrant-hybrid-queries 10] [--milvus-queries 50]

The corpus is synthetic and cached as .npy under --cache: 384-d unit vectors drawn around
2,000 random centres (clustered like sentence embeddings; harder for HNSW than real text,
so recall is a floor), and 80-word passages sampled Zipf-wise from the seed article's
vocabulary, each with a distinct id. Queries are perturbed copies of corpus vectors.
Engines: faiss flat (exact, the embedded default below the threshold), faiss HNSW (above
it; recall@10 against flat), bm25s (the embedded lexical half), Qdrant local mode and
Milvus Lite (dense + BM25: two searches). The slow embedded engines take fewer
queries (their own options); each row records how many it timed, and p99 is the maximum
when fewer than 100 queries ran. Memory is the resident-set growth of this process while
the engine is loaded. All engines run inside this process: Qdrant's local mode, and
Milvus Lite 3.x, a pure-Python reimplementation (numpy/FAISS/pyarrow) served by a gRPC
thread, not the C++ subprocess of Milvus Lite 2.x. The engines' data directories are
temporary and removed afterwards. Prints one JSON line per (engine, size) and a markdown table. Not run by
`make test`.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DIM = 384
WORDS = 80
# CPU seconds of this process (all its threads, Milvus Lite's server included): on a
# machine shared with other jobs, wall time measures the neighbours.
CLOCK = time.process_time


def rss_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def corpus(n: int, cache: Path) -> tuple[np.ndarray, list[str]]:
    vectors_file, texts_file = cache / f"scale-{n}-vectors.npy", cache / f"scale-{n}-texts.json"
    if vectors_file.exists() and texts_file.exists():
        return np.load(vectors_file), json.loads(texts_file.read_text())
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((2000, DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, 2000, n)] + rng.standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    seed = " ".join(p.read_text() for p in (ROOT / "seeds").glob("*.txt"))
    vocab = sorted(set(re.findall(r"[A-Za-z]{3,}", seed)))
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    rng.shuffle(weights)
    words = rng.choice(len(vocab), size=(n, WORDS), p=weights / weights.sum())
    texts = [" ".join(vocab[w] for w in row) for row in words]
    cache.mkdir(parents=True, exist_ok=True)
    np.save(vectors_file, vectors)
    texts_file.write_text(json.dumps(texts))
    return vectors, texts


def queries(vectors: np.ndarray, texts: list[str], count: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(11)
    rows = rng.integers(0, len(vectors), count)
    noisy = (
        vectors[rows]
        + 0.5 * rng.standard_normal((count, DIM)).astype(np.float32) / np.sqrt(DIM) * 4
    )
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    words = [" ".join(texts[r].split()[:4]) for r in rows]
    return noisy.astype(np.float32), words


def timed(calls: list[Callable[[], object]]) -> tuple[float, float]:
    """p50 and p99 in ms over the calls (the first few warm up, untimed).

    Below 100 calls the p99 is the slowest call: an interpolated 99th percentile of a
    handful of samples would extrapolate past the largest.
    """
    for call in calls[:3]:
        call()
    times = []
    for call in calls:
        began = CLOCK()
        call()
        times.append((CLOCK() - began) * 1000)
    p50 = statistics.median(times)
    p99 = statistics.quantiles(times, n=100)[98] if len(times) >= 100 else max(times)
    return round(p50, 2), round(p99, 2)


def bench_faiss(
    kind: str, vectors: np.ndarray, qv: np.ndarray, exact: np.ndarray | None
) -> dict[str, object]:
    from index.retrieval.dense import DenseIndex

    before = rss_mb()
    began = CLOCK()
    index = DenseIndex.from_vectors(vectors, exact_max=len(vectors) if kind == "flat" else 0)
    build = CLOCK() - began
    memory = rss_mb() - before
    p50, p99 = timed([lambda q=q: index.search(q, 100) for q in qv])
    found = np.stack([index.search(q, 10)[0] for q in qv])
    recall = None
    if exact is not None:
        recall = float(
            np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
        )
    return {
        "build_s": round(build, 1),
        "rss_mb": round(memory),
        "p50_ms": p50,
        "p99_ms": p99,
        "recall@10": recall,
        "_top10": found,
    }


def bench_bm25(texts: list[str], words: list[str]) -> dict[str, object]:
    from index.retrieval.lexical import LexicalIndex

    before = rss_mb()
    began = CLOCK()
    lexical = LexicalIndex.build(texts)
    build = CLOCK() - began
    memory = rss_mb() - before
    p50, p99 = timed([lambda w=w: lexical.search(w, 100) for w in words])
    return {"build_s": round(build, 1), "rss_mb": round(memory), "p50_ms": p50, "p99_ms": p99}


def bench_qdrant(
    vectors: np.ndarray,
    texts: list[str],
    qv: np.ndarray,
    words: list[str],
    dense_count: int,
    hybrid_count: int,
) -> dict[str, object]:
    from index.documents import Document
    from index.passages import Passage
    from index.retrieval.fusion import rrf
    from index.stores.model import DocumentRecord, StoreQuery
    from index.stores.qdrant import QdrantStore, connect

    before = rss_mb()
    path = tempfile.mkdtemp(prefix="qdrant-scale-", dir="/work/var-dist")
    store = QdrantStore(connect(path), collection="scale", dimension=DIM, sentence_vectors=False)
    began = CLOCK()
    per_doc = 10
    records = []
    for d in range(0, len(texts), per_doc):
        doc_id = f"d{d // per_doc:07d}"
        text = "\n".join(texts[d : d + per_doc])
        passages, offset = [], 0
        for n, t in enumerate(texts[d : d + per_doc]):
            passages.append(
                Passage(
                    f"{doc_id}:p{n}",
                    doc_id,
                    t,
                    offset,
                    offset + len(t),
                    ((offset, offset + len(t)),),
                )
            )
            offset += len(t) + 1
        records.append(
            DocumentRecord(
                Document(id=doc_id, text=text, title=doc_id),
                tuple(passages),
                vectors[d : d + per_doc],
                np.zeros((0, DIM), np.float32),
                tuple(texts[d : d + per_doc]),
            )
        )
    for begin in range(0, len(records), 2000):
        store.upsert(records[begin : begin + 2000])
    build = CLOCK() - began
    memory = rss_mb() - before
    # Local mode scores sparse vectors by a Python scan of every point: hybrid is slow.
    hybrid_count, dense_count = min(len(qv), hybrid_count), min(len(qv), dense_count)
    calls = [
        lambda q=q, w=w: store.search(StoreQuery(w, q, True, 10, 100, rrf))
        for q, w in zip(qv[:hybrid_count], words[:hybrid_count], strict=True)
    ]
    p50, p99 = timed(calls)
    dense_calls = [
        lambda q=q, w=w: store.search(StoreQuery(w, q, False, 10, 100, rrf))
        for q, w in zip(qv[:dense_count], words[:dense_count], strict=True)
    ]
    dp50, dp99 = timed(dense_calls)
    store.client.close()
    shutil.rmtree(path, ignore_errors=True)
    return {
        "build_s": round(build, 1),
        "rss_mb": round(memory),
        "queries": hybrid_count,
        "p50_ms": p50,
        "p99_ms": p99,
        "dense_queries": dense_count,
        "dense_p50_ms": dp50,
        "dense_p99_ms": dp99,
    }


def bench_milvus(
    vectors: np.ndarray, texts: list[str], qv: np.ndarray, words: list[str], count: int
) -> dict[str, object]:
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    before = rss_mb()
    folder = tempfile.mkdtemp(prefix="milvus-scale-", dir="/work/var-dist")
    client = MilvusClient(folder + "/m.db")
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=64)
    schema.add_field(
        "text",
        DataType.VARCHAR,
        max_length=8192,
        enable_analyzer=True,
        analyzer_params={
            "tokenizer": "standard",
            "filter": ["lowercase", {"type": "stemmer", "language": "english"}],
        },
    )
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=DIM)
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
    params.add_index("dense", index_type="FLAT", metric_type="IP")
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection("scale", schema=schema, index_params=params)
    began = CLOCK()
    for begin in range(0, len(texts), 2000):
        client.insert(
            "scale",
            [
                {
                    "id": f"p{i}",
                    "doc_id": f"d{i // 10}",
                    "text": texts[i],
                    "dense": vectors[i].tolist(),
                }
                for i in range(begin, min(begin + 2000, len(texts)))
            ],
        )
    client.flush("scale")
    client.load_collection("scale")
    build = CLOCK() - began
    memory = rss_mb() - before
    count = min(len(qv), count)

    def hybrid(q: np.ndarray, w: str) -> None:
        client.search(
            "scale", data=[q.tolist()], anns_field="dense", limit=100, output_fields=["doc_id"]
        )
        client.search("scale", data=[w], anns_field="sparse", limit=100, output_fields=["doc_id"])

    p50, p99 = timed(
        [lambda q=q, w=w: hybrid(q, w) for q, w in zip(qv[:count], words[:count], strict=True)]
    )
    client.close()
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "build_s": round(build, 1),
        "rss_mb": round(memory),
        "queries": count,
        "p50_ms": p50,
        "p99_ms": p99,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,50000,200000")
    parser.add_argument("--engines", default="flat,hnsw,bm25,qdrant,milvus")
    parser.add_argument("--cache", type=Path, default=Path("/work/var-dist"))
    parser.add_argument("--queries", type=int, default=200, help="FAISS and bm25s queries")
    parser.add_argument("--qdrant-dense-queries", type=int, default=10)
    parser.add_argument("--qdrant-hybrid-queries", type=int, default=10)
    parser.add_argument("--milvus-queries", type=int, default=50)
    args = parser.parse_args()
    engines = args.engines.split(",")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        vectors, texts = corpus(n, args.cache)
        most = max(
            args.queries, args.qdrant_dense_queries, args.qdrant_hybrid_queries, args.milvus_queries
        )
        qv, words = queries(vectors, texts, most)
        exact = None
        for engine in engines:
            gc.collect()
            if engine in ("flat", "hnsw"):
                result = bench_faiss(engine, vectors, qv[: args.queries], exact)
                top = result.pop("_top10")
                if engine == "flat":
                    exact = top  # type: ignore[assignment]
            elif engine == "bm25":
                result = bench_bm25(texts, words[: args.queries])
            elif engine == "qdrant":
                result = bench_qdrant(
                    vectors, texts, qv, words, args.qdrant_dense_queries, args.qdrant_hybrid_queries
                )
            else:
                result = bench_milvus(vectors, texts, qv, words, args.milvus_queries)
            row = {"engine": engine, "passages": n, "queries": args.queries, **result}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| engine | passages | build s | RSS MB | queries | p50 ms | p99 ms | recall@10 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['engine']} | {row['passages']} | {row['build_s']} | {row['rss_mb']} | "
            f"{row['queries']} | {row['p50_ms']} | {row['p99_ms']} | {row.get('recall@10') or ''} |"
        )
        if "dense_p50_ms" in row:
            print(
                f"| {row['engine']} dense | {row['passages']} | | | {row['dense_queries']} | "
                f"{row['dense_p50_ms']} | {row['dense_p99_ms']} | |"
            )


if __name__ == "__main__":
    main()
