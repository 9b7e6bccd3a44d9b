"""PolNeAR reader: article texts and their attribution relations (BRAT standoff files)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

OPEN_MARKS = frozenset('“"«„')
# A left mark closing a quote is a typing slip news text has (`her here,“ said`).
CLOSE_MARKS = frozenset('”"»“')
_END_PUNCT = ".,;:!?"
_MARGIN = 100  # characters either side of a content read for its quote marks
_ANNOTATOR = re.compile(r"_[0-9a-f]+\.ann$")

Fragments = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Attribution:
    """One gold attribution: content and (optional) source as character fragments."""

    content: Fragments
    source: Fragments
    text: str

    @property
    def source_text(self) -> str:
        return " ".join(self.text[s:e] for s, e in self.source)

    @property
    def is_direct(self) -> bool:
        """True when the content, first fragment to last, opens and closes with quote
        marks (marks inside or just outside the span, trailing punctuation allowed)."""
        return _enclosed(self.text, self.content[0][0], self.content[-1][1])


@dataclass(frozen=True)
class Article:
    doc_id: str
    text: str
    attributions: tuple[Attribution, ...]


def _enclosed(text: str, start: int, end: int) -> bool:
    # only the text around the content is read; two apostrophes typed for a double mark
    # (`''It's time,'' he said.`) count as one mark
    lo, hi = max(0, start - _MARGIN), min(len(text), end + _MARGIN)
    text, start, end = text[lo:hi].replace("''", '""'), start - lo, end - lo
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    before = text[:start].rstrip()[-1:]
    opens = text[start] in OPEN_MARKS or before in OPEN_MARKS
    inner = text[start:end].rstrip(_END_PUNCT)
    after = text[end:].lstrip(_END_PUNCT + " ")[:1]
    closes = text[end - 1] in CLOSE_MARKS or inner[-1:] in CLOSE_MARKS or after in CLOSE_MARKS
    return opens and closes


def _fragments(spec: str) -> Fragments:
    """Fragments in text order: BRAT keeps the order they were marked in, which is not
    always the order of the text."""
    pairs = (part.split() for part in spec.split(";"))
    return tuple(sorted((int(a), int(b)) for a, b in pairs))


def parse_ann(ann: str, text: str) -> tuple[Attribution, ...]:
    """Attributions from a BRAT .ann file: `E` relations joining Source, Cue and Content
    text-bound annotations. Relations without a Content are skipped."""
    spans: dict[str, Fragments] = {}
    relations: list[dict[str, str]] = []
    for line in ann.splitlines():
        fields = line.split("\t")
        if line.startswith("T") and len(fields) >= 2:
            _, _, spec = fields[1].partition(" ")
            spans[fields[0]] = _fragments(spec)
        elif line.startswith("E") and len(fields) >= 2:
            roles = dict(part.split(":", 1) for part in fields[1].split() if ":" in part)
            relations.append(roles)
    result = []
    for roles in relations:
        content = spans.get(roles.get("Content", ""))
        if not content:
            continue
        source = spans.get(roles.get("Source", ""), ())
        result.append(Attribution(content, source, text))
    result.sort(key=lambda a: a.content[0])
    return tuple(result)


def _annotation_files(root: Path, split: str) -> dict[str, list[Path]]:
    """Each article's .ann files (one per annotator), in name order."""
    base = root / "data" / split
    if not (base / "text").is_dir():
        raise FileNotFoundError(f"no PolNeAR split {split!r} under {root}")
    files: dict[str, list[Path]] = {}
    for ann in sorted((base / "attributions").glob("*.ann")):
        files.setdefault(_ANNOTATOR.sub("", ann.name), []).append(ann)
    return files


def _article(root: Path, split: str, doc_id: str, ann: Path) -> Article:
    text = (root / "data" / split / "text" / f"{doc_id}.txt").read_text(encoding="utf-8")
    return Article(doc_id, text, parse_ann(ann.read_text(encoding="utf-8"), text))


def load_split(root: Path, split: str = "dev", limit: int | None = None) -> list[Article]:
    """Articles of one split, one annotator per article (the first .ann in name order)."""
    files = _annotation_files(root, split)
    return [_article(root, split, doc_id, files[doc_id][0]) for doc_id in sorted(files)[:limit]]


def load_annotators(root: Path, split: str = "dev") -> list[list[Article]]:
    """The articles of a split that several people annotated: one Article per annotator."""
    files = _annotation_files(root, split)
    return [
        [_article(root, split, doc_id, ann) for ann in files[doc_id]]
        for doc_id in sorted(files)
        if len(files[doc_id]) > 1
    ]
