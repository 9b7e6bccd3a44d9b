"""Encoder benchmark: export time, single-question latency and batch throughput per backend."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.models.encoder import Encoder, SentenceTransformerEncoder, bundled_model_path
from index.models.onnx import OnnxEncoder, export_onnx

CORPUS = Path("/work/shared/data/scifact/corpus.jsonl")
QUESTIONS = [
    "Does vitamin D supplementation reduce fracture risk in older adults?",
    "Is smoking during pregnancy associated with low birth weight?",
    "What causes antibiotic resistance in hospital infections?",
    "BRCA1 mutations and ovarian cancer risk",
]


def load_abstracts(path: Path, limit: int) -> list[str]:
    texts = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            texts.append(f"{row.get('title', '')} {row.get('text', '')}".strip())
            if len(texts) >= limit:
                break
    return texts


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def time_encode(encoder: Encoder, texts: list[str]) -> float:
    """Wall-clock seconds for one encode call."""
    start = time.perf_counter()
    encoder.encode(texts)
    return time.perf_counter() - start


def interleaved_latency_ms(
    encoders: dict[str, Encoder], runs: int, warmup: int
) -> dict[str, list[float]]:
    """One-question encode times in ms; backends take turns so a busy machine hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in encoders}
    for i in range(warmup + runs):
        question = QUESTIONS[i % len(QUESTIONS)]
        for name, encoder in encoders.items():
            elapsed = 1000 * time_encode(encoder, [question])
            if i >= warmup:
                samples[name].append(elapsed)
    return samples


def interleaved_rate(
    encoders: dict[str, Encoder], texts: list[str], rounds: int
) -> dict[str, float]:
    """Texts per second, each backend encoding `rounds` slices of `texts` in turn."""
    seconds = dict.fromkeys(encoders, 0.0)
    size = -(-len(texts) // rounds)
    for start in range(0, len(texts), size):
        chunk = texts[start : start + size]
        for name, encoder in encoders.items():
            seconds[name] += time_encode(encoder, chunk)
    return {name: len(texts) / total for name, total in seconds.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[round(q * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1000, help="abstracts for throughput")
    parser.add_argument("--runs", type=int, default=200, help="timed single-question encodes")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    args = parser.parse_args()

    model_dir = bundled_model_path()
    abstracts = load_abstracts(args.corpus, args.docs)
    backends = args.backends.split(",")
    print(f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f} docs={len(abstracts)}")

    with tempfile.TemporaryDirectory() as cache:
        out = Path(cache)
        export_s = {"torch": 0.0, "onnx": timed(lambda: export_onnx(model_dir, out))}
        export_s["onnx-int8"] = timed(lambda: export_onnx(model_dir, out, quantize=True))
        factories: dict[str, Callable[[], Encoder]] = {
            "torch": lambda: SentenceTransformerEncoder(str(model_dir)),
            "onnx": lambda: OnnxEncoder(model_dir, out / "model.onnx"),
            "onnx-int8": lambda: OnnxEncoder(model_dir, out / "model-int8.onnx"),
        }
        encoders = {name: factories[name]() for name in backends}
        for encoder in encoders.values():
            encoder.encode(abstracts[:64])
        print("timing single questions ...", file=sys.stderr, flush=True)
        latencies = interleaved_latency_ms(encoders, args.runs, args.warmup)
        print("timing batch throughput ...", file=sys.stderr, flush=True)
        rates = interleaved_rate(encoders, abstracts, rounds=4)

    print("export s: fp32 = load + torch.onnx.export; int8 = pre-process + quantise only")
    print(f"{'backend':<10} {'export s':>9} {'p50 ms':>8} {'p90 ms':>8} {'docs/s':>8}")
    for name in backends:
        p50 = statistics.median(latencies[name])
        p90 = percentile(latencies[name], 0.9)
        print(f"{name:<10} {export_s[name]:>9.1f} {p50:>8.2f} {p90:>8.2f} {rates[name]:>8.1f}")
    print(f"loadavg at end={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
