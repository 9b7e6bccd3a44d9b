import json, sys
from pathlib import Path
from evals.datasets import has_answer
from index.disk import read_index
from index.search.second import embedded_texts
from service import wiring
from service.settings import Settings
work = Path(sys.argv[1]); ids = sys.argv[2].split(",")
rows = [json.loads(l) for l in open("evals/data/dev_questions.jsonl") if l.strip()]
s = Settings(models_dir=Path("/work/main/var/models"), index_dir=work / "seed_+_PolNeAR/index", late_model="answerai-colbert-small-v1", reranker="ms-marco-MiniLM-L-12-v2")
index = read_index(s.index_dir); se = wiring.searcher(index, wiring.encoder(s), s, warm=False)
texts = dict(zip([p.id for p in index.passages], embedded_texts(index)))
for row in rows:
    if row["id"] not in ids: continue
    res = se.search(row["question"], k=100, mode="hybrid")
    cands = [h.passage for h in res.hits]
    ans = [p for p in index.passages if has_answer(p.text, tuple(row["answers"]))]
    pool = {p.id: p for p in cands + ans}
    tok = se.late.encoder.encode_query(row["question"])
    ms = se.late.scores_for(tok, [texts[i] for i in pool])
    ce = se.reranker.scorer.score(row["question"], [texts[i] for i in pool])
    def rank(sc):
        r = sorted(zip(pool.values(), sc), key=lambda x: -x[1]); return next(i + 1 for i, (p, _) in enumerate(r) if has_answer(p.text, tuple(row["answers"])))
    hr = next((i + 1 for i, p in enumerate(cands) if has_answer(p.text, tuple(row["answers"]))), None)
    print(f"{row['id']}: hybrid rank {hr}; among hybrid top100 (+answer): ColBERT rank {rank(ms)}, cross-encoder rank {rank(ce)}")
