"""What start-up with an existing index costs, part by part, in CPU seconds (not a test).

Imports of the serve path, the encoder (ONNX session), reading the index and building the
searcher, and the app, each timed with `time.process_time` (immune to other jobs on a
shared machine) in a fresh process; medians over --runs processes.

    SAYSO_INDEX_DIR=var/index python bench/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = """
import json, os, sys, time
t = time.process_time(); w = time.perf_counter()
marks = {}
def mark(name):
    global t, w
    marks[name] = (time.process_time() - t, time.perf_counter() - w)
    t = time.process_time(); w = time.perf_counter()
import uvicorn
from service import wiring
from service.app import create_app
from service.logs import configure_logging
from index.disk import read_index
from service.settings import Settings
mark("imports")
settings = Settings()
encoder = wiring.encoder(settings)
mark("encoder")
index = read_index(settings.index_dir, model=settings.model)
mark("index")
searcher = wiring.searcher(index, encoder, settings, warm="background")  # as a server
mark("searcher")
create_app(settings, searcher)
mark("app")
print(json.dumps(marks), flush=True)
os._exit(0)  # the cache warms on a daemon thread: do not wait for it, nor abort on it
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", CHILD], check=True, capture_output=True, text=True
            ).stdout.splitlines()[-1]
        )
        for _ in range(args.runs)
    ]
    total = sum(statistics.median(r[k][0] for r in runs) for k in runs[0])
    print(f"| part | CPU s (median of {args.runs}) | share | wall s |")
    print("| --- | --- | --- | --- |")
    for key in runs[0]:
        cpu = statistics.median(r[key][0] for r in runs)
        wall = statistics.median(r[key][1] for r in runs)
        print(f"| {key} | {cpu:.3f} | {cpu / total:.0%} | {wall:.3f} |")
    print(f"| total | {total:.3f} | 100% | |")


if __name__ == "__main__":
    main()
