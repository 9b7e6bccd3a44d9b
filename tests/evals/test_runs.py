"""Runs: passage-to-document aggregation, strictly decreasing scores, and the TREC run format."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.metrics import per_query
from evals.runs import ranking, read_run, run_paths, write_run


def test_ranking_keeps_best_passage_per_document_and_cuts_at_k() -> None:
    ranked = ranking([("a", 0.9), ("b", 0.8), ("a", 0.7), ("c", 0.6), ("d", 0.5)], k=3)
    assert [doc for doc, _ in ranked] == ["a", "b", "c"]
    assert ranked[0] == ("a", 0.9)


def test_ties_become_strictly_decreasing_in_system_order() -> None:
    ranked = ranking([("z", 0.5), ("a", 0.5), ("m", 0.5)])
    scores = [score for _, score in ranked]
    assert [doc for doc, _ in ranked] == ["z", "a", "m"]
    assert scores[0] == 0.5 and scores[0] > scores[1] > scores[2]
    assert scores[2] == pytest.approx(0.5)


@pytest.mark.parametrize("first", ["a", "z"])
def test_tied_scores_keep_the_system_order_in_the_evaluator(first: str) -> None:
    """pytrec_eval compares scores as float32 and breaks ties by document id: a tie lowered
    by one float64 ulp must still rank second whatever the ids are."""
    ranked = ranking([(first, 1.0), ("b", 1.0), ("c", 0.5)])
    scores = per_query({"q": {"b": 1}}, {"q": ranked}, ["nDCG@10", "RR@10"])["q"]
    assert scores["RR@10"] == pytest.approx(0.5)
    assert scores["nDCG@10"] == pytest.approx(0.6309, abs=1e-4)


def test_run_file_format_round_trips(tmp_path: Path) -> None:
    run = {"q1": ranking([("d1", 2.5), ("d2", 1.25)]), "q2": ranking([("d3", 0.1)])}
    path = tmp_path / "out" / "run.trec"
    write_run(path, run, tag="sayso-dense")
    lines = path.read_text().splitlines()
    assert lines == [
        "q1 Q0 d1 1 2.5 sayso-dense",
        "q1 Q0 d2 2 1.25 sayso-dense",
        "q2 Q0 d3 1 0.1 sayso-dense",
    ]
    assert read_run(path) == run


def test_run_file_rejects_spaces(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="spaces"):
        write_run(tmp_path / "r", {"q 1": (("d", 1.0),)}, tag="t")
    with pytest.raises(ValueError, match="one word"):
        write_run(tmp_path / "r", {"q1": (("d", 1.0),)}, tag="two words")


def test_run_paths_one_file_per_mode() -> None:
    assert run_paths(Path("r.trec"), ["dense"]) == {"dense": Path("r.trec")}
    assert run_paths(Path("out/r.trec"), ["dense", "lexical"]) == {
        "dense": Path("out/r.dense.trec"),
        "lexical": Path("out/r.lexical.trec"),
    }
    assert run_paths(Path("{mode}.run"), ["hybrid"]) == {"hybrid": Path("hybrid.run")}
