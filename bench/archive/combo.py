import json, sys
from pathlib import Path
from evals.datasets import has_answer
from index.disk import read_index
from index.search.modes import Plan, Reorder, MODES
from service import wiring
from service.settings import Settings
work = Path(sys.argv[1])
P = {"ensemble": MODES["ensemble"], "cascade": MODES["cascade"],
     "ensemble+cascade": Plan("ec", "", fusion="minmax", weights=(1.0, 1.0), second=1.0, reorder=MODES["cascade"].reorder),
     "ensemble+late": Plan("el", "", fusion="minmax", weights=(1.0, 1.0), second=1.0, reorder=MODES["late"].reorder)}
names = sys.argv[2].split(",") if len(sys.argv) > 2 else ("seed_only", "seed_+_PolNeAR")
for qf in ("evals/data/dev_questions.jsonl", "evals/data/heldout_questions.jsonl"):
  rows = [json.loads(l) for l in open(qf) if l.strip()]
  for name in names:
    s = Settings(models_dir=Path("/work/main/var/models"), index_dir=work / name / "index", late_model="answerai-colbert-small-v1", reranker="ms-marco-MiniLM-L-12-v2", second_model="bge-small-en-v1.5")
    index = read_index(s.index_dir); se = wiring.searcher(index, wiring.encoder(s), s, warm=False)
    for label, plan in P.items():
        h1 = h3 = 0
        for row in rows:
            r = se.search(row["question"], k=5, mode=plan)
            f = [has_answer(h.passage.text, tuple(row["answers"])) for h in r.hits]
            h1 += any(f[:1]); h3 += any(f[:3])
        print(f"{qf.split('/')[-1]:24s} {name:15s} {label:18s} Hit@1 {h1}/{len(rows)} Hit@3 {h3}/{len(rows)}", flush=True)
