"""Single quote marks used as the main ones (British style: `‘We will win,’ she said.`),
rewritten as double marks at the same offsets, so the rules read one style; two backticks
opening a quote, rewritten as two apostrophes.

Single marks are the main ones when at least two quotes, and over three times as many as
close inside a double mark, close with punctuation inside a single mark (`,’` `.’`):
scare quotes and a headline's quoted phrase (`Fans upset by ‘American Sniper’ star`) do
not count, and US text, where single marks nest inside double ones, keeps its marks. In
such text double marks are the nested ones; they become single marks in turn. The closing
mark doubles as the apostrophe: a `’` inside a word (`it’s`) is never a mark, and one
after an `s` with a word following (`the workers’ rights`) is read as a possessive.
"""

from __future__ import annotations

import re

_SINGLE_OPEN = re.compile(r"(?<![\w‘’'])‘(?=\S)")
_SINGLE_ENDS = re.compile(r"[,.?!]’")
_DOUBLE_ENDS = re.compile(r"[,.?!](?:[”\"]|'')")
_SWAP = str.maketrans("‘’“”", "“”‘’")
_MIN_SINGLES = 2
# Main marks outnumber the nested ones many times over: in US text, nested single quotes
# in a transcript can match the double ones around them.
_DOMINANCE = 3


def as_double_marks(text: str) -> str:
    """`text` with its quoting single marks swapped for double ones and its double marks
    for single ones, when single marks are the main quote marks; else `text` itself.
    Two backticks, which open a quote in typeset text, become two apostrophes, which the
    rules read as a double mark."""
    text = text.replace("``", "''")
    singles = len(_SINGLE_ENDS.findall(text))
    if singles < _MIN_SINGLES or singles <= _DOMINANCE * len(_DOUBLE_ENDS.findall(text)):
        return text
    chars = list(text)
    for start, end in _single_quoted(text):
        for i in range(start, end + 1):
            if i in (start, end) or chars[i] in "“”":
                chars[i] = chars[i].translate(_SWAP)
    return "".join(chars)


def _single_quoted(text: str) -> list[tuple[int, int]]:
    """(opening, closing) positions of paired single marks, within a paragraph."""
    pairs: list[tuple[int, int]] = []
    opened = -1
    for i, char in enumerate(text):
        if char == "\n":
            opened = -1
        elif char == "‘" and _SINGLE_OPEN.match(text, i):
            opened = i
        elif char == "’" and opened >= 0 and _closes(text, i):
            pairs.append((opened, i))
            opened = -1
    return pairs


def _closes(text: str, i: int) -> bool:
    """Whether the `’` at `i` closes a quote rather than ending a word as an apostrophe."""
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    inside_word = after.isalnum()  # `it’s`, `don’t`
    possessive = before.lower() == "s" and after == " " and text[i + 2 : i + 3].isalpha()
    return not inside_word and not possessive  # `the workers’ rights`
