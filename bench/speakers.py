"""Speaker directory on PolNeAR: "What did <full name> say?" over the whole archive index.

Usage: python bench/speakers.py [--index var/speakers-bench/index] [--split dev] [--k 10]

The index holds every PolNeAR train and dev article plus the seed article (build it with
`sayso build --seeds DIR --index DIR`, DIR holding the 925 files; the default encoder).
The question names the full name, or (second row) the surname alone ("What did Trump
say?"). For every person named as the source of a gold direct quote in the split (a surname alone
is completed with the article's most frequent "First Surname"), the question "What did <name> say?" is asked in hybrid mode with `k` passages.
Reported, with the speaker directory and without it (quotes unlinked: names compared as
strings, as before the directory):

- p@1: the top quote's speaker is that person (evals.quotes.speaker_matches);
- share@5: of that person's gold direct quotes (at most five), how many are among the top
  five quotes (a quote counts when it overlaps one by a character).

Prints one JSON line per variant. Not run by `make test`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.polnear import load_split  # noqa: E402
from evals.quotes import _name_words, default_root, speaker_matches  # noqa: E402
from index.disk import Index, read_index  # noqa: E402
from index.quotes.directory import HONORIFICS, Directory, read_name  # noqa: E402


def full_name(source: str, text: str) -> str | None:
    """The full name a gold source names: its own two or more name words, or for a surname
    alone ("Trump", "Mr. Trump") the most frequent "First Surname" in the article."""
    words = _name_words(source)
    if not words:
        return None
    read = read_name(source)
    if len(words) >= 2:
        return read.display if read is not None and read.kind == "person" else None
    surname = source.split()[-1].strip(".,'’")
    found = Counter(re.findall(rf"\b([A-Z][a-z]+) {re.escape(surname)}\b", text))
    firsts = [(n, first) for first, n in found.items() if first.lower() not in HONORIFICS]
    return f"{max(firsts)[1]} {surname}" if firsts else None


def gold_people(root: Path, split: str) -> dict[str, list[tuple[str, int, int]]]:
    """Per full name, its gold direct quotes as (doc id, start, end) in the raw text."""
    people: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    shown: dict[tuple[str, ...], str] = {}
    for article in load_split(root, split):
        for attribution in article.attributions:
            if not attribution.is_direct:
                continue
            name = full_name(attribution.source_text, article.text)
            read = read_name(name) if name else None
            if read is None or read.kind != "person":
                continue
            name = shown.setdefault(read.key, read.display)
            start, end = attribution.content[0][0], attribution.content[-1][1]
            people[name].append((article.doc_id, start, end))
    return people


def unlinked(index: Index) -> Index:
    quotes = tuple(replace(q, speaker=replace(q.speaker, id="")) for q in index.quotes)
    return replace(index, quotes=quotes, speakers=Directory())


def measure(
    index: Index,
    searcher: object,
    people: dict[str, list[tuple[str, int, int]]],
    k: int,
    polnear: Path,
    surname: bool = False,
) -> dict[str, float]:
    shift = {}  # a document's text is the file's, stripped: offsets shift by its start
    for doc_id, doc in index.documents.items():
        raw = (polnear / "data").glob(f"*/text/{doc_id}.txt")
        for path in raw:
            shift[doc_id] = path.read_text(encoding="utf-8").find(doc.text)
    hits_at_1 = shares = 0.0
    for name, golds in sorted(people.items()):
        asked = name.split()[-1] if surname else name
        result = searcher.search(f"What did {asked} say?", k=k, mode="hybrid")  # type: ignore[attr-defined]
        quotes = [s.quote for s in result.quotes]
        if quotes and speaker_matches(quotes[0].speaker.name, name):
            hits_at_1 += 1
        top = quotes[:5]
        found = sum(
            any(
                q.doc_id == doc
                and q.start + shift.get(doc, 0) < end
                and start < q.end + shift.get(doc, 0)
                for q in top
            )
            for doc, start, end in golds
        )
        shares += min(found, 5) / min(len(golds), 5)
    n = len(people)
    return {"people": n, "p@1": round(hits_at_1 / n, 4), "share@5": round(shares / n, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=ROOT / "var/speakers-bench/index")
    parser.add_argument("--split", default="dev", choices=("train", "dev"))
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--polnear", type=Path, default=None, help="PolNeAR directory")
    args = parser.parse_args()
    from service import wiring
    from service.settings import Settings

    settings = Settings(index_dir=args.index)
    index = read_index(args.index, model=settings.model)
    encoder = wiring.encoder(settings)
    polnear = args.polnear or default_root()
    if not polnear.is_dir():
        polnear = Path("/work/shared/data/polnear")  # from a worktree
    people = gold_people(polnear, args.split)
    for variant, chosen in (("directory", index), ("names only", unlinked(index))):
        searcher = wiring.searcher(chosen, encoder, settings)
        for question in ("full name", "surname"):
            row = {"variant": variant, "question": question, "split": args.split, "k": args.k}
            scores = measure(chosen, searcher, people, args.k, polnear, question == "surname")
            print(json.dumps(row | scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
