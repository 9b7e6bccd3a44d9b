import json, sys, time
from pathlib import Path
from evals.datasets import has_answer
from index.disk import read_index
from index.search.modes import Plan, Reorder
from service import wiring
from service.settings import Settings
work = Path(sys.argv[1]); qf = sys.argv[2] if len(sys.argv) > 2 else "evals/data/dev_questions.jsonl"
which = sys.argv[3].split(",") if len(sys.argv) > 3 else None
rows = [json.loads(l) for l in open(qf) if l.strip()]
P = {
 "rerank d=10": Plan("r10", "", reorder=(Reorder("cross-encoder", depth=10, weight=0.8),)),
 "rerank d=20": Plan("r20", "", reorder=(Reorder("cross-encoder", depth=20, weight=0.8),)),
 "rerank d=30": Plan("r30", "", reorder=(Reorder("cross-encoder", depth=30, weight=0.8),)),
 "late30 + CE10 always": Plan("c1", "", reorder=(Reorder("late-interaction", depth=30), Reorder("cross-encoder", depth=10, weight=0.8))),
 "late30 + CE10 gate0.2": Plan("c2", "", reorder=(Reorder("late-interaction", depth=30), Reorder("cross-encoder", depth=10, weight=0.8, gate=0.2))),
 "cascade (main)": Plan("c0", "", reorder=(Reorder("late-interaction"), Reorder("cross-encoder", depth=3, weight=0.8, gate=0.2))),
 "late10 + CE10 always": Plan("c3", "", reorder=(Reorder("late-interaction", depth=10), Reorder("cross-encoder", depth=10, weight=0.8))),
}
if which: P = {k: v for k, v in P.items() if k in which}
import os
for name in os.environ.get("INDEXES", "seed_only,seed_+_PolNeAR").split(","):
    s = Settings(models_dir=Path("/work/main/var/models"), index_dir=work / name / "index", late_model="answerai-colbert-small-v1", reranker="ms-marco-MiniLM-L-12-v2")
    index = read_index(s.index_dir); se = wiring.searcher(index, wiring.encoder(s), s, warm=False)
    for label, plan in P.items():
        h1 = h3 = 0; lost = []; t = []
        for row in rows:
            a = time.perf_counter(); r = se.search(row["question"], k=5, mode=plan); t.append(time.perf_counter() - a)
            found = [has_answer(h.passage.text, tuple(row["answers"])) for h in r.hits]
            h1 += any(found[:1]); h3 += any(found[:3])
            if not any(found[:3]): lost.append(row["id"])
        t.sort()
        print(f"  {name} {label}: Hit@1 {h1} Hit@3 {h3}  p50 {1000*t[len(t)//2]:.0f} ms  misses@3 {lost}", flush=True)
