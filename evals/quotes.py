"""Quote-attribution evaluation on PolNeAR: span P/R/F1 at two overlaps, speaker accuracy."""

from __future__ import annotations

import argparse
import itertools
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.polnear import Article, Attribution, load_annotators, load_split
from index.quotes import Quote, Speaker, extract_quotes_batch

THRESHOLDS = (0.3, 0.8)
_WORD = re.compile(r"[^\W_]+")
_PRONOUNS = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "him",
        "her",
        "them",
        "his",
        "its",
        "their",
        "i",
        "we",
        "you",
        "who",
    ]
)
_DROP = frozenset(["the", "a", "an", "'s", "s", "mr", "mrs", "ms", "dr", "jr", "sr"])


@dataclass(frozen=True)
class _Pred:
    chars: frozenset[int]
    kind: str
    speaker: str


def overlap(gold: frozenset[int], pred: frozenset[int]) -> float:
    """|gold ∩ pred| / max(|gold|, |pred|) over the positions of letters and digits.

    Symmetric and stricter than the GenderGapTracker score (|gold ∩ pred| / |gold|,
    sfu-discourse-lab/GenderGapTracker NLP/evaluation/src/eval/evaluate_quotes.py):
    an over-long prediction is penalised too. Counting only letters and digits makes
    quote marks, spaces and edge punctuation irrelevant.
    """
    if not gold or not pred:
        return 0.0
    return len(gold & pred) / max(len(gold), len(pred))


def _chars(text: str, spans: Sequence[tuple[int, int]]) -> frozenset[int]:
    return frozenset(i for s, e in spans for i in range(s, e) if text[i].isalnum())


def _tokens(name: str) -> set[str]:
    words = {w.lower() for w in _WORD.findall(name.replace("’", "'"))}
    return words - _DROP


_NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "its",
        "our",
        "my",
        "former",
        "sen",
        "rep",
        "gov",
        "president",
        "senator",
        "governor",
        "mr",
        "mrs",
        "ms",
        "dr",
        "candidate",
        # honorifics and ranks before a surname ("Professor Alba", "Admiral Harris")
        "professor",
        "prof",
        "justice",
        "judge",
        "admiral",
        "adm",
        "general",
        "gen",
        "colonel",
        "col",
        "lt",
        "captain",
        "capt",
        "sgt",
        "secretary",
        "mayor",
        "ambassador",
        "minister",
        "rev",
        "rabbi",
        "pastor",
        "sheriff",
    ]
)


# Lower-case words that may follow a name inside a source span ("Kasich of Ohio", "Sanders,
# who ..."); any other lower-case word after a capitalised run makes the run a modifier.
_AFTER_NAME = frozenset(
    ["of", "from", "who", "whose", "and", "or", "in", "at", "for", "on", "with", "to", "as"]
)


def _name_words(source: str) -> list[str]:
    """Capitalised words of a source span that look like parts of a name.

    A capitalised run that modifies a following noun is a description, not a name:
    "The Ohio governor", "an NBC reporter", "a Clinton campaign spokesman" and "Trump's
    lawyer" name no one (the speaker is the governor, reporter, spokesman, lawyer)."""
    text = source.replace("’", "'")
    found = list(_WORD.finditer(text))
    words = [m.group() for m in found]
    keep = [w[0].isupper() for w in words]
    for i in range(len(words)):
        if not keep[i] or (i + 1 < len(words) and keep[i + 1]):
            continue
        if _modified(text, found, i):
            j = i
            while j >= 0 and keep[j]:
                keep[j] = False
                j -= 1
    return [
        w.lower()
        for w, k in zip(words, keep, strict=True)
        if k and w.lower() not in _PRONOUNS | _NOT_NAMES | _DROP
    ]


def _modified(text: str, found: list[re.Match[str]], i: int) -> bool:
    """Whether word `i` ends a run that modifies a lower-case noun right after it (only
    spaces or a possessive between them)."""
    follower = i + 1
    if follower < len(found) and found[follower].group() == "s":
        if text[found[i].end() : found[follower].start()] != "'":
            return False
        follower += 1  # "Trump's lawyer"
    if follower >= len(found):
        return False
    gap = text[found[follower - 1].end() : found[follower].start()]
    word = found[follower].group()
    return not gap.strip() and word[:1].islower() and word not in _AFTER_NAME


def _has_name(source: str) -> bool:
    return bool(_name_words(source))


def _same_person(pred: list[str], gold: str) -> bool:
    """The predicted surname occurs among the gold span's name words, and the name word
    just before it there (a first name, if any) is one of the predicted words too."""
    names = _name_words(gold)
    surname = pred[-1]
    if surname not in names:
        return False
    before = names[names.index(surname) - 1] if names.index(surname) > 0 else ""
    words = _WORD.findall(gold.replace("’", "'").lower())
    adjacent = words.index(surname) > 0 and words[words.index(surname) - 1] == before
    return not before or not adjacent or before in pred


def speaker_matches(predicted: str, gold: str, antecedent: str = "") -> bool:
    """Whether a predicted speaker name is right for a gold PolNeAR source span.

    Right when (ignoring case, articles and possessives) the names are equal, the
    predicted name's words all occur in the gold span ("Haley Morris" for "Spokeswoman
    Haley Morris"), the gold span's words all occur in the predicted name ("Morris" ->
    "Haley Morris"), or the predicted surname is a name word of the gold span with no
    different first name before it ("Bernie Sanders" for "Sanders, runner-up to Hillary
    Clinton, ..."; not "Hillary Clinton" for "Bill Clinton"). A gold pronoun or name-less
    phrase ("he", "the senator") is compared the same way with `antecedent`: the nearest
    earlier gold source holding a name, standing in for the gold coreference PolNeAR
    does not ship. A predicted bare pronoun is never right (the contract promises names).
    """
    pred = _tokens(predicted)
    if not pred or pred <= _PRONOUNS:
        return False
    ordered = [w.lower() for w in _WORD.findall(predicted.replace("’", "'"))]
    ordered = [w for w in ordered if w not in _DROP] or ordered
    for target in (gold, antecedent if not _has_name(gold) else ""):
        want = _tokens(target)
        if want and (pred == want or pred <= want or want <= pred):
            return True
        if target and _same_person(ordered, target):
            return True
    return False


def _antecedents(attributions: Sequence[Attribution]) -> list[str]:
    result, last = [], ""
    for attribution in attributions:
        result.append(last)
        if _has_name(attribution.source_text):
            last = attribution.source_text
    return result


def _predictions(text: str, quotes: Sequence[Quote]) -> list[_Pred]:
    return [_Pred(_chars(text, [(q.start, q.end)]), q.kind, q.speaker.name) for q in quotes]


def pool_matches(
    gold: Sequence[frozenset[int]], preds: Sequence[frozenset[int]], threshold: float
) -> dict[int, list[int]]:
    """Found gold attributions (index -> the predictions pooled for it, best first).

    PolNeAR annotates one attribution whose quote is split by its cue (`“A,” she said.
    “B.”`), or continued over paragraphs, as one discontiguous content. So each
    prediction is assigned to the gold content it shares most characters with; a gold
    attribution is found when `overlap(gold, union of its predictions) >= threshold`.
    A prediction is correct when the gold it was assigned to is found.
    """
    assigned: dict[int, list[tuple[int, int]]] = {}
    for p, pchars in enumerate(preds):
        shared = [(len(gchars & pchars), g) for g, gchars in enumerate(gold)]
        best = max(shared, default=(0, -1))
        if best[0] > 0:
            assigned.setdefault(best[1], []).append((best[0], p))
    found = {}
    for g, members in assigned.items():
        union = frozenset().union(*(preds[p] for _, p in members))
        if overlap(gold[g], union) >= threshold:
            found[g] = [p for _, p in sorted(members, reverse=True)]
    return found


def _scoped(
    article: Article, direct_golds: Sequence[tuple[int, Attribution]], preds: Sequence[_Pred]
) -> list[_Pred]:
    """`preds` without the direct quotes that lie inside a gold attribution that is not
    direct (at least half their characters in its content) and touch no direct gold.

    PolNeAR often makes one attribution of a quoted sentence and unquoted words around it
    (`He argued the pipeline “wouldn't go 10 feet” without ...`, `“A,” he said, adding
    that B`); the quote is attributed in the gold, only not as a unit of its own. Such a
    prediction is neither right nor wrong for the direct subset: set aside, as a region
    the gold leaves out of scope. "direct" keeps counting it as a false positive.
    """
    text = article.text
    direct = [_chars(text, a.content) for _, a in direct_golds]
    others = [_chars(text, a.content) for a in article.attributions if not a.is_direct]

    def out_of_scope(p: _Pred) -> bool:
        inside = any(2 * len(p.chars & o) >= len(p.chars) for o in others)
        return inside and not any(p.chars & d for d in direct)

    return [p for p in preds if not out_of_scope(p)]


def set_aside(article: Article, quotes: Sequence[Quote]) -> list[Quote]:
    """The direct quotes that "direct-scoped" leaves out of `article`'s scores (`_scoped`),
    for reading by hand."""
    direct = [q for q in quotes if q.kind == "direct"]
    preds = _predictions(article.text, direct)
    golds = [(i, a) for i, a in enumerate(article.attributions) if a.is_direct]
    kept = {id(p) for p in _scoped(article, golds, preds)}
    return [q for q, p in zip(direct, preds, strict=True) if id(p) not in kept]


def _empty_counts() -> dict[str, int]:
    return {
        "gold": 0,
        "predicted": 0,
        "matched": 0,
        "correct": 0,
        "with_source": 0,
        "speaker_right": 0,
        "named_source": 0,
        "named_right": 0,
    }


def score_article(article: Article, quotes: Sequence[Quote]) -> dict[str, dict[str, int]]:
    """Counts per `{subset}@{threshold}` (subset "direct" or "all") for one article.

    `matched` counts found gold attributions (recall), `correct` the predictions pooled
    into them (precision); the speaker of a found attribution is that of its biggest
    pooled prediction.
    """
    preds = _predictions(article.text, quotes)
    antecedents = _antecedents(article.attributions)
    direct_golds = [(i, a) for i, a in enumerate(article.attributions) if a.is_direct]
    direct_preds = [p for p in preds if p.kind == "direct"]
    subsets = {
        "direct": (direct_golds, direct_preds),
        "direct-scoped": (direct_golds, _scoped(article, direct_golds, direct_preds)),
        "all": (list(enumerate(article.attributions)), preds),
    }
    counts: dict[str, dict[str, int]] = {}
    for subset, (golds, chosen) in subsets.items():
        gold_chars = [_chars(article.text, a.content) for _, a in golds]
        for threshold in THRESHOLDS:
            c = _empty_counts()
            c["gold"], c["predicted"] = len(golds), len(chosen)
            for g, members in pool_matches(
                gold_chars, [p.chars for p in chosen], threshold
            ).items():
                c["matched"] += 1
                c["correct"] += len(members)
                index, attribution = golds[g]
                if attribution.source:
                    c["with_source"] += 1
                    right = speaker_matches(
                        chosen[members[0]].speaker, attribution.source_text, antecedents[index]
                    )
                    c["speaker_right"] += int(right)
                    if _has_name(attribution.source_text):
                        c["named_source"] += 1
                        c["named_right"] += int(right)
            counts[f"{subset}@{threshold}"] = c
    return counts


def _summary(c: dict[str, int]) -> dict[str, float | int]:
    precision = c["correct"] / c["predicted"] if c["predicted"] else 0.0
    recall = c["matched"] / c["gold"] if c["gold"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = c["speaker_right"] / c["with_source"] if c["with_source"] else 0.0
    named = c["named_right"] / c["named_source"] if c["named_source"] else 0.0
    return {
        **c,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "speaker_accuracy": round(accuracy, 4),
        "speaker_accuracy_named": round(named, 4),
    }


def evaluate_polnear(
    root: Path, split: str = "dev", limit: int | None = None, exclude: Sequence[str] = ()
) -> dict[str, Any]:
    """Extract quotes from PolNeAR articles and score them against the gold attributions.

    Returns `{"split", "articles", "seconds", "articles_per_second", "scores"}` where
    `scores["direct@0.3"]` etc. hold gold/predicted/matched counts, precision, recall,
    F1 and speaker accuracy (right speakers / found gold attributions that have a source;
    `speaker_accuracy_named` only over gold sources that hold a name, where no
    antecedent guess is involved).
    "direct" compares gold attributions whose content is enclosed in quote marks with
    predicted direct quotes; "direct-scoped", the headline, is the same without the
    predictions that lie inside a gold attribution that is not direct (`_scoped`); "all"
    compares every gold attribution with every prediction.
    Matching and overlap: see `overlap` and `pool_matches`; speakers: `speaker_matches`.
    `exclude` leaves out articles by id (ones read while developing, no longer held out).
    """
    skip = set(exclude)
    articles = [a for a in load_split(root, split, limit) if a.doc_id not in skip]
    started = time.perf_counter()
    extracted = extract_quotes_batch([(a.doc_id, a.text) for a in articles])
    seconds = time.perf_counter() - started
    return {
        "split": split,
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 2) if seconds else 0.0,
        "scores": _scores(zip(articles, extracted, strict=True)),
    }


def _scores(scored: Iterable[tuple[Article, Sequence[Quote]]]) -> dict[str, dict[str, Any]]:
    totals: dict[str, dict[str, int]] = {}
    for article, quotes in scored:
        for key, counts in score_article(article, quotes).items():
            bucket = totals.setdefault(key, _empty_counts())
            for name, value in counts.items():
                bucket[name] += value
    return {key: _summary(value) for key, value in sorted(totals.items())}


def as_quotes(article: Article) -> list[Quote]:
    """An annotator's attributions as predictions: one quote per content fragment (the
    scorer pools fragments), `direct` when the attribution is, the source as speaker."""
    text = article.text
    return [
        Quote(
            id=f"{article.doc_id}:a{n}:{f}",
            doc_id=article.doc_id,
            text=text[start:end],
            kind="direct" if attribution.is_direct else "indirect",
            start=start,
            end=end,
            cue="",
            speaker=Speaker(attribution.source_text),
        )
        for n, attribution in enumerate(article.attributions)
        for f, (start, end) in enumerate(attribution.content)
    ]


def evaluate_agreement(root: Path, split: str = "dev") -> dict[str, Any]:
    """Agreement between PolNeAR's annotators, scored exactly like the extractor, next to
    the extractor on the same articles: on each article several people annotated, every
    annotator in turn is the gold and every other one (rows "annotators ...") or the
    extractor (rows "extractor ...") the prediction. The human reference for
    `evaluate_polnear`'s numbers. Speaker accuracy means little in the annotator rows: a
    gold "he" is judged against the scorer's antecedent stand-in, while the other
    annotator's source is the bare "he"."""
    groups = load_annotators(root, split)
    extracted = extract_quotes_batch([(v[0].doc_id, v[0].text) for v in groups])
    people = (
        (gold, as_quotes(other))
        for versions in groups
        for gold, other in itertools.permutations(versions, 2)
    )
    machine = (
        (gold, quotes)
        for versions, quotes in zip(groups, extracted, strict=True)
        for gold in versions
    )
    scores = {
        f"{who} {key}": value
        for who, pairs in (("annotators", people), ("extractor", machine))
        for key, value in _scores(pairs).items()
    }
    return {
        "split": f"{split} annotator agreement",
        "articles": len(groups),
        "seconds": 0.0,
        "articles_per_second": 0.0,
        "scores": scores,
    }


def format_report(result: dict[str, Any]) -> str:
    """A small fixed-width table of the scores."""
    rate = result["articles_per_second"]
    width = max(20, *(len(key) + 2 for key in result["scores"]))
    lines = [
        f"PolNeAR {result['split']}: {result['articles']} articles"
        + (f", {rate} articles/s" if rate else ""),
        f"{'subset':<{width}}{'P':>8}{'R':>8}{'F1':>8}{'speaker':>9}{'named':>7}{'gold':>7}"
        f"{'pred':>7}",
    ]
    for key, s in result["scores"].items():
        lines.append(
            f"{key:<{width}}{s['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
            f"{s['speaker_accuracy']:>9.3f}{s['speaker_accuracy_named']:>7.3f}"
            f"{s['gold']:>7}{s['predicted']:>7}"
        )
    return "\n".join(lines)


def default_root() -> Path:
    """PolNeAR next to the repository (`../shared/data/polnear`)."""
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.quotes", description=__doc__)
    parser.add_argument("--root", type=Path, default=None, help="PolNeAR directory")
    parser.add_argument("--split", default="dev", choices=("train", "dev"))
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="DOC_ID", help="leave out an article"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--agreement", action="store_true", help="score the annotators against each other"
    )
    args = parser.parse_args(argv)
    root = args.root or default_root()
    try:
        if args.agreement:
            result = evaluate_agreement(root, args.split)
        else:
            result = evaluate_polnear(root, args.split, args.limit, args.exclude)
    except FileNotFoundError as exc:
        parser.exit(2, f"error: {exc}\n")
    if args.json:
        print(json.dumps(result, indent=2))  # noqa: T201 - CLI output
    else:
        print(format_report(result))  # noqa: T201 - CLI output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
