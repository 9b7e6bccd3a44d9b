import json, sys
from pathlib import Path
from evals.datasets import has_answer
from index.disk import read_index
from service import wiring
from service.settings import Settings
work = Path(sys.argv[1]); modes = sys.argv[2].split(","); qf = sys.argv[3] if len(sys.argv) > 3 else "evals/data/dev_questions.jsonl"
rows = [json.loads(l) for l in Path(qf).read_text().splitlines() if l.strip()]
res = {}
for name in ("seed_only", "seed_+_PolNeAR"):
    s = Settings(models_dir=Path("/work/main/var/models"), index_dir=work / name / "index", late_model="answerai-colbert-small-v1", reranker="ms-marco-MiniLM-L-12-v2")
    index = read_index(s.index_dir)
    se = wiring.searcher(index, wiring.encoder(s), s, warm=False)
    for mode in modes:
        for row in rows:
            r = se.search(row["question"], k=5, mode=mode)
            found = [has_answer(h.passage.text, tuple(row["answers"])) for h in r.hits]
            rank = next((i + 1 for i, f in enumerate(found) if f), None)
            res[(name, mode, row["id"])] = (rank, [h.passage.doc_id[:18] for h in r.hits[:3]])
for mode in modes:
    print("==", mode)
    for row in rows:
        a = res[("seed_only", mode, row["id"])]; b = res[("seed_+_PolNeAR", mode, row["id"])]
        if (a[0] or 9) != (b[0] or 9):
            print(f"  {row['id']} seed rank {a[0]} corpus rank {b[0]}  corpus top3 {b[1]}")
