import sys; sys.path.insert(0, "/tmp/distract")
from exp import *
qf = sys.argv[2]
cfgs = {"w=0.7 (default)": {}, "w=0.3": dict(w=0.3), "w=0": dict(w=0.0)}
names = ["seed_only", "seed_+_PolNeAR"] if sys.argv[3] == "both" else ["seed_+_PolNeAR"]
for name in names:
    c = Cache(Path(sys.argv[1]) / name / "index", [qf])
    for label, cfg in cfgs.items():
        h1, h3, _ = evaluate(c, cfg)
        print(f"{qf.split('/')[-1]} {sys.argv[1].split('/')[-1]} {name} {label}: {h1}/{h3}", flush=True)
