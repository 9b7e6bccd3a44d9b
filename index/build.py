"""Index building: documents -> passages -> vectors + BM25, re-embedding only what changed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.disk import (
    SCHEMA_VERSION,
    BuildSettings,
    Index,
    IndexStoreError,
    corpus_hash,
    new_manifest,
    read_index,
    read_manifest,
    write_index,
    writer_lock,
)
from index.documents import Document
from index.models.encoder import Encoder, encode_spans
from index.passages import Passage, split_passages
from index.progress import Progress, Stages, only_embedding
from index.quotes import ExtractionStopped, extract_quotes_batch
from index.quotes.directory import build_directory
from index.quotes.links import speaker_contexts
from index.quotes.model import Quote
from index.retrieval.dense import DenseIndex
from index.retrieval.lexical import LexicalIndex
from index.stores.model import DocumentRecord

log = logging.getLogger(__name__)

__all__ = [
    "BuildStopped",
    "Progress",
    "Stages",
    "build_index",
    "embed",
    "embed_spans",
    "update_index",
]

EMBED_CHUNK = 256
T = TypeVar("T")


class BuildStopped(ExtractionStopped):
    """A build given up because its `stop()` said so (a deadline passed, the client left).
    A kind of ExtractionStopped, which the quote stage raises: one except clause serves
    both. Nothing is written by a stopped build."""


def _stoppable(stages: Stages | None, stop: Callable[[], bool] | None) -> Stages | None:
    """`stages` that also ask `stop()` as each stage begins and at each of its progress
    reports (a document split, a document's quotes, a chunk embedded)."""
    if stop is None:
        return stages

    def stage(name: str) -> Progress:
        if stop():
            raise BuildStopped(name)
        inner = stages(name) if stages else None

        def progress(done: int, total: int) -> None:
            if stop():
                raise BuildStopped(name)
            if inner:
                inner(done, total)

        return progress

    return stage


def embed(
    encoder: Encoder,
    texts: Sequence[str],
    progress: Progress | None = None,
    *,
    workers: int = 1,
) -> np.ndarray:
    """Encode `texts` in chunks, reporting progress; returns float32 rows, unit length, in the
    order of `texts`.

    Chunks hold texts of similar length, longest first: less work on padding, and a text's
    int8 vector (activations are quantised per batch) no longer depends on whatever
    happened to sit next to it in the corpus. With `workers` > 1, that many chunks are
    encoded at once on threads (the encoder must allow concurrent calls, as ONNX Runtime
    sessions do); the chunks, hence the vectors, are the same as with one.
    """
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)

    def encode(rows: np.ndarray) -> np.ndarray:
        return encoder.encode([texts[i] for i in rows])

    out: np.ndarray | None = None
    for rows, vectors in _in_chunks(texts, encode, progress, workers):
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
    assert out is not None
    return out


def embed_spans(
    encoder: Encoder,
    texts: Sequence[str],
    spans: Sequence[Sequence[tuple[int, int]]],
    progress: Progress | None = None,
    *,
    workers: int = 1,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """`embed(texts)` and, from the same forward passes, each text's spans pooled from its
    token states (`SpanEncoder.encode_spans`: unit rows, zeros where truncation cut a span
    off). Chunked and threaded as `embed`; raises ValueError if the encoder has no token
    states."""
    pooled: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
    out: np.ndarray | None = None

    def encode(rows: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        return encode_spans(encoder, [texts[i] for i in rows], [spans[i] for i in rows])

    for rows, (vectors, parts) in _in_chunks(texts, encode, progress, workers):
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
        for row, part in zip(rows, parts, strict=True):
            pooled[row] = part
    if out is None:
        return np.zeros((0, 0), dtype=np.float32), []
    return out, pooled


def _in_chunks(
    texts: Sequence[str],
    run: Callable[[np.ndarray], T],
    progress: Progress | None,
    workers: int,
) -> Iterator[tuple[np.ndarray, T]]:
    """(rows, run(rows)) for chunks of EMBED_CHUNK rows of `texts`, longest texts first,
    `workers` chunks at once on threads; reports progress after each chunk."""
    order = np.argsort([-len(t) for t in texts], kind="stable")
    chunks = [order[b : b + EMBED_CHUNK] for b in range(0, len(texts), EMBED_CHUNK)]
    done = 0
    with ThreadPoolExecutor(max(1, min(workers, len(chunks)))) as pool:
        try:
            for rows, result in zip(chunks, pool.map(run, chunks), strict=True):
                yield rows, result
                done += len(rows)
                if progress:
                    progress(done, len(texts))
        except BaseException:  # e.g. BuildStopped from `progress`: skip the chunks not begun
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def is_current(root: Path, documents: Sequence[Document], settings: BuildSettings) -> bool:
    """True when the live index under `root` was built from exactly these documents and settings."""
    try:
        manifest = read_manifest(root)
    except IndexStoreError:
        return False
    return (
        manifest is not None
        and manifest.schema_version == SCHEMA_VERSION
        and manifest.settings == settings.to_json()
        and manifest.corpus_hash == corpus_hash({d.id: d.content_hash for d in documents})
    )


def _reusable(previous: Index | None, settings: BuildSettings) -> dict[str, tuple[list[int], str]]:
    """Passage rows of each unchanged-ready document in `previous`, keyed by doc id."""
    if previous is None or not previous.settings.embeds_like(settings):
        return {}
    rows: dict[str, tuple[list[int], str]] = {}
    for row, passage in enumerate(previous.passages):
        doc_hash = previous.manifest.doc_hashes.get(passage.doc_id, "")
        rows.setdefault(passage.doc_id, ([], doc_hash))[0].append(row)
    return rows


def build_index(
    documents: Sequence[Document],
    settings: BuildSettings,
    encoder: Encoder,
    *,
    previous: Index | None = None,
    progress: Progress | None = None,
    stages: Stages | None = None,
    workers: int = 1,
    stop: Callable[[], bool] | None = None,
) -> Index:
    """An in-memory index of `documents`; reuses vectors of documents unchanged in `previous`.

    `stages` hears each long stage by name ("passages", "quotes", "embedding"); a bare
    `progress` hears the embedding only. `workers` > 1 extracts quotes in that many
    processes and encodes that many chunks at once (same index as with one). `stop` is
    asked between stages, between documents, between spaCy's pipeline stages and between
    embedded chunks: BuildStopped once it answers True (quotes are then extracted in this
    process, one document at a time).
    """
    stages = _stoppable(stages or (only_embedding(progress) if progress else None), stop)
    reuse = _reusable(previous, settings)
    passages, vectors, sentence_vectors, titles = _split(
        documents, settings, previous if reuse else None, reuse, stages
    )
    quotes = _quotes(documents, settings, previous if reuse else None, stages, workers, stop)
    contexts = speaker_contexts(passages, quotes) if settings.speaker_context else {}
    if (
        previous is not None
        and reuse
        and settings.speaker_context
        and previous.settings.quote_rules != settings.quote_rules
    ):
        # new quote rules can name other speakers: a passage whose speaker line changed is
        # embedded again (its sentences and title do not depend on it); under the same
        # rules an unchanged document keeps its quotes, so its lines cannot change
        before = speaker_contexts(previous.passages, previous.quotes)
        for n, passage in enumerate(passages):
            if vectors[n] is not None and before.get(passage.id) != contexts.get(passage.id):
                vectors[n] = sentence_vectors[n] = None
    passage_matrix, sentence_matrix, title_matrix = _fill_vectors(
        encoder,
        documents,
        passages,
        vectors,
        sentence_vectors,
        titles,
        settings,
        contexts,
        stages("embedding") if stages else None,
        workers,
    )
    if stop is not None and stop():
        raise BuildStopped("index")
    return _index_of(
        documents, passages, passage_matrix, sentence_matrix, title_matrix, settings, quotes
    )


Rows = list[np.ndarray | None]


def _split(
    documents: Sequence[Document],
    settings: BuildSettings,
    previous: Index | None,
    reuse: Mapping[str, tuple[list[int], str]],
    stages: Stages | None,
) -> tuple[list[Passage], Rows, Rows, Rows]:
    """Every document's passages, with the vectors (passage, sentences, title) of those
    unchanged in `previous` and None where they must be embedded."""
    old_vectors = previous.dense.vectors() if previous else None
    old_sentence_rows = (
        _sentence_rows(previous.passages, settings.sentence_vectors) if previous else []
    )
    old_titles = (
        dict(zip(previous.documents, previous.title_vectors, strict=False)) if previous else {}
    )
    passages: list[Passage] = []
    vectors: Rows = []
    sentence_vectors: Rows = []
    titles: Rows = []
    progress = stages("passages") if stages else None
    for done, doc in enumerate(sorted(documents, key=lambda d: d.id), 1):
        rows, old_hash = reuse.get(doc.id, ([], ""))
        if rows and old_hash == doc.content_hash and previous is not None:
            assert old_vectors is not None
            titles.append(old_titles.get(doc.id))
            for row in rows:
                passages.append(previous.passages[row])
                vectors.append(old_vectors[row])
                begin, end = old_sentence_rows[row], old_sentence_rows[row + 1]
                sentence_vectors.append(previous.sentence_vectors[begin:end])
        else:
            titles.append(None)
            for passage in split_passages(
                doc, max_words=settings.max_words, min_words=settings.min_words
            ):
                passages.append(passage)
                vectors.append(None)
                sentence_vectors.append(None)
        if progress:
            progress(done, len(documents))
    return passages, vectors, sentence_vectors, titles


def _quotes(
    documents: Sequence[Document],
    settings: BuildSettings,
    previous: Index | None,
    stages: Stages | None = None,
    workers: int = 1,
    stop: Callable[[], bool] | None = None,
) -> list[Quote]:
    """Attributed quotes of every document: reused from `previous` for unchanged ones."""
    if not settings.quotes:
        return []
    if previous is not None and not (
        previous.settings.quotes and previous.settings.quote_rules == settings.quote_rules
    ):
        previous = None  # built without quotes or by other rules: nothing to reuse
    old_hashes = previous.manifest.doc_hashes if previous is not None else {}
    kept: dict[str, list[Quote]] = {}
    if previous is not None:
        for quote in previous.quotes:
            kept.setdefault(quote.doc_id, []).append(quote)
    ordered = sorted(documents, key=lambda d: d.id)
    todo = [d for d in ordered if old_hashes.get(d.id) != d.content_hash]
    log.info("extracting quotes from %d document(s)", len(todo))
    try:
        extracted = extract_quotes_batch(
            [(d.id, d.text) for d in todo],
            progress=stages("quotes") if stages and todo else None,
            processes=workers,
            stop=stop,
        )
    except ExtractionStopped:
        raise BuildStopped("quotes") from None
    fresh = dict(zip([d.id for d in todo], extracted, strict=True))
    return [q for d in ordered for q in fresh.get(d.id, kept.get(d.id, []))]


def assemble_index(records: Sequence[DocumentRecord], settings: BuildSettings) -> Index:
    """An in-memory index of already embedded documents (nothing is encoded)."""
    ordered = sorted(records, key=lambda r: r.document.id)
    passages = [p for r in ordered for p in r.passages]
    if not passages:
        raise IndexStoreError("no passages to index: every document was removed or is empty")
    dimension = next(r.vectors.shape[1] for r in ordered if len(r.passages))
    sentences = [r.sentence_vectors for r in ordered if len(r.sentence_vectors)]
    untitled = np.zeros(dimension, dtype=np.float32)
    titles = [untitled if r.title_vector is None else r.title_vector for r in ordered]
    quotes: dict[str, Quote] = {}
    for record in ordered:
        for rows in record.quotes:
            for row in rows:
                quotes.setdefault(str(row["id"]), Quote.from_json(dict(row)))
    return _index_of(
        [r.document for r in ordered],
        passages,
        np.vstack([r.vectors for r in ordered if len(r.passages)]).astype(np.float32),
        np.vstack(sentences).astype(np.float32)
        if sentences
        else np.zeros((0, dimension), dtype=np.float32),
        np.vstack(titles).astype(np.float32)
        if settings.sentence_vectors
        else np.zeros((0, dimension), dtype=np.float32),
        settings,
        sorted(quotes.values(), key=lambda q: (q.doc_id, q.start, q.end)),
    )


def _index_of(
    documents: Sequence[Document],
    passages: list[Passage],
    passage_matrix: np.ndarray,
    sentence_matrix: np.ndarray,
    title_matrix: np.ndarray,
    settings: BuildSettings,
    quotes: Sequence[Quote] = (),
) -> Index:
    documents_by_id = {d.id: d for d in documents}
    contexts = speaker_contexts(passages, quotes) if settings.speaker_context else {}
    directory = build_directory(quotes)
    manifest = new_manifest(
        documents, len(passages), passage_matrix.shape[1], settings, quotes=len(quotes)
    )
    return Index(
        manifest=manifest,
        documents={d.id: d for d in sorted(documents, key=lambda d: d.id)},
        passages=passages,
        dense=DenseIndex.from_vectors(passage_matrix, exact_max=settings.dense_exact_max),
        sentence_vectors=sentence_matrix,
        title_vectors=title_matrix,
        lexical=LexicalIndex.build(
            [indexed_text(p, documents_by_id, settings, contexts) for p in passages],
            stem=settings.stem,
            stopwords=settings.stopwords,
        ),
        path=Path(),
        quotes=directory.link(quotes),
        speakers=directory,
    )


def indexed_text(
    passage: Passage,
    documents: Mapping[str, Document],
    settings: BuildSettings,
    contexts: Mapping[str, str] | None = None,
) -> str:
    """What gets embedded and BM25-indexed for a passage: its text, after the document title
    (`title_context`) and the line naming its speakers (`speaker_context`) when asked."""
    title = documents[passage.doc_id].title if settings.title_context else ""
    speakers = (contexts or {}).get(passage.id, "") if settings.speaker_context else ""
    return "\n\n".join(part for part in (title, speakers, passage.text) if part)


def _sentence_rows(passages: Sequence[Passage], stored: bool = True) -> list[int]:
    """Start row of each passage's sentences in the sentence matrix, plus the total at the end."""
    rows = [0]
    for passage in passages:
        rows.append(rows[-1] + (len(passage.sentences) if stored else 0))
    return rows


def _fill_vectors(
    encoder: Encoder,
    documents: Sequence[Document],
    passages: list[Passage],
    vectors: list[np.ndarray | None],
    sentence_vectors: list[np.ndarray | None],
    titles: list[np.ndarray | None],
    settings: BuildSettings,
    contexts: Mapping[str, str],
    progress: Progress | None,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Embed every passage (and its sentences, and its document's title) that has no vector
    yet. `titles` follows the documents in id order; an untitled document's title vector
    is zeros, and no titles are kept without sentence vectors."""
    by_id = {d.id: d for d in documents}
    ordered = sorted(by_id)
    todo = [i for i, v in enumerate(vectors) if v is None]
    texts = [indexed_text(passages[i], by_id, settings, contexts) for i in todo]
    sentence_texts = [
        by_id[passages[i].doc_id].text[s:e]
        for i in todo
        if settings.sentence_vectors
        for s, e in passages[i].sentences
    ]
    untitled = [
        n
        for n, doc_id in enumerate(ordered)
        if settings.sentence_vectors and titles[n] is None and by_id[doc_id].title.strip()
    ]
    title_texts = [by_id[ordered[n]].title for n in untitled]
    if not passages:
        raise IndexStoreError("no passages to index: the seeds directory holds no article text")
    log.info(
        "embedding %d passages, %d sentences (%s) and %d titles",
        len(texts),
        len(sentence_texts),
        settings.sentence_scheme,
        len(title_texts),
    )
    if settings.sentence_vectors and settings.sentence_scheme == "pooled":
        spans = [_text_spans(passages[i], text) for i, text in zip(todo, texts, strict=True)]
        fresh = _embed_pooled(encoder, texts, spans, sentence_texts, title_texts, progress, workers)
    else:
        # one pass over all three kinds: the batches, hence the int8 vectors, stay as they were
        fresh = embed(encoder, texts + sentence_texts + title_texts, progress, workers=workers)
    sentence_start = len(texts)
    for n, i in enumerate(todo):
        vectors[i] = fresh[n]
        count = len(passages[i].sentences) if settings.sentence_vectors else 0
        sentence_vectors[i] = fresh[sentence_start : sentence_start + count]
        sentence_start += count
    for n, row in zip(untitled, fresh[sentence_start:], strict=True):
        titles[n] = row
    return _matrices(vectors, sentence_vectors, titles, settings)


def _text_spans(passage: Passage, text: str) -> list[tuple[int, int]]:
    """The passage's sentences as character offsets into `text`, its indexed text (which
    ends with the passage's own text, after the title and speaker lines if any)."""
    shift = len(text) - len(passage.text) - passage.start
    return [(start + shift, end + shift) for start, end in passage.sentences]


def _embed_pooled(
    encoder: Encoder,
    texts: list[str],
    spans: list[list[tuple[int, int]]],
    sentence_texts: list[str],
    title_texts: list[str],
    progress: Progress | None,
    workers: int,
) -> np.ndarray:
    """Rows as `embed(texts + sentence_texts + title_texts)` lays them out, with each
    sentence pooled from its passage's token states; only the sentences the passage's
    tokens do not reach (cut off by the model's token limit) are encoded on their own,
    in one pass with the titles."""
    total = len(texts) + len(title_texts)

    def first(done: int, _: int) -> None:
        if progress:
            progress(done, total)

    passage_vectors, pooled = embed_spans(encoder, texts, spans, first, workers=workers)
    sentences = np.vstack(pooled) if pooled else np.zeros((0, 0), dtype=np.float32)
    missing = [n for n, row in enumerate(sentences) if not row.any()]
    rest_texts = [sentence_texts[n] for n in missing] + title_texts
    if missing:
        log.info("encoding %d sentences past their passage's token limit", len(missing))

    def second(done: int, _: int) -> None:
        if progress:
            progress(len(texts) + done, len(texts) + len(rest_texts))

    rest = embed(encoder, rest_texts, second, workers=workers)
    if len(missing):
        sentences[missing] = rest[: len(missing)]
    parts = [p for p in (passage_vectors, sentences, rest[len(missing) :]) if len(p)]
    return np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def _matrices(
    vectors: Rows, sentence_vectors: Rows, titles: Rows, settings: BuildSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The passage, sentence and title matrices, contiguous float32."""
    passage_matrix = np.vstack([v for v in vectors if v is not None])
    dimension = passage_matrix.shape[1]
    sentence_matrix = np.vstack([v for v in sentence_vectors if v is not None])
    zeros = np.zeros(dimension, dtype=np.float32)
    title_matrix = (
        np.vstack([zeros if v is None else v for v in titles])
        if settings.sentence_vectors
        else np.zeros((0, dimension))
    )
    return (
        np.ascontiguousarray(passage_matrix, dtype=np.float32),
        np.ascontiguousarray(sentence_matrix, dtype=np.float32).reshape(-1, dimension),
        np.ascontiguousarray(title_matrix, dtype=np.float32),
    )


def update_index(
    root: Path,
    documents: Sequence[Document],
    settings: BuildSettings,
    encoder: Encoder,
    *,
    progress: Progress | None = None,
    api_documents: Collection[str] = (),
    stages: Stages | None = None,
    workers: int = 1,
) -> Index:
    """Build `documents` into a new version under `root`, reusing the live version's vectors.

    `api_documents` names the documents that came through the HTTP API (recorded in the
    manifest so later builds keep them). Holds the root's writer lock throughout.
    """
    with writer_lock(root):
        try:
            previous: Index | None = read_index(root, model=settings.model)
        except IndexStoreError as exc:
            log.info("not reusing the existing index: %s", exc)
            previous = None
        index = build_index(
            documents,
            settings,
            encoder,
            previous=previous,
            progress=progress,
            stages=stages,
            workers=workers,
        )
        ids = {d.id for d in documents}
        manifest = replace(index.manifest, api_documents=sorted(set(api_documents) & ids))
        index = replace(index, manifest=manifest)
        path = write_index(root, index)
    return replace(index, path=path)
