import json, sys
from pathlib import Path
from evals.datasets import has_answer
from index.disk import read_index
from index.search.modes import Plan, Reorder, CASCADE_DEPTH, CASCADE_GATE
from service import wiring
from service.settings import Settings
work = Path(sys.argv[1]); depths = [int(x) for x in sys.argv[2].split(",")]
qf = sys.argv[3] if len(sys.argv) > 3 else "evals/data/dev_questions.jsonl"
rows = [json.loads(l) for l in open(qf) if l.strip()]
def plans():
    for d in depths:
        yield f"late d={d}", Plan(f"late{d}", "", reorder=(Reorder("late-interaction", depth=d),))
        yield f"cascade d={d}", Plan(f"cascade{d}", "", reorder=(Reorder("late-interaction", depth=d), Reorder("cross-encoder", depth=CASCADE_DEPTH, weight=0.8, gate=CASCADE_GATE)))
for name in ("seed_only", "seed_+_PolNeAR"):
    s = Settings(models_dir=Path("/work/main/var/models"), index_dir=work / name / "index", late_model="answerai-colbert-small-v1", reranker="ms-marco-MiniLM-L-12-v2")
    index = read_index(s.index_dir); se = wiring.searcher(index, wiring.encoder(s), s, warm=False)
    recall = {d: 0 for d in depths}
    for row in rows:
        r = se.search(row["question"], k=max(depths), mode="hybrid")
        found = [has_answer(h.passage.text, tuple(row["answers"])) for h in r.hits]
        for d in depths: recall[d] += any(found[:d])
    print(name, "hybrid answer within top D:", recall, flush=True)
    for label, plan in plans():
        h1 = h3 = 0; lost = []
        for row in rows:
            r = se.search(row["question"], k=5, mode=plan)
            found = [has_answer(h.passage.text, tuple(row["answers"])) for h in r.hits]
            h1 += any(found[:1]); h3 += any(found[:3])
            if not any(found[:3]): lost.append(row["id"])
        print(f"  {name} {label}: Hit@1 {h1} Hit@3 {h3}  misses@3 {lost}", flush=True)
