import sys; sys.path.insert(0, "/tmp/distract")
from exp import *
qf = sys.argv[2] if len(sys.argv) > 2 else "evals/data/dev_questions.jsonl"
seed = Cache(Path(sys.argv[1]) / "seed_only/index", [qf])
corp = Cache(Path(sys.argv[1]) / "seed_+_PolNeAR/index", [qf])
configs = {"default": {}}
for fu in ("minmax", "rrf", "zscore"):
    for w in (0.0, 0.3, 0.5, 0.7):
        for depth in (30, 100, 200):
            configs[f"{fu} w={w} d={depth}"] = dict(fusion=fu, w=w, depth=depth)
for g in (0.25, 0.5, 0.75):
    for kind in ("max", "top2", "top3", "top5"):
        configs[f"doc {kind} g={g}"] = dict(doc=(kind, g))
for k1, b in ((1.2, 0.75), (0.9, 0.4), (1.5, 0.75), (1.2, 0.3), (2.0, 0.75)):
    configs[f"bm25 k1={k1} b={b}"] = dict(bm25=(k1, b))
for name, cfg in configs.items():
    s1, s3, _ = evaluate(seed, cfg); c1, c3, _ = evaluate(corp, cfg)
    print(f"{name:28s} seed {s1}/{s3}  corpus {c1}/{c3}  drop@3 {s3-c3}", flush=True)
