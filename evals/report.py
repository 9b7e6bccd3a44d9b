"""Report: a Markdown summary (a table per mode, worst queries first) and a PNG chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.evaluation import Evaluation
from evals.metrics import mean, per_query

CUTOFFS = (1, 3, 5, 10, 20, 50, 100)
BY_K_METRICS = ("nDCG", "R")
WORST_ROWS = 20


def metrics_by_k(evaluation: Evaluation) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """For each mode and each of nDCG and R: (k, mean value) at the cutoffs up to the depth."""
    cutoffs = [c for c in CUTOFFS if c <= evaluation.k] or [evaluation.k]
    out: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for result in evaluation.modes:
        names = [f"{m}@{c}" for m in BY_K_METRICS for c in cutoffs]
        means = mean(per_query(evaluation.qrels, result.run, names), names)
        out[result.mode] = {m: [(c, means[f"{m}@{c}"]) for c in cutoffs] for m in BY_K_METRICS}
    return out


def _table(metrics: Mapping[str, float]) -> list[str]:
    return ["| metric | value |", "| --- | ---: |"] + [
        f"| {name} | {value:.4f} |"
        if not name.startswith("latency")
        else f"| {name} | {value:.1f} |"
        for name, value in metrics.items()
    ]


def _worst(rows: Sequence[Mapping[str, Any]], metric: str) -> list[str]:
    ordered = sorted(rows, key=lambda row: (row.get(metric, 0.0), row["mode"], row["qid"]))
    lines = [
        f"| qid | mode | {metric} | relevant | top | question |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for row in ordered[:WORST_ROWS]:
        question = str(row["question"]).replace("|", "\\|")
        top = ", ".join(str(t) for t in row["top"])
        lines.append(
            f"| {row['qid']} | {row['mode']} | {row.get(metric, 0.0):.4f} | {row['relevant']} "
            f"| {top} | {question} |"
        )
    return lines


def markdown(evaluation: Evaluation, payload: Mapping[str, Any], chart: str | None) -> str:
    """The report text; `payload` is `evaluation.to_json()`."""
    config = payload["config"]
    first = evaluation.metric_names[0]
    index = payload["index"]
    lines = [
        f"# sayso eval: {config['dataset']}",
        "",
        f"{config['queries']} queries, {config['unit']}s ranked to depth {config['k']}; "
        f"modes: {', '.join(config['modes'])}. "
        f"Index: `{index.get('index_id') or index.get('url', '')}`.",
        "",
    ]
    if chart:
        lines += [f"![metrics by mode and by k]({chart})", ""]
    for result in evaluation.modes:
        lines += [f"## {result.mode}", "", *_table(result.metrics), ""]
    lines += [
        f"## Per query, worst {first} first (up to {WORST_ROWS} rows)",
        "",
        *_worst(payload["per_query"], first),
        "",
    ]
    return "\n".join(lines)


def chart(evaluation: Evaluation, path: Path) -> None:
    """PNG: left, each metric by mode (bars); right, nDCG@k and R@k by k for each mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in evaluation.metric_names]
    modes = [r.mode for r in evaluation.modes]
    fig, (bars, lines) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / max(len(modes), 1)
    for i, result in enumerate(evaluation.modes):
        xs = [j + i * width for j in range(len(names))]
        bars.bar(xs, [result.metrics[n] for n in names], width, label=result.mode)
    bars.set_xticks([j + width * (len(modes) - 1) / 2 for j in range(len(names))], names)
    bars.tick_params(axis="x", rotation=30)
    bars.set_ylim(0, 1)
    bars.set_title("metric by mode")
    bars.legend()
    for mode, series in metrics_by_k(evaluation).items():
        for metric, points in series.items():
            style = "-" if metric == "nDCG" else "--"
            lines.plot(
                [c for c, _ in points],
                [v for _, v in points],
                style,
                marker="o",
                label=f"{metric}@k {mode}",
            )
    lines.set_xscale("log")
    lines.set_xlabel("k")
    lines.set_ylim(0, 1)
    lines.set_title("by k")
    lines.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(evaluation: Evaluation, payload: Mapping[str, Any], directory: Path) -> Path:
    """Write `report.md` and `metrics.png` into `directory`; returns the Markdown path."""
    directory.mkdir(parents=True, exist_ok=True)
    chart(evaluation, directory / "metrics.png")
    path = directory / "report.md"
    path.write_text(markdown(evaluation, payload, "metrics.png"), encoding="utf-8")
    return path
