import sys; sys.path.insert(0, "/tmp/distract")
from exp import *
corp = Cache(Path(sys.argv[1]) / "seed_+_PolNeAR/index", ["evals/data/dev_questions.jsonl"]); add_doc_signals(corp)
seed_doc = corp.docid["china-daily-new-quality-productive-forces"]
rc = []; rb = []
for i, row in enumerate(corp.rows):
    a = int((corp.doc_cos[i] > corp.doc_cos[i][seed_doc]).sum()) + 1
    b = int((corp.doc_bm25[i] > corp.doc_bm25[i][seed_doc]).sum()) + 1
    rc.append(a); rb.append(b)
    if row["id"] in ("dev-005","dev-007","dev-008","dev-017","dev-021","dev-028","dev-036"): print(row["id"], "centroid rank", a, "docBM25 rank", b)
import collections
print("centroid rank dist", collections.Counter(rc)); print("docbm25 rank dist", collections.Counter(rb))
