"""BM25: parity with a textbook Lucene BM25 on a toy corpus, tokenisation, top-k."""

from __future__ import annotations

import math

import numpy as np
import pytest

from index.retrieval.lexical import K1, B, LexicalIndex, tokenize, top_k
from tests.conftest import ROOT

CORPUS = [
    "The central bank raised interest rates to fight inflation.",
    "Inflation fell as energy prices dropped sharply.",
    "The football club signed a new striker.",
    "Banks and bankers welcomed the rate decision of the central bank.",
]


def reference_bm25(corpus: list[list[str]], query: list[str]) -> list[float]:
    """Lucene (>= 8) BM25: idf = ln(1 + (N - df + .5) / (df + .5)) times
    tf / (tf + k1 (1 - b + b |d| / avgdl)); Lucene dropped the constant (k1 + 1) factor."""
    n = len(corpus)
    avgdl = sum(len(d) for d in corpus) / n
    scores = []
    for doc in corpus:
        score = 0.0
        for term in set(query):
            df = sum(term in d for d in corpus)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = doc.count(term)
            score += idf * tf / (tf + K1 * (1 - B + B * len(doc) / avgdl))
        scores.append(score)
    return scores


@pytest.mark.parametrize(
    "query", ["central bank rates", "inflation", "striker football bank", "zebra"]
)
def test_scores_match_reference(query: str) -> None:
    index = LexicalIndex.build(CORPUS)
    expected = reference_bm25(tokenize(CORPUS), tokenize([query])[0])
    assert index.scores(query) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_tokenize_stems_and_drops_stop_words() -> None:
    assert tokenize(["The banks are banking"]) == [["bank", "bank"]]
    assert tokenize(["The banks"], stem="", stopwords="") == [["the", "banks"]]


def test_tokenizer_matches_bm25s() -> None:
    import bm25s

    from tests.conftest import SEEDS

    texts = CORPUS + [p for f in SEEDS.glob("*.txt") for p in f.read_text().split("\n") if p]
    expected = bm25s.tokenize(
        texts,
        stopwords="en",
        stemmer=__import__("Stemmer").Stemmer("english"),
        return_ids=False,
        show_progress=False,
    )
    assert tokenize(texts) == [[t for t in row if t] for row in expected]


def test_loading_needs_neither_bm25s_nor_scipy(tmp_path: object) -> None:
    import subprocess
    import sys
    from pathlib import Path

    LexicalIndex.build(CORPUS).save(Path(str(tmp_path)))
    code = (
        "import sys; from pathlib import Path; from index.retrieval.lexical import LexicalIndex; "
        f"i = LexicalIndex.load(Path({str(tmp_path)!r})); assert i.scores('central bank').any(); "
        "assert 'bm25s' not in sys.modules and 'scipy' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_top_k_keeps_positive_scores_best_first() -> None:
    rows, values = top_k(np.array([0.0, 2.0, 5.0, 2.0, -1.0], dtype=np.float32), 3)
    assert rows.tolist() == [2, 1, 3]
    assert values.tolist() == [5.0, 2.0, 2.0]


def test_save_and_load_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    directory = Path(str(tmp_path))
    index = LexicalIndex.build(CORPUS)
    index.save(directory)
    loaded = LexicalIndex.load(directory)
    assert loaded.scores("central bank") == pytest.approx(index.scores("central bank"))
    assert not list(directory.glob("*.pkl"))


def test_distinct_matches_the_tokenizer() -> None:
    from index.retrieval.lexical import tokenizer

    tok = tokenizer()
    texts = ["The Academy said it’s investing 3.6 trillion yuan, running faster.", "He stressed"]
    assert tok.distinct(texts) == [set(row) for row in tok(texts)]
    plain = tokenizer("", "")
    assert plain.distinct(["Running runs running"]) == [{"running", "runs"}]
