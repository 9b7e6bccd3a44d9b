"""Does batching pay, and is it exact? CPU per question alone vs in batches of 8 (not a test).

For each encoder variant (int8 default, fp32): the dev questions in groups of 8, each group
encoded one question per call and as one call, CPU time (`time.process_time`) per question,
medians over --reps; and how far a question's vector in a batch is from its vector alone
(min cosine, max absolute difference).

    python bench/batching.py [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from service.cli.common import load_encoder
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    path = ROOT / "evals" / "data" / "dev_questions.jsonl"
    qs = [json.loads(line)["question"] for line in path.read_text().splitlines() if line]
    groups = [qs[i : i + 8] for i in range(0, len(qs) - len(qs) % 8, 8)]
    print("| encoder | CPU ms/question alone | in batches of 8 | ratio | min cos | max abs |")
    print("| --- | --- | --- | --- | --- | --- |")
    for variant in ("onnx-int8", "onnx"):
        encoder = load_encoder(Settings(encoder=variant))
        encoder.encode(["warm up"])
        alone_ms, batch_ms = [], []
        for _ in range(args.reps):
            for group in groups:
                began = time.process_time()
                for q in group:
                    encoder.encode([q])
                alone_ms.append((time.process_time() - began) * 1000 / len(group))
                began = time.process_time()
                encoder.encode(group)
                batch_ms.append((time.process_time() - began) * 1000 / len(group))
        alone = np.vstack([encoder.encode([q]) for group in groups for q in group])
        batched = np.vstack([encoder.encode(group) for group in groups])
        a, b = statistics.median(alone_ms), statistics.median(batch_ms)
        cos = float((alone * batched).sum(axis=1).min())
        diff = float(np.abs(alone - batched).max())
        print(f"| {variant} | {a:.2f} | {b:.2f} | {b / a:.2f} | {cos:.7f} | {diff:.2g} |")


if __name__ == "__main__":
    main()
