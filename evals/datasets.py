"""Datasets: questions, relevance judgements and (for BEIR) the corpus, read from standard files.

Three input formats:

- a question file (JSONL `{"id", "question", "answers": [...]}`): a passage is relevant
  to a question when it contains one of the answer strings (the DPR convention), so the
  judgements come from the index's passages, not from a file;
- a BEIR directory (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`);
- TREC topics (SGML `<top>` blocks or `qid<TAB>text` lines) with a TREC qrels file
  (`qid 0 docid grade`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.documents import Document, jsonl_objects

Qrels = Mapping[str, Mapping[str, int]]
"""Relevance grades: query id -> document (or passage) id -> grade (> 0 is relevant)."""


class DatasetError(ValueError):
    """Evaluation data that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Query:
    """One question. `answers` is set for question files (DPR convention), else empty."""

    id: str
    text: str
    answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """Queries with their judgements; `documents` is the corpus to index (None: use the seeds).

    `kind` is "questions", "beir" or "trec". For "questions", `qrels` is empty: judgements
    are made against passages by `answer_qrels`.
    """

    name: str
    kind: str
    queries: tuple[Query, ...]
    qrels: Qrels = field(default_factory=dict)
    documents: tuple[Document, ...] | None = None


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DatasetError(f"{path} does not exist")
    return jsonl_objects(path, DatasetError)


def load_questions(path: Path) -> Dataset:
    """A question file: one `{"id", "question", "answers": [str, ...]}` per line."""
    queries = []
    seen: set[str] = set()
    for number, row in _jsonl(path):
        answers = row.get("answers")
        if not isinstance(row.get("question"), str) or not row["question"].strip():
            raise DatasetError(f"{path}:{number}: 'question' must be a non-empty string")
        if not isinstance(answers, list) or not all(isinstance(a, str) and a for a in answers):
            raise DatasetError(f"{path}:{number}: 'answers' must be a list of strings")
        qid = str(row.get("id") or f"q{number}")
        if qid in seen:
            raise DatasetError(f"{path}:{number}: duplicate id {qid!r}")
        seen.add(qid)
        queries.append(Query(qid, row["question"], tuple(answers)))
    if not queries:
        raise DatasetError(f"{path} holds no questions")
    return Dataset(name=path.stem, kind="questions", queries=tuple(queries))


def normalise_answer(text: str) -> str:
    """Lower-cased NFKC text with runs of whitespace made one space (answer matching)."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def answer_pattern(answer: str) -> re.Pattern[str]:
    """A pattern finding normalised `answer` on word boundaries: an answer that starts or
    ends with a word character must not continue a word there ("10" does not match "100",
    "ai" does not match "said"); an edge that is punctuation matches as written."""
    needle = normalise_answer(answer)
    before = r"(?<!\w)" if needle[:1].isalnum() or needle[:1] == "_" else ""
    after = r"(?!\w)" if needle[-1:].isalnum() or needle[-1:] == "_" else ""
    return re.compile(before + re.escape(needle) + after)


def has_answer(text: str, answers: tuple[str, ...]) -> bool:
    """True when `text` contains one of `answers` on word boundaries (`answer_pattern`),
    compared after `normalise_answer`."""
    haystack = normalise_answer(text)
    return any(answer_pattern(answer).search(haystack) for answer in answers if answer.strip())


def answer_qrels(
    queries: tuple[Query, ...], passages: Mapping[str, str]
) -> dict[str, dict[str, int]]:
    """Judgements for a question file: passage id -> 1 for every passage holding an answer."""
    return {
        query.id: {pid: 1 for pid, text in passages.items() if has_answer(text, query.answers)}
        for query in queries
    }


def load_beir_corpus(path: Path) -> tuple[Document, ...]:
    """BEIR `corpus.jsonl` (`{"_id", "title", "text"}`) as documents, text and title kept as is.

    A document with no text but a title is indexed by its title; one with neither is skipped.
    """
    documents = []
    for number, row in _jsonl(path):
        if "_id" not in row:
            raise DatasetError(f"{path}:{number}: missing '_id'")
        title = str(row.get("title") or "").strip()
        text = str(row.get("text") or "").strip()
        if not text:
            text, title = title, ""
        if text:
            documents.append(Document(id=str(row["_id"]), text=text, title=title))
    return tuple(documents)


def load_beir(directory: Path, split: str = "test") -> Dataset:
    """A BEIR dataset: the split's judged queries, its qrels and the whole corpus."""
    if not directory.is_dir():
        raise DatasetError(f"{directory} is not a BEIR directory")
    qrels = load_qrels(directory / "qrels" / f"{split}.tsv")
    texts = {}
    for number, row in _jsonl(directory / "queries.jsonl"):
        if "_id" not in row:
            raise DatasetError(f"{directory / 'queries.jsonl'}:{number}: missing '_id'")
        texts[str(row["_id"])] = str(row.get("text", ""))
    missing = sorted(set(qrels) - set(texts))
    if missing:
        raise DatasetError(
            f"{directory}/queries.jsonl lacks judged queries: {', '.join(missing[:5])}"
        )
    queries = tuple(Query(qid, texts[qid]) for qid in texts if qid in qrels)
    return Dataset(
        name=f"{directory.name}/{split}",
        kind="beir",
        queries=queries,
        qrels=qrels,
        documents=load_beir_corpus(directory / "corpus.jsonl"),
    )


IDENTICAL_ID_DATASETS = ("arguana", "quora")
"""BEIR datasets whose queries are corpus documents: the query's own document is no hit
(BEIR's `ignore_identical_ids`, on by default for these in its own evaluation)."""


def queries_are_documents(dataset: Dataset) -> bool:
    """Whether finding a query's own document should not count (`ignore_identical_ids`):
    a known such BEIR dataset, or at least half of the queries' ids are corpus document ids."""
    if dataset.kind == "questions" or not dataset.queries:
        return False
    if dataset.name.split("/")[0].lower() in IDENTICAL_ID_DATASETS:
        return True
    ids = {d.id for d in dataset.documents or ()}
    return 2 * sum(q.id in ids for q in dataset.queries) >= len(dataset.queries)


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Judgements from BEIR TSV (`query-id corpus-id score`, with a header) or TREC qrels
    (`qid iteration docid grade`), whitespace separated."""
    if not path.is_file():
        raise DatasetError(f"{path} does not exist")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.split()
            if not parts or (number == 1 and parts[0].lower() in ("query-id", "qid", "query_id")):
                continue
            if len(parts) == 3:
                qid, docid, grade = parts
            elif len(parts) == 4:
                qid, _, docid, grade = parts
            else:
                raise DatasetError(f"{path}:{number}: expected 3 (BEIR) or 4 (TREC) columns")
            try:
                qrels.setdefault(qid, {})[docid] = int(float(grade))
            except ValueError:
                raise DatasetError(f"{path}:{number}: grade {grade!r} is not a number") from None
    if not qrels:
        raise DatasetError(f"{path} holds no judgements")
    return qrels


_TOP = re.compile(r"<top>(.*?)</top>", re.S | re.I)
_NUM = re.compile(r"<num>\s*(?:Number:)?\s*(\S+)", re.I)
_TITLE = re.compile(r"<title>\s*(?:Topic:)?\s*(.*?)\s*(?=<|\Z)", re.S | re.I)


def load_topics(path: Path) -> list[Query]:
    """TREC topics: SGML `<top><num>..<title>..</top>` blocks, or `qid<TAB>text` lines.

    The title field is the query, as in most published TREC and BEIR runs.
    """
    if not path.is_file():
        raise DatasetError(f"{path} does not exist")
    raw = path.read_text(encoding="utf-8")
    queries: list[Query] = []
    if "<top>" in raw.lower():
        for block in _TOP.findall(raw):
            num, title = _NUM.search(block), _TITLE.search(block)
            if not num or not title:
                raise DatasetError(f"{path}: a <top> block lacks <num> or <title>")
            queries.append(Query(num.group(1), " ".join(title.group(1).split())))
    else:
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            qid, sep, text = line.partition("\t")
            if not sep or not text.strip():
                raise DatasetError(f"{path}:{number}: expected 'qid<TAB>query'")
            queries.append(Query(qid.strip(), text.strip()))
    if not queries:
        raise DatasetError(f"{path} holds no topics")
    return queries


def load_trec(topics: Path, qrels_path: Path, corpus: Path | None = None) -> Dataset:
    """TREC topics and qrels; `corpus` (a BEIR-style corpus.jsonl) is indexed when given,
    otherwise the seeds index is searched. Only judged topics are evaluated."""
    qrels = load_qrels(qrels_path)
    queries = tuple(q for q in load_topics(topics) if q.id in qrels)
    if not queries:
        raise DatasetError(f"no topic in {topics} has judgements in {qrels_path}")
    return Dataset(
        name=topics.stem,
        kind="trec",
        queries=queries,
        qrels=qrels,
        documents=load_beir_corpus(corpus) if corpus is not None else None,
    )


def load_dataset(
    data: Path, *, split: str = "test", qrels: Path | None = None, corpus: Path | None = None
) -> Dataset:
    """Whichever format `data` is: a BEIR directory, TREC topics (with `qrels`), or questions."""
    if data.is_dir():
        return load_beir(data, split)
    if qrels is not None:
        return load_trec(data, qrels, corpus)
    if data.suffix.lower() in (".jsonl", ".json"):
        return load_questions(data)
    raise DatasetError(
        f"{data}: expected a BEIR directory, a question file (.jsonl), or TREC topics with --qrels"
    )
