import sys; sys.path.insert(0, "/tmp/distract")
from exp import *
qf = sys.argv[2] if len(sys.argv) > 2 else "evals/data/dev_questions.jsonl"
seed = Cache(Path(sys.argv[1]) / "seed_only/index", [qf]); corp = Cache(Path(sys.argv[1]) / "seed_+_PolNeAR/index", [qf])
for c in (seed, corp): lexq(c, "wh", WH)
configs = {"default": {}}
for fu in ("minmax", "zscore", "rrf"):
    for w in (0.0, 0.3, 0.7):
        for depth in (100, 200, 400):
            configs[f"{fu} w={w} d={depth}"] = dict(fusion=fu, w=w, depth=depth)
configs["wh"] = dict(lex="wh")
for k1, b in ((0.9, 0.4), (1.2, 0.3)):
    configs[f"bm25 k1={k1} b={b}"] = dict(bm25=(k1, b))
for name, cfg in configs.items():
    s1, s3, _ = evaluate(seed, cfg); c1, c3, _ = evaluate(corp, cfg)
    print(f"{name:24s} seed {s1}/{s3}  corpus {c1}/{c3}  drop@3 {s3-c3}", flush=True)
