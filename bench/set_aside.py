"""The quotes PolNeAR's "direct-scoped" subset sets aside, drawn for judging by hand.

"direct" counts a predicted direct quote as a false positive when it lies inside a gold
attribution whose content is not enclosed in quote marks (a partial quote mixed with
paraphrase, a quote inside another source's report); "direct-scoped" sets such quotes
aside. This prints how many there are on a split, how often the predicted speaker matches
the source of the gold attribution around the quote (a lower bound: a quote nested in a
report has the reporter as gold source), and a seeded sample to judge: is it a quotation,
and is the speaker right?

Usage: python bench/set_aside.py [--split train] [--sample 40] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals.polnear import load_split
from evals.quotes import default_root, set_aside, speaker_matches
from index.quotes import extract_quotes_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="train")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    articles = load_split(default_root(), args.split)
    extracted = extract_quotes_batch([(a.doc_id, a.text) for a in articles])
    rows, matched, sourced = [], 0, 0
    for article, quotes in zip(articles, extracted, strict=True):
        for quote in set_aside(article, quotes):
            chars = set(range(quote.start, quote.end))
            unit = max(
                (a for a in article.attributions if not a.is_direct),
                key=lambda a: sum(len(chars & set(range(s, e))) for s, e in a.content),
            )
            if unit.source:
                sourced += 1
                matched += speaker_matches(quote.speaker.name, unit.source_text)
            content = " ".join(article.text[s:e] for s, e in unit.content)
            rows.append((article.doc_id, quote, unit.source_text, content))
    print(f"{args.split}: {len(rows)} quotes set aside; speaker matches the gold source of")
    print(f"the attribution around it for {matched} of the {sourced} that have one")
    for doc_id, quote, source, content in random.Random(args.seed).sample(rows, args.sample):
        print(f"\n{doc_id} {quote.start}-{quote.end}")
        print(f"  quote:   {quote.text[:160]}")
        print(f"  speaker: {quote.speaker.name}  (cue {quote.cue!r})")
        print(f"  gold:    {source!r}: {content[:200]}")


if __name__ == "__main__":
    main()
