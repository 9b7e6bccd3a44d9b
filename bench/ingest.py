"""Build throughput, side by side in one run: this tree, another sayso tree, a bare encode.

    git -C . worktree add --detach /tmp/sayso-main <commit>
    python bench/ingest.py --other /tmp/sayso-main [--repeats 3] [--seeds DIR] \
        [--this-env SAYSO_SENTENCE_SCHEME=pooled]

Without --seeds the corpus is 87 PolNeAR articles (the 84 dev ones and the first 3 of
train, from ../shared/data/polnear) written to a temporary seeds directory (PolNeAR
text is never committed). Each variant runs as its own process, in turn, --repeats
times: `sayso build` from files to a ready index with quotes (fresh index directory,
the ONNX export cached in --models), once with this tree on PYTHONPATH and once with
--other; and a bare sentence-transformers encode of the same passage texts (batch 64).
Reported per variant: medians of wall seconds, CPU seconds of the process and its
children (resource.getrusage), passages per wall second and per CPU second, and the
ratios. Each --this-env adds a variant: this tree with those settings (KEY=VALUE,
several separated by commas). --stages also times each stage on its own in one process per tree
(CPU seconds: parse, quotes, embed passages / sentences / titles, BM25, write; and, where
the tree has `embed_spans`, passages with pooled sentence vectors). Not run by `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared next to the checkout (or next to the worktrees' folder)
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
BUILD = [sys.executable, "-m", "service", "build"]

BARE = """
import json, sys
from sentence_transformers import SentenceTransformer
from index.models.encoder import bundled_model_path
texts = json.load(open(sys.argv[1]))
model = SentenceTransformer(str(bundled_model_path()), device="cpu")
model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
"""

STAGES = """
import json, sys, time
from pathlib import Path
from index.build import _index_of, embed, indexed_text
from index.disk import write_index
from index.documents import load_documents
from index.passages import split_passages
from index.quotes import extract_quotes_batch
from index.quotes.links import speaker_contexts
from service import wiring
from service.settings import Settings

out = {}
def stage(name, fn):
    start = time.process_time()
    value = fn()
    out[name] = round(time.process_time() - start, 2)
    return value
settings = Settings(seeds_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
build = wiring.build_settings(settings)
encoder = wiring.encoder(settings)
docs = sorted(load_documents(settings.seeds_dir), key=lambda d: d.id)
passages = stage("parse", lambda: [
    p for d in docs for p in split_passages(d, max_words=build.max_words, min_words=build.min_words)
])
quotes = stage("quotes", lambda: [
    q for qs in extract_quotes_batch([(d.id, d.text) for d in docs]) for q in qs
])
by_id = {d.id: d for d in docs}
contexts = speaker_contexts(passages, quotes)
texts = [indexed_text(p, by_id, build, contexts) for p in passages]
sentences = [by_id[p.doc_id].text[s:e] for p in passages for s, e in p.sentences]
titles = [d.title for d in docs if d.title.strip()]
vectors = stage("embed passages", lambda: embed(encoder, texts))
sentence_vectors = stage("embed sentences", lambda: embed(encoder, sentences))
title_vectors = stage("embed titles", lambda: embed(encoder, titles))
try:
    from index.build import _text_spans, embed_spans
except ImportError:  # a tree without pooled sentence vectors
    pass
else:
    spans = [_text_spans(p, t) for p, t in zip(passages, texts)]
    stage("embed passages + pooled sentences", lambda: embed_spans(encoder, texts, spans))
index = stage("BM25 + dense", lambda: _index_of(
    docs, passages, vectors, sentence_vectors, title_vectors, build, quotes
))
stage("write", lambda: write_index(Path(sys.argv[2]), index))
print(json.dumps(out))
"""


def polnear_seeds(target: Path) -> Path:
    """87 PolNeAR articles as a seeds directory under `target`."""
    sys.path.insert(0, str(ROOT))
    from evals.polnear import load_split

    articles = load_split(POLNEAR, "dev") + load_split(POLNEAR, "train", limit=3)
    seeds = target / "seeds"
    seeds.mkdir()
    for article in articles:
        (seeds / f"{article.doc_id}.txt").write_text(article.text, encoding="utf-8")
    return seeds


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children) of one run, from the
    directory of the tree on its PYTHONPATH."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    cwd = env["PYTHONPATH"]
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def environment(tree: Path, models: Path) -> dict[str, str]:
    """The SAYSO_*-free environment with `tree` on PYTHONPATH. Run from `tree` too: `python
    -m` and `-c` put the working directory before PYTHONPATH on sys.path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAYSO_")}
    return env | {"PYTHONPATH": str(tree), "SAYSO_MODELS_DIR": str(models)}


def passage_texts(seeds: Path) -> list[str]:
    """The texts this tree's build embeds as passages, without quote extraction (the bare
    encode gets the passages' own text, the speaker lines aside)."""
    from index.documents import load_documents
    from index.passages import split_passages

    return [p.text for d in load_documents(seeds) for p in split_passages(d)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="another sayso tree")
    parser.add_argument("--seeds", type=Path, help="default: 87 PolNeAR articles")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", type=Path, default=ROOT / "var" / "models")
    parser.add_argument("--stages", action="store_true", help="also time each stage alone")
    parser.add_argument(
        "--this-env",
        action="append",
        default=[],
        metavar="KEY=VALUE[,KEY=VALUE]",
        help="another variant: this tree with these SAYSO_* settings",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="sayso-ingest-") as tmp:
        work = Path(tmp)
        seeds = args.seeds or polnear_seeds(work)
        texts = passage_texts(seeds)
        (work / "passages.json").write_text(json.dumps(texts))
        trees = {"this tree": ROOT, "other": args.other.resolve()}
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            name: (
                [*BUILD, "--seeds", str(seeds), "--index", str(work / f"index-{n}")],
                environment(tree, args.models.resolve()),
            )
            for n, (name, tree) in enumerate(trees.items())
        }
        for extra in args.this_env:
            pairs = dict(pair.split("=", 1) for pair in extra.split(","))
            commands[f"this tree ({extra})"] = (
                [*BUILD, "--seeds", str(seeds), "--index", str(work / f"index-{len(commands)}")],
                environment(ROOT, args.models.resolve()) | pairs,
            )
        commands["bare sentence-transformers"] = (
            [sys.executable, "-c", BARE, str(work / "passages.json")],
            environment(ROOT, args.models.resolve()),
        )
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for repeat in range(args.repeats):
            for name, (command, env) in commands.items():
                for index in work.glob("index-*"):
                    subprocess.run(["rm", "-rf", str(index)], check=True)
                runs[name].append(timed(command, env))
                print(json.dumps({"repeat": repeat, name: runs[name][-1]}), flush=True)
        report(runs, len(texts), seeds)
        if args.stages:
            for name, tree in trees.items():
                out = subprocess.run(
                    [sys.executable, "-c", STAGES, str(seeds), str(work / f"stages-{name}")],
                    env=environment(tree, args.models.resolve()),
                    cwd=tree,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                shares = json.loads(out.stdout.strip().splitlines()[-1])
                pooled = "embed passages + pooled sentences"
                total = sum(v for k, v in shares.items() if k != pooled)  # an alternative
                cells = ", ".join(
                    f"{k} {v:.1f} ({100 * v / total:.0f}%)" for k, v in shares.items()
                )
                print(f"stages, {name} (CPU s): {cells}")


def report(runs: dict[str, list[tuple[float, float]]], passages: int, seeds: Path) -> None:
    base_wall = statistics.median(w for w, _ in runs["other"])
    base_cpu = statistics.median(c for _, c in runs["other"])
    print(f"\n{len(list(seeds.iterdir()))} articles, {passages} passages")
    print(
        "| variant | wall s | CPU s | passages/s wall | passages/CPU s | wall vs other | CPU vs other |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, values in runs.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(
            f"| {name} | {wall:.1f} | {cpu:.1f} | {passages / wall:.1f} | {passages / cpu:.1f} "
            f"| {base_wall / wall:.2f}x | {base_cpu / cpu:.2f}x |"
        )


if __name__ == "__main__":
    main()
