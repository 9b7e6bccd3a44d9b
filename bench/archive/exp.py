"""Fusion/unit/doc-signal experiments over kept indexes, replicating EmbeddedStore.search."""
from __future__ import annotations
import json, sys, itertools
from pathlib import Path
import numpy as np
from evals.datasets import has_answer
from index.disk import read_index
from index.retrieval.fusion import get_fuser
from index.retrieval.lexical import top_k, tokenizer
from index.retrieval.units import best_unit_ranking
from index.search.second import embedded_texts
from index.stores.embedded import EmbeddedStore
from service import wiring
from service.settings import Settings

settings = Settings(models_dir=Path("/work/main/var/models"))
enc = wiring.encoder(settings)

def bm25_matrix(texts, k1, b):
    import bm25s
    split = tokenizer("english", "en")
    r = bm25s.BM25(k1=k1, b=b, method="lucene")
    r.index([row or ["\u2205"] for row in split(texts)], show_progress=False)
    return r, split

class Cache:
    def __init__(self, path, qfiles):
        self.index = read_index(path)
        self.store = EmbeddedStore(self.index)
        self.rows = [json.loads(l) for f in qfiles for l in Path(f).read_text().splitlines() if l.strip()]
        self.vecs = enc.encode([r["question"] for r in self.rows])
        self.vecs = np.array([enc.encode([r["question"]])[0] for r in self.rows])  # one at a time, as search does
        n = len(self.index.passages)
        allr = np.arange(n, dtype=np.int64)
        self.cos = []; self.unit = []
        for v in self.vecs:
            c, u = self.store._units(allr, v)
            self.cos.append(c); self.unit.append(u)
        self.lex = {"default": [self.index.lexical.scores(r["question"]) for r in self.rows]}
        self.ans = [np.array([has_answer(p.text, tuple(r["answers"])) for p in self.index.passages]) for r in self.rows]
        self.doc = np.array([hash(p.doc_id) for p in self.index.passages])
        self.docid = {}
        self.docidx = np.array([self.docid.setdefault(p.doc_id, len(self.docid)) for p in self.index.passages])
        self.texts = None
    def lexvariant(self, k1, b):
        key = f"{k1},{b}"
        if key not in self.lex:
            if self.texts is None: self.texts = embedded_texts(self.index)
            r, split = bm25_matrix(self.texts, k1, b)
            out = []
            for row in self.rows:
                toks = split([row["question"]])[0]
                s = np.zeros(len(self.texts), dtype=np.float32)
                ids = [r.vocab_dict[t] for t in toks if t in r.vocab_dict]
                if ids:
                    s = r.get_scores(toks) if False else None
                out.append(s)
            # simpler: use bm25s get_scores with token strings
            out = [np.asarray(r.get_scores([t for t in split([row["question"]])[0] if t in r.vocab_dict]), dtype=np.float32) for row in self.rows]
            self.lex[key] = out
        return self.lex[key]

def order(c, i, cfg):
    depth = cfg.get("depth", 100); w = cfg.get("w", 0.7)
    lex_all = c.lexvariant(*cfg["bm25"])[i] if "bm25" in cfg else c.lex[cfg.get("lex", "default")][i]
    cos = c.cos[i]
    # dense list: top-depth by passage cosine (exact search)
    drows = np.lexsort((np.arange(len(cos)), -cos))[:depth]
    lrows, lvals = top_k(lex_all, depth)
    lexical = {int(r): float(s) for r, s in zip(lrows, lvals)}
    if cfg.get("lexical_off"): lexical = {}
    keys = sorted(set(int(r) for r in drows) | set(lexical))
    ka = np.array(keys)
    dense = best_unit_ranking(keys, cos[ka], c.unit[i][ka], w, depth) if w else {int(r): float(cos[r]) for r in drows}
    fuse = get_fuser(cfg.get("fusion", "minmax"))
    fused = fuse([dense, lexical], cfg.get("weights", (1.0, 1.0))) if lexical else dict(dense)
    doc = cfg.get("doc")
    if doc:
        kind, g = doc
        cand = np.array(list(fused)); f = np.array([fused[x] for x in cand])
        d = c.docidx[cand]
        if kind == "max":
            best = np.full(d.max() + 1, -np.inf); np.maximum.at(best, d, f)
            ds = best[d]
        elif kind.startswith("top"):
            m = int(kind[3:])
            ds = np.zeros(len(cand))
            per = {}
            for x, dd in zip(f, d): per.setdefault(dd, []).append(x)
            agg = {dd: sum(sorted(v, reverse=True)[:m]) / m for dd, v in per.items()}
            ds = np.array([agg[dd] for dd in d])
        f = (1 - g) * f + g * ds
        fused = dict(zip(cand.tolist(), f.tolist()))
    return sorted(fused, key=lambda r: (-fused[r], r))

def evaluate(c, cfg, ids=None):
    h1 = h3 = 0; per = []
    for i in range(len(c.rows)):
        o = order(c, i, cfg)
        a = c.ans[i]
        r1 = bool(a[o[:1]].any()); r3 = bool(a[o[:3]].any())
        h1 += r1; h3 += r3; per.append((r1, r3))
    return h1, h3, per

def add_doc_signals(c):
    """Per question: each document's centroid cosine and whole-document BM25."""
    import bm25s
    idx = c.index
    ndoc = len(c.docid)
    V = idx.dense.vectors()
    cent = np.zeros((ndoc, V.shape[1]))
    np.add.at(cent, c.docidx, V)
    cent /= np.linalg.norm(cent, axis=1, keepdims=True)
    c.doc_cos = [cent @ v for v in c.vecs]
    texts = embedded_texts(idx)
    doc_texts = [""] * ndoc
    for t, d in zip(texts, c.docidx): doc_texts[d] += "\n\n" + t
    split = tokenizer("english", "en")
    r = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    r.index([row or ["\u2205"] for row in split(doc_texts)], show_progress=False)
    c.doc_bm25 = [np.asarray(r.get_scores([t for t in split([row["question"]])[0] if t in r.vocab_dict]), dtype=np.float64) if any(t in r.vocab_dict for t in split([row["question"]])[0]) else np.zeros(ndoc) for row in c.rows]
    # title cosine
    c.title_cos = None

def order2(c, i, cfg):
    """order() plus document-level lists joined into the fusion."""
    base = dict(cfg); extra = base.pop("docsig", ())
    depth = cfg.get("depth", 100); w = cfg.get("w", 0.7)
    lex_all = c.lex["default"][i]; cos = c.cos[i]
    drows = np.lexsort((np.arange(len(cos)), -cos))[:depth]
    lrows, lvals = top_k(lex_all, depth)
    lexical = {int(r): float(s) for r, s in zip(lrows, lvals)}
    keys = sorted(set(int(r) for r in drows) | set(lexical))
    ka = np.array(keys)
    dense = best_unit_ranking(keys, cos[ka], c.unit[i][ka], w, depth) if w else {int(r): float(cos[r]) for r in drows}
    rankings = [dense, lexical]; weights = list(cfg.get("weights", (1.0, 1.0)))
    cand = sorted(set(dense) | set(lexical))
    for kind, g in extra:
        src = c.doc_cos[i] if kind == "cent" else c.doc_bm25[i]
        rankings.append({r: float(src[c.docidx[r]]) for r in cand}); weights.append(g)
    fused = get_fuser(cfg.get("fusion", "minmax"))(rankings, weights)
    return sorted(fused, key=lambda r: (-fused[r], r))

def evaluate2(c, cfg):
    h1 = h3 = 0; per = []
    for i in range(len(c.rows)):
        o = order2(c, i, cfg); a = c.ans[i]
        r1 = bool(a[o[:1]].any()); r3 = bool(a[o[:3]].any()); h1 += r1; h3 += r3; per.append((r1, r3))
    return h1, h3, per

WH = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how"}
AUX = WH | {"do", "does", "did", "should", "would", "could", "can", "may", "might", "must", "shall", "has", "have", "had", "were", "been", "being", "am"}
def sk():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    return set(ENGLISH_STOP_WORDS)
import re
def lexq(c, name, words):
    if name in c.lex: return
    lex = c.index.lexical
    from index.retrieval.lexical import TOKEN_PATTERN, _stemmer
    out = []
    for row in c.rows:
        raw = [w for w in TOKEN_PATTERN.findall(row["question"].lower()) if w not in lex.tokenize.stopwords and w not in words]
        toks = _stemmer("english").stemWords(raw) if raw else []
        s = np.zeros(len(lex), dtype=np.float32)
        for t in toks:
            col = lex._vocab.get(t)
            if col is None: continue
            b, e = lex._indptr[col], lex._indptr[col + 1]
            s[lex._indices[b:e]] += lex._data[b:e]
        out.append(s)
    c.lex[name] = out
