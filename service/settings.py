"""Settings: one typed object, read from SAYSO_* environment variables and CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.store import BuildSettings
from index.stores.registry import StoreConfig

Mode = Literal["hybrid", "dense", "lexical"]


class Settings(BaseSettings):
    """Every knob of sayso. Field descriptions double as CLI help and README rows."""

    model_config = SettingsConfigDict(env_prefix="SAYSO_", extra="ignore")

    seeds_dir: Path = Field(Path("seeds"), description="Directory of articles to index")
    index_dir: Path = Field(Path("var/index"), description="Where the index lives")
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: the bundled all-MiniLM-L6-v2 (offline), "
        "or any sentence-transformers name or path",
    )
    host: str = Field("127.0.0.1", description="Address `sayso serve` binds to")
    port: int = Field(8000, ge=0, le=65535, description="Port `sayso serve` listens on")
    api_key: str | None = Field(
        None, description="When set, write endpoints need `Authorization: Bearer <key>`"
    )
    mode: Mode = Field("hybrid", description="Default retrieval mode")
    fusion: str = Field("rrf", description="Hybrid fusion method: rrf, minmax or zscore")
    max_words: int = Field(120, ge=10, le=2000, description="Passage word budget")
    log_level: str = Field("info", description="Log level of the service")
    store: Literal["faiss", "qdrant"] = Field(
        "faiss",
        description="Where passages are searched: faiss (embedded files in the index "
        "directory) or qdrant (a Qdrant server or its embedded local mode)",
    )
    store_location: str = Field(
        "",
        description="For qdrant: a server URL (http://host:6333), a local directory, or "
        ":memory:; empty means var/qdrant",
    )
    store_collection: str = Field("sayso", description="Collection name in the store")
    dense_exact_max: int = Field(
        100_000,
        ge=0,
        description="Embedded dense index: exact (flat) up to this many passages, HNSW above",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (comma-separated, * for any); "
        "none by default",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    def build_settings(self) -> BuildSettings:
        return BuildSettings(
            model=self.model, max_words=self.max_words, dense_exact_max=self.dense_exact_max
        )

    def store_config(self) -> StoreConfig:
        return StoreConfig(
            name=self.store, location=self.store_location, collection=self.store_collection
        )
