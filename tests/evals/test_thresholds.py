"""CI quality floor: hybrid retrieval on the dev questions (real model) vs evals/thresholds.json."""

from __future__ import annotations

import json

import pytest

from evals.datasets import load_questions
from evals.evaluation import evaluate
from evals.retrieval import LocalRetriever
from index.search import Searcher
from tests.conftest import ROOT

THRESHOLDS = json.loads((ROOT / "evals" / "thresholds.json").read_text())


@pytest.mark.model
def test_dev_questions_meet_thresholds(real_searcher: Searcher) -> None:
    floors: dict[str, float] = THRESHOLDS["min"]
    result = evaluate(
        load_questions(ROOT / THRESHOLDS["dataset"]),
        LocalRetriever(real_searcher),
        [THRESHOLDS["mode"]],
        k=THRESHOLDS["k"],
        metrics=list(floors),
        passages={p.id: p.text for p in real_searcher.index.passages},
    )
    measured = result.modes[0].metrics
    below = {name: measured[name] for name, floor in floors.items() if measured[name] < floor}
    assert not below, f"below the thresholds in evals/thresholds.json: {below} (floors {floors})"
