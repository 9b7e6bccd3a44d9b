"""Opening the index: load it, build it when missing or stale, refuse or rebuild when damaged.

Where documents live: `seeds/` holds the seed articles; the index is the store of record
for articles added through the HTTP API (their ids are listed in the manifest). A build
from seeds therefore keeps API articles, which take precedence over a seed file with the
same id; `sayso build --reset` drops them and indexes exactly the seeds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from index.build import Progress, is_current, update_index
from index.disk import (
    Index,
    IndexSchemaError,
    IndexStoreError,
    read_documents,
    read_index,
    remove_leftovers,
)
from index.documents import Document, load_documents
from index.models.encoder import Encoder
from index.progress import LogStages, Stages, only_embedding
from index.search import Searcher
from index.search.second import passage_vectors
from service import wiring
from service.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    index: Index
    built: bool


def _existing(root: Path) -> bool:
    return (root / "CURRENT").exists()


def open_index(
    settings: Settings,
    encoder: Encoder | None,
    *,
    force: bool = False,
    repair: bool | None = None,
    reset: bool = False,
    progress: Progress | None = None,
    stages: Stages | None = None,
) -> Opened:
    """The live index, built first when missing, stale (seeds, model or settings changed) or
    `force`d. A damaged or incompatible index raises IndexStoreError naming the file and the
    fix, unless `repair` (default: SAYSO_REBUILD_ON_ERROR) says to rebuild from the seeds.
    `encoder` may be None when the caller can load one lazily via `wiring.encoder(settings)`.
    `stages` hears each stage of a build by name; without it (nor `progress`) the stages
    go to the log.
    """
    repair = settings.rebuild_on_error if repair is None else repair
    root = settings.index_dir
    seeds = load_documents(settings.seeds_dir)
    previous: Index | None = None
    api: list[Document] = []
    if _existing(root):
        try:
            previous = read_index(root)  # any model: a model change is staleness, not damage
            api = _api_documents(previous)
        except IndexSchemaError as exc:
            # An older sayso version wrote it: rebuild, keeping the documents it holds.
            stored, api_ids = read_documents(root)
            api = [d for d in stored if d.id in set(api_ids)]
            log.warning("rebuilding the index (%d API documents kept): %s", len(api), exc)
        except IndexStoreError as exc:
            if not repair:
                raise IndexStoreError(
                    f"{exc} (or set SAYSO_REBUILD_ON_ERROR=true to rebuild from "
                    f"{settings.seeds_dir} on startup)"
                ) from exc
            log.warning("rebuilding the index from %s: %s", settings.seeds_dir, exc)
    api = [] if reset else api
    documents = _merge(seeds, api)
    build = wiring.build_settings(settings)
    if previous is not None and not force and is_current(root, documents, build):
        remove_leftovers(root)
        return Opened(previous, built=False)
    if encoder is None:
        encoder = wiring.encoder(settings)
    stages = stages or (only_embedding(progress) if progress else LogStages(log))
    workers = wiring.build_workers(settings)
    index = update_index(
        root,
        documents,
        build,
        encoder,
        stages=stages,
        api_documents=[d.id for d in api],
        workers=workers,
    )
    second = wiring.second_model(settings, root)
    if second is not None:  # embed now so the first search does not pay for it
        passage_vectors(
            index,
            second.encoder,
            second.name,
            root,
            progress=stages("embedding with the second model"),
            workers=workers,
        )
    return Opened(index, built=True)


def load_searcher(settings: Settings) -> Searcher:
    """Load the encoder and the live index named by `settings` (raises IndexStoreError).

    With SAYSO_REBUILD_ON_ERROR, an index that cannot be loaded is rebuilt from the seeds.
    """
    loaded_encoder = wiring.encoder(settings)
    try:
        index = read_index(settings.index_dir, model=settings.model)
    except IndexStoreError:
        if not settings.rebuild_on_error:
            raise
        index = open_index(settings, loaded_encoder, repair=True).index
    # A server is ready at once; token vectors not warm yet are computed as first read.
    return wiring.searcher(index, loaded_encoder, settings, warm="background")


def _api_documents(index: Index) -> list[Document]:
    return [index.documents[i] for i in index.manifest.api_documents if i in index.documents]


def _merge(seeds: list[Document], api: list[Document]) -> list[Document]:
    """Seeds plus API documents; an API document replaces a seed with its id."""
    merged = {d.id: d for d in seeds}
    shadowed = sorted(d.id for d in api if d.id in merged)
    if shadowed:
        log.info("API documents take precedence over seed files: %s", ", ".join(shadowed))
    merged.update({d.id: d for d in api})
    return sorted(merged.values(), key=lambda d: d.id)
