import sys; sys.path.insert(0, "/tmp/distract")
from exp import *
qf = sys.argv[2] if len(sys.argv) > 2 else "evals/data/dev_questions.jsonl"
seed = Cache(Path(sys.argv[1]) / "seed_only/index", [qf]); add_doc_signals(seed)
corp = Cache(Path(sys.argv[1]) / "seed_+_PolNeAR/index", [qf]); add_doc_signals(corp)
configs = {"default": {}}
for fu in ("minmax", "zscore"):
  for g in (0.25, 0.5, 1.0):
    configs[f"{fu} cent g={g}"] = dict(fusion=fu, docsig=(("cent", g),))
    configs[f"{fu} bm25doc g={g}"] = dict(fusion=fu, docsig=(("bm25", g),))
    configs[f"{fu} both g={g}"] = dict(fusion=fu, docsig=(("cent", g), ("bm25", g)))
for name, cfg in configs.items():
    s1, s3, _ = evaluate2(seed, cfg); c1, c3, _ = evaluate2(corp, cfg)
    print(f"{name:28s} seed {s1}/{s3}  corpus {c1}/{c3}  drop@3 {s3-c3}", flush=True)
