import sys; sys.path.insert(0, "/tmp/distract")
from exp import *
qf = sys.argv[2] if len(sys.argv) > 2 else "evals/data/dev_questions.jsonl"
out = {}
for name in ("seed_only", "seed_+_PolNeAR"):
    c = Cache(Path(sys.argv[1]) / name / "index", [qf])
    lexq(c, "wh", WH); lexq(c, "aux", AUX); lexq(c, "sk", sk())
    out[name] = c
configs = {"default": {}}
for lx in ("wh", "aux", "sk"):
    configs[f"{lx}"] = dict(lex=lx)
    configs[f"{lx} zscore"] = dict(lex=lx, fusion="zscore")
    configs[f"{lx} w=0.3"] = dict(lex=lx, w=0.3)
    configs[f"{lx} rrf"] = dict(lex=lx, fusion="rrf")
base = None
for name, cfg in configs.items():
    s1, s3, sp = evaluate(out["seed_only"], cfg); c1, c3, cp = evaluate(out["seed_+_PolNeAR"], cfg)
    if base is None: base = (sp, cp)
    ch = [out["seed_only"].rows[i]["id"] + ("+" if cp[i][1] else "-") for i in range(len(cp)) if cp[i][1] != base[1][i][1]]
    print(f"{name:16s} seed {s1}/{s3}  corpus {c1}/{c3}  drop@3 {s3-c3}  corpus@3 changes {ch}", flush=True)
