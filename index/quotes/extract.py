"""Quote extraction: parse, find direct and reported quotes, resolve speakers, number them."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from index.quotes.direct import Candidate, find_direct, marked_ranges
from index.quotes.indirect import find_indirect
from index.quotes.marks import as_double_marks
from index.quotes.model import Quote, Speaker
from index.quotes.nlp import pipeline
from index.quotes.speakers import Resolver, describe
from index.tokenizable import tokenizable

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)
BATCH_SIZE = 16
# Below this many texts a second process costs more (it loads its own spaCy pipeline, about
# 2 CPU-seconds) than it saves.
PARALLEL_MIN = 24


def extract_quotes(text: str, doc_id: str = "") -> list[Quote]:
    """Quotes in `text`, in document order; `text[q.start:q.end] == q.text` for each."""
    return extract_quotes_batch([(doc_id, text)])[0]


class ExtractionStopped(Exception):
    """Raised by `extract_quotes_until` when its `stop` callable says to give up."""


def extract_quotes_until(text: str, stop: Callable[[], bool], doc_id: str = "") -> list[Quote]:
    """`extract_quotes`, asking `stop()` between pipeline stages (about a second of work
    each on a long text) and raising ExtractionStopped when it answers True: a caller
    that has given up (a deadline, a client gone) stops paying for the rest."""
    nlp = pipeline()
    doc = nlp.make_doc(tokenizable(as_double_marks(text)))
    for _, component in nlp.pipeline:
        if stop():
            raise ExtractionStopped
        doc = component(doc)
    if stop():
        raise ExtractionStopped
    return quotes_from_doc(doc, doc_id, text)


def extract_quotes_batch(
    texts: Sequence[tuple[str, str]],
    *,
    progress: Callable[[int, int], None] | None = None,
    processes: int = 1,
    stop: Callable[[], bool] | None = None,
) -> list[list[Quote]]:
    """Quotes for each `(doc_id, text)` pair, parsing the texts as one spaCy batch (with
    British-style single quote marks read as double ones, `as_double_marks`, and long
    punctuation runs broken, `tokenizable`: both keep offsets, so the cost stays linear).

    With `processes` > 1 (and at least PARALLEL_MIN texts) the texts are parsed in that
    many worker processes, in runs of consecutive texts; each text's quotes do not depend
    on the others, so the result is the same. `progress` hears (texts done, texts).

    With `stop`, the texts are parsed one at a time in this process, asking `stop()`
    between pipeline stages (`extract_quotes_until`): ExtractionStopped once it says so.
    """
    if stop is not None:
        found = []
        for doc_id, text in texts:
            found.append(extract_quotes_until(text, stop, doc_id=doc_id))
            if progress:
                progress(len(found), len(texts))
        return found
    if processes > 1 and len(texts) >= PARALLEL_MIN:
        return _in_processes(texts, processes, progress)
    parsed = (tokenizable(as_double_marks(text)) for _, text in texts)
    docs = pipeline().pipe(parsed, batch_size=BATCH_SIZE)
    result = []
    for (doc_id, text), doc in zip(texts, docs, strict=True):
        result.append(quotes_from_doc(doc, doc_id, text))
        if progress:
            progress(len(result), len(texts))
    return result


def _in_processes(
    texts: Sequence[tuple[str, str]],
    processes: int,
    progress: Callable[[int, int], None] | None,
) -> list[list[Quote]]:
    # Spawned, not forked: the parent may hold ONNX Runtime or tokenizer threads (or be
    # loading a model in one), and a forked child inherits their locks mid-flight.
    size = max(1, min(BATCH_SIZE, len(texts) // (processes * 4)))
    runs = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    result: list[list[Quote]] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        for quotes in pool.map(extract_quotes_batch, runs):
            result.extend(quotes)
            if progress:
                progress(len(result), len(texts))
    return result


def quotes_from_doc(doc: Doc, doc_id: str = "", text: str | None = None) -> list[Quote]:
    """Quotes from an already parsed document: offsets into `doc.text`, quote texts from
    `text` when given (the original of a text parsed with its quote marks rewritten at the
    same offsets)."""
    direct = find_direct(doc)
    candidates = direct + find_indirect(doc, direct, marked_ranges(doc))
    speakers = _speakers(doc, candidates, len(direct))
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].start, candidates[i].end))
    quotes: list[Quote] = []
    full_text = doc.text if text is None else text
    for i in order:
        cand, speaker = candidates[i], speakers[i]
        if speaker is None or not speaker.name:
            continue
        text = full_text[cand.start : cand.end]
        quotes.append(
            Quote(
                id=f"{doc_id}:q{len(quotes)}",
                doc_id=doc_id,
                text=text,
                kind=cand.kind,
                start=cand.start,
                end=cand.end,
                cue=cand.cue,
                speaker=speaker,
            )
        )
    return quotes


def _speakers(doc: Doc, candidates: list[Candidate], n_direct: int) -> list[Speaker | None]:
    """Resolve subjects left to right (coreference needs document order), then let
    continuation quotes take the speaker of the quote they continue."""
    resolver = Resolver(doc, [(c.start, c.end) for c in candidates[:n_direct]])
    speakers: list[Speaker | None] = [None] * len(candidates)
    with_subject = [i for i, c in enumerate(candidates) if c.subject >= 0]
    for i in sorted(with_subject, key=lambda i: doc[candidates[i].subject].idx):
        speakers[i] = resolver.resolve(describe(doc[candidates[i].subject]))
    for i, cand in enumerate(candidates[:n_direct]):
        if cand.follow >= 0 and speakers[i] is None:
            speakers[i] = speakers[cand.follow]
            candidates[i] = _with_cue(cand, cand.cue or candidates[cand.follow].cue)
    return speakers


def _with_cue(cand: Candidate, cue: str) -> Candidate:
    from dataclasses import replace

    return replace(cand, cue=cue)
