import json, sys
from pathlib import Path
import numpy as np
from index.disk import read_index
from index.search.second import embedded_texts
idx = read_index(Path(sys.argv[1]))
texts = embedded_texts(idx)
lex = idx.lexical
cases = {"dev-005":[182,185,184,1115,178],"dev-007": [964, 516, 515,178], "dev-008":[177,191,186,387,179], "dev-017": [1277, 350, 600, 181], "dev-021": [734, 1177, 57, 182], "dev-036": [97, 1171, 371, 186], "dev-023":[450,446,183]}
rows = {json.loads(l)["id"]: json.loads(l) for l in open("evals/data/dev_questions.jsonl")}
for qid, prs in cases.items():
    q = rows[qid]["question"]; toks = lex.tokenize([q])[0]
    print(f"\n## {qid}: {q}")
    for r in prs:
        p = idx.passages[r]; t = texts[r]
        ctx = t[: len(t) - len(p.text)].strip()
        contrib = {}
        for term in dict.fromkeys(toks):
            col = lex._vocab.get(term)
            if col is None: continue
            b, e = lex._indptr[col], lex._indptr[col + 1]
            hit = np.flatnonzero(lex._indices[b:e] == r)
            if len(hit): contrib[term] = round(float(lex._data[b + hit[0]]) * toks.count(term), 2)
        in_ctx = [k for k in contrib if k in set(lex.tokenize([ctx])[0]) and k not in set(lex.tokenize([p.text])[0])]
        print(f"  {r} {p.doc_id[:28]} bm25={sum(contrib.values()):.2f} {contrib} ctx-only={in_ctx} ctx={ctx[:80]!r}")
