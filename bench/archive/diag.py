"""Per-question diagnosis: seed-only vs seed+distractors, hybrid components."""
from __future__ import annotations
import json, sys
from pathlib import Path
import numpy as np
from evals.datasets import has_answer
from index.disk import read_index
from index.retrieval.fusion import get_fuser, scale_minmax
from index.retrieval.units import best_unit_ranking
from index.search.second import embedded_texts
from index.stores.embedded import EmbeddedStore
from service import wiring
from service.settings import Settings

work = Path(sys.argv[1])
qfile = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("evals/data/dev_questions.jsonl")
rows = [json.loads(l) for l in qfile.read_text().splitlines() if l.strip()]
settings = Settings(models_dir=Path("/work/main/var/models"))
enc = wiring.encoder(settings)

def analyse(index, store, q, answers, depth=100, w=0.7, weights=(1.0, 1.0)):
    vec = enc.encode([q])[0]
    lex_all = index.lexical.scores(q)
    dense = store._dense(vec, depth, None)
    lexical = store._lexical(lex_all, depth, None)
    keys = sorted(set(dense) | set(lexical))
    passage, best = store._units(np.array(keys, dtype=np.int64), vec)
    mixed = best_unit_ranking(keys, passage, best, w, depth)
    fused = get_fuser("minmax")([mixed, lexical], weights)
    order = sorted(fused, key=lambda r: (-fused[r], r))
    def rank_of(d, r):
        o = sorted(d, key=lambda x: (-d[x], x)); return o.index(r) + 1 if r in d else None
    dn = dict(zip(mixed, scale_minmax(np.array(list(mixed.values())))))
    ln = dict(zip(lexical, scale_minmax(np.array(list(lexical.values()))))) if lexical else {}
    pc = dict(zip(keys, passage)); bu = dict(zip(keys, best))
    info = {}
    for r in order[:max(5, 0)] + [r for r in order if has_answer(index.passages[r].text, answers)][:2]:
        p = index.passages[r]
        info[r] = dict(doc=p.doc_id[:30], ans=has_answer(p.text, answers), fused_rank=order.index(r)+1,
            fused=round(fused[r],3), cos=round(float(pc.get(r, np.nan)),3), unit=round(float(bu.get(r, np.nan)),3),
            mixed=round(mixed.get(r, np.nan),3), mixed_rank=rank_of(mixed, r), mixed_norm=round(float(dn.get(r,0)),3),
            bm25=round(float(lex_all[r]),2), bm25_rank=rank_of(lexical, r), bm25_norm=round(float(ln.get(r,0)),3))
    extra = dict(dense_min=round(min(mixed.values()),3), dense_max=round(max(mixed.values()),3),
                 bm25_min=round(min(lexical.values()),2) if lexical else None, bm25_max=round(max(lexical.values()),2) if lexical else None,
                 nbm25=len(lexical), tokens=index.lexical.tokenize([q])[0])
    return order, info, extra

idx = {}
for name in ("seed_only", "seed_+_PolNeAR"):
    index = read_index(work / name / "index")
    idx[name] = (index, EmbeddedStore(index))
lost = []
for row in rows:
    res = {}
    for name, (index, store) in idx.items():
        order, info, extra = analyse(index, store, row["question"], tuple(row["answers"]))
        r3 = any(has_answer(index.passages[r].text, tuple(row["answers"])) for r in order[:3])
        r1 = any(has_answer(index.passages[r].text, tuple(row["answers"])) for r in order[:1])
        res[name] = (r1, r3, info, extra)
    (a1, a3, _, _), (b1, b3, info, extra) = res["seed_only"], res["seed_+_PolNeAR"]
    flag = ("LOST@3" if a3 and not b3 else "") + (" LOST@1" if a1 and not b1 else "") + (" GAIN@3" if b3 and not a3 else "") + (" GAIN@1" if b1 and not a1 else "")
    if flag:
        print(f"\n### {row['id']} {flag}: {row['question']}  answers={row['answers']}")
        print("seed-only extra:", res["seed_only"][3])
        for r, d in res["seed_only"][2].items():
            if d["ans"] or d["fused_rank"] <= 1: print("  seed", r, d)
        print("corpus extra:", extra)
        for r, d in info.items(): print("  corp", r, d)
