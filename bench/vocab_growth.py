"""RSS of quote extraction over N new words: spaCy's vocabulary with and without reloads.

python bench/vocab_growth.py --words 200000 --max-new-strings 50000
python bench/vocab_growth.py --words 200000 --max-new-strings 1000000000   # never reload
"""

from __future__ import annotations

import argparse
import random
import string
import time

from index.quotes import extract_quotes
from index.quotes import nlp as quotes_nlp

BATCH = 2000


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--max-new-strings", type=int, default=quotes_nlp.MAX_NEW_STRINGS)
    args = parser.parse_args()
    quotes_nlp.MAX_NEW_STRINGS = args.max_new_strings
    rng = random.Random(7)
    extract_quotes('"We will win," said Ana Ruiz.')
    start = rss_mb()
    started = time.perf_counter()
    for _ in range(args.words // BATCH):
        words = ["".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(BATCH)]
        sentences = [" ".join(words[i : i + 20]) + "." for i in range(0, BATCH, 20)]
        extract_quotes(f'"{sentences[0]}" said Ana Ruiz. ' + " ".join(sentences[1:]))
    strings = len(quotes_nlp.pipeline().vocab.strings)
    print(
        f"words={args.words} max_new_strings={args.max_new_strings} rss_start_mb={start:.0f} "
        f"rss_end_mb={rss_mb():.0f} vocab_strings_end={strings} "
        f"seconds={time.perf_counter() - started:.0f}"
    )


if __name__ == "__main__":
    main()
