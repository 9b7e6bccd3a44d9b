import json, sys
from pathlib import Path
from evals.datasets import has_answer
from index.disk import read_index
from index.search.second import embedded_texts
from service import wiring
from service.settings import Settings
work = Path(sys.argv[1]); ids = sys.argv[2].split(",")
rows = [json.loads(l) for l in open("evals/data/dev_questions.jsonl") if l.strip()]
s = Settings(models_dir=Path("/work/main/var/models"), index_dir=work / "seed_+_PolNeAR/index", reranker="ms-marco-MiniLM-L-12-v2")
index = read_index(s.index_dir); se = wiring.searcher(index, wiring.encoder(s), s, warm=False)
texts = dict(zip([p.id for p in index.passages], embedded_texts(index)))
ce = se.reranker.scorer
for row in rows:
    if row["id"] not in ids: continue
    res = se.search(row["question"], k=30, mode="hybrid")
    cands = [h.passage for h in res.hits]
    ans = [p for p in index.passages if has_answer(p.text, tuple(row["answers"]))]
    pool = {p.id: p for p in cands + ans}
    sc = ce.score(row["question"], [texts[i] for i in pool])
    ranked = sorted(zip(pool.values(), sc), key=lambda x: -x[1])
    arank = next(i + 1 for i, (p, _) in enumerate(ranked) if has_answer(p.text, tuple(row["answers"])))
    top = [(p.doc_id[:22], round(float(x), 2)) for p, x in ranked[:3]]
    print(f"{row['id']}: answer passage's cross-encoder rank among hybrid top30+answer: {arank}; CE top3 {top}")
