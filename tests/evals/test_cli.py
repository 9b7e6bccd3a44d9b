"""`sayso eval` end to end, in-process with the fake encoder, on a tiny BEIR fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from index.disk import read_index
from service import cli
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
BEIR = FIXTURES / "beir-tiny"
DEV = ROOT / "evals" / "data" / "dev_questions.jsonl"
runner = CliRunner()


def eval_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    result = runner.invoke(cli.app, ["eval", *args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_beir_json_shape_run_file_and_report(env: dict[str, str], tmp_path: Path) -> None:
    index = tmp_path / "beir-index"
    payload = eval_json(
        [str(BEIR), "--mode", "lexical,dense,hybrid", "--k", "5", "--index", str(index),
         "--run-out", str(tmp_path / "run.trec"), "--report", str(tmp_path / "report")],
        env,
    )  # fmt: skip
    metrics = payload["metrics"]
    assert list(metrics["modes"]) == ["lexical", "dense", "hybrid"]
    assert metrics["nDCG@10"] == metrics["modes"]["lexical"]["nDCG@10"]  # first mode on top
    for values in metrics["modes"].values():
        assert {"nDCG@10", "R@100", "RR@10", "Success@1", "latency_p50_ms"} <= set(values)
    # Every query's answer document is lexically obvious: lexical gets each one first.
    assert metrics["modes"]["lexical"]["Success@1"] == 1.0
    assert metrics["modes"]["lexical"]["nDCG@10"] == 1.0
    assert len(payload["per_query"]) == 9  # 3 queries x 3 modes
    row = payload["per_query"][0]
    assert {"qid", "mode", "question", "RR@10", "latency_ms", "relevant", "top"} <= set(row)
    assert payload["index"]["documents"] == 7
    assert payload["index"]["settings"]["title_context"] is True
    assert payload["config"] | {"queries": 3, "unit": "document", "k": 5} == payload["config"]

    lines = (tmp_path / "run.lexical.trec").read_text().splitlines()
    assert lines[0].split()[:4] == ["q1", "Q0", "d1", "1"]
    assert lines[0].split()[5] == "sayso-lexical"
    assert {p.name for p in tmp_path.glob("run.*.trec")} == {
        "run.lexical.trec", "run.dense.trec", "run.hybrid.trec",
    }  # fmt: skip
    report = (tmp_path / "report" / "report.md").read_text()
    assert "## lexical" in report and "## hybrid" in report and "worst nDCG@10 first" in report
    assert (tmp_path / "report" / "metrics.png").read_bytes()[:4] == b"\x89PNG"

    # The index is reused while the corpus and settings are unchanged.
    versions = list((index / "versions").iterdir())
    again = eval_json([str(BEIR), "--mode", "lexical", "--index", str(index)], env)
    assert again["index"]["index_id"] == payload["index"]["index_id"]
    assert list((index / "versions").iterdir()) == versions


def test_run_file_agrees_with_ir_measures(env: dict[str, str], tmp_path: Path) -> None:
    import ir_measures

    run = tmp_path / "dense.run"
    payload = eval_json(
        [str(BEIR), "--mode", "dense", "--k", "3", "--index", str(tmp_path / "i"),
         "--run-out", str(run)],
        env,
    )  # fmt: skip
    rows = (BEIR / "qrels" / "test.tsv").read_text().splitlines()[1:]
    trec_qrels = tmp_path / "qrels.txt"
    trec_qrels.write_text("".join(f"{q} 0 {d} {g}\n" for q, d, g in (r.split() for r in rows)))
    qrels = list(ir_measures.read_trec_qrels(str(trec_qrels)))
    theirs = ir_measures.calc_aggregate(
        [ir_measures.nDCG @ 10, ir_measures.RR @ 10],
        qrels,
        list(ir_measures.read_trec_run(str(run))),
    )
    assert round(theirs[ir_measures.nDCG @ 10], 3) == round(payload["metrics"]["nDCG@10"], 3)
    assert round(theirs[ir_measures.RR @ 10], 3) == round(payload["metrics"]["RR@10"], 3)


def test_baseline_regression_exits_non_zero(env: dict[str, str], tmp_path: Path) -> None:
    index = ["--index", str(tmp_path / "i"), "--mode", "lexical"]
    baseline = eval_json([str(BEIR), *index], env)
    same = tmp_path / "same.json"
    same.write_text(json.dumps(baseline))
    ok = runner.invoke(cli.app, ["eval", str(BEIR), *index, "--baseline", str(same)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "lexical RR@10: 1.0000 -> 1.0000" in ok.output
    # A baseline scoring 1.5 on every query: the current run (1.0) fell by a third.
    worse = json.loads(json.dumps(baseline))
    for row in worse["per_query"]:
        row["nDCG@10"] = 1.5
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(worse))
    result = runner.invoke(cli.app, ["eval", str(BEIR), *index, "--baseline", str(path)], env=env)
    assert result.exit_code == 2, result.output
    assert "REGRESSION lexical nDCG@10" in result.output


def test_question_file_over_seeds(env: dict[str, str]) -> None:
    payload = eval_json(
        [str(DEV), "--mode", "hybrid,lexical", "--metrics", "Hit@1,Hit@3,MRR@10"], env
    )
    assert payload["config"]["unit"] == "passage"
    assert payload["config"]["metrics"] == ["Success@1", "Success@3", "RR@10"]
    hybrid = payload["metrics"]["modes"]["hybrid"]
    assert 0.3 < hybrid["Success@3"] <= 1.0
    assert hybrid["Success@1"] <= hybrid["Success@3"]
    assert all(row["relevant"] >= 1 for row in payload["per_query"])  # every answer is indexed


def test_readable_output_lists_every_mode(env: dict[str, str]) -> None:
    index = str(Path(env["SAYSO_INDEX_DIR"]) / "b")
    args = ["eval", "run", str(BEIR), "--mode", "dense,lexical", "--index", index]
    result = runner.invoke(cli.app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "beir-tiny/test: 3 queries" in result.stdout
    assert "\ndense " in result.stdout and "\nlexical " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([str(BEIR), "--mode", "bogus"], "unknown mode 'bogus'"),
        ([str(BEIR), "--metrics", "Bogus@3"], "unknown metric 'Bogus@3'"),
        ([str(BEIR), "--split", "dev"], "dev.tsv does not exist"),
        (["/no/such/questions.jsonl"], "does not exist"),
        ([str(DEV), "--url", "http://127.0.0.1:9"], "cannot reach http://127.0.0.1:9"),
        ([str(DEV), "--baseline", "/no/such.json"], "cannot read baseline"),
    ],
)
def test_user_mistakes_are_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    result = runner.invoke(cli.app, ["eval", *args], env=env)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_eval_help_lists_subcommands() -> None:
    result = runner.invoke(cli.app, ["eval", "--help"])
    assert result.exit_code == 0
    assert "quotes" in result.output and "run" in result.output


POLNEAR = ROOT.parent / "shared" / "data" / "polnear"


@pytest.mark.skipif(not (POLNEAR / "data" / "dev").is_dir(), reason="PolNeAR data not found")
def test_eval_quotes_agreement_scores_the_annotators() -> None:
    result = runner.invoke(cli.app, ["eval", "quotes", "--agreement", "--split", "dev"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("PolNeAR dev annotator agreement: ")
    assert "direct@0.3" in result.output and "articles/s" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        [str(DEV), "--mode", "hybrid", "--k", "3", "--json"],
        ["conversations"],
    ],
    ids=["questions", "conversations"],
)
def test_local_evals_honour_the_store_and_encoder_settings(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    """Both evals build their searcher through the wiring: the configured encoder (here the
    weightless fake, which no hard-coded torch model would be) and the configured store (a
    local Qdrant directory that only the qdrant store creates)."""
    location = tmp_path / "qdrant"
    settings = env | {"SAYSO_STORE": "qdrant", "SAYSO_STORE_LOCATION": str(location)}
    result = runner.invoke(cli.app, ["eval", *command], env=settings)
    assert result.exit_code == 0, result.output
    assert location.is_dir() and any(location.iterdir())
    assert read_index(Path(env["SAYSO_INDEX_DIR"])).manifest.model == env["SAYSO_MODEL"]


def test_external_run_scored_like_our_own(env: dict[str, str], tmp_path: Path) -> None:
    index = ["--index", str(tmp_path / "i"), "--k", "5"]
    ours = eval_json(
        [str(BEIR), *index, "--mode", "lexical", "--run-out", str(tmp_path / "r")], env
    )
    theirs = eval_json([str(BEIR), *index, "--run", str(tmp_path / "r")], env)
    assert theirs["config"]["modes"] == ["sayso-lexical"]  # one result per run tag
    for name in ("nDCG@10", "RR@10", "Success@1"):
        assert theirs["metrics"][name] == ours["metrics"][name]
    bad = tmp_path / "bad.run"
    bad.write_text("q1 Q0 d1 1 0.5 tag\nq2 Q0 d3 1 high tag\n")
    result = runner.invoke(cli.app, ["eval", str(BEIR), "--run", str(bad)], env=env)
    assert result.exit_code == 1
    assert "bad.run:2: score 'high' is not a number" in result.output


def test_identical_ids_are_ignored_when_queries_are_documents(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Every query is also a corpus document (as in ArguAna): finding itself is no hit.
    data = tmp_path / "self"
    (data / "qrels").mkdir(parents=True)
    docs = {"a": "solar panels turn sunlight into power", "b": "solar power from panels",
            "c": "tea ceremony", "d": "green tea ceremony in kyoto"}  # fmt: skip
    (data / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in docs.items())
    )
    (data / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": i, "text": docs[i]}) + "\n" for i in ("a", "c"))
    )
    (data / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\na\tb\t1\nc\td\t1\n")
    args = [str(data), "--index", str(tmp_path / "i"), "--mode", "lexical", "--k", "3"]
    auto = eval_json(args, env)
    assert auto["config"]["ignore_identical_ids"] is True
    assert auto["metrics"]["Success@1"] == 1.0  # the other document is first once self is out
    assert all(row["qid"] not in row["top"] for row in auto["per_query"])
    kept = eval_json([*args, "--keep-identical-ids"], env)
    assert kept["config"]["ignore_identical_ids"] is False
    assert kept["metrics"]["Success@1"] == 0.0  # each query finds itself first
