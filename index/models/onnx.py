"""ONNX Runtime encoder: export a sentence-transformers model to ONNX and embed with it on CPU."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from index.models.encoder import BATCH_SIZE, normalise, pool_spans

log = logging.getLogger(__name__)

FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
PROVIDERS = ["CPUExecutionProvider"]
OPSET = 17
# Bump when the export (RECIPE) or quantisation (INT8_RECIPE) recipe changes, so cached
# files of that variant are remade.
RECIPE = 1
INT8_RECIPE = 2
# Files whose content decides what the export computes; their hash goes into the sidecar.
_SOURCE_FILES = (
    "config.json",
    "sentence_bert_config.json",
    "tokenizer.json",
    "1_Pooling/config.json",
)


def onnx_model_path(cache_dir: Path, *, quantize: bool = False) -> Path:
    """Where the exported model of one variant lives: `model.onnx` or `model-int8.onnx`."""
    return cache_dir / (INT8_FILE if quantize else FP32_FILE)


def max_seq_length(model_dir: Path) -> int:
    """The model's token limit (special tokens included), from sentence_bert_config.json."""
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text()).get("max_seq_length")
        if value:
            return int(value)
    return int(json.loads((model_dir / "config.json").read_text())["max_position_embeddings"])


def source_fingerprint(model_dir: Path) -> str:
    """A hash of the model folder's configs plus the weights' names and sizes (not contents)."""
    digest = hashlib.sha256()
    for name in _SOURCE_FILES:
        path = model_dir / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for weights in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}\0".encode())
    return digest.hexdigest()


@contextmanager
def _atomic_target(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, renamed onto it only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a cached model should read like any file
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _recipe(model_path: Path) -> int:
    return INT8_RECIPE if model_path.name == INT8_FILE else RECIPE


def _write_sidecar(model_path: Path, model_dir: Path) -> None:
    sidecar = model_path.with_name(model_path.name + ".json")
    info = {
        "source": str(model_dir),
        "fingerprint": source_fingerprint(model_dir),
        "opset": OPSET,
        "recipe": _recipe(model_path),
    }
    with _atomic_target(sidecar) as tmp:
        tmp.write_text(json.dumps(info, indent=2) + "\n")


def is_current(model_path: Path, model_dir: Path) -> bool:
    """True if `model_path` exists and was made by this recipe from a folder like `model_dir`."""
    sidecar = model_path.with_name(model_path.name + ".json")
    if not (model_path.is_file() and sidecar.is_file()):
        return False
    try:
        recorded = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(recorded, dict)
        and recorded.get("recipe") == _recipe(model_path)
        and recorded.get("fingerprint") == source_fingerprint(model_dir)
    )


def _export_fp32(model_dir: Path, target: Path) -> None:
    import inspect

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # as dense.py does
    # Eager attention traces to plain MatMul/Softmax, which ONNX Runtime fuses itself.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    # BERT-style models take token_type_ids; MPNet (all-mpnet-base-v2) has no such input.
    names = [
        name
        for name in INPUT_NAMES
        if name != "token_type_ids" or name in inspect.signature(model.forward).parameters
    ]

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: Any) -> Any:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    # A padded example, so the traced graph keeps the attention-mask path.
    input_ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]])
    attention_mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    example = {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "token_type_ids": torch.zeros_like(input_ids),
    }
    axes = {0: "batch", 1: "sequence"}
    with _atomic_target(target) as tmp, torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter needs no onnxscript (the dynamo one would) but warns that
        # it is deprecated and that traced shape checks become constants; the parity tests
        # cover both, so keep the warnings out of callers' logs (and warnings-as-errors runs).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(model),
            tuple(example[name] for name in names),
            str(tmp),
            dynamo=False,
            input_names=names,
            output_names=[OUTPUT_NAME],
            dynamic_axes={name: axes for name in (*names, OUTPUT_NAME)},
            opset_version=OPSET,
            do_constant_folding=True,
        )


def _fuse(source: Path, target: Path, model_dir: Path) -> None:
    """ONNX Runtime's BERT fusions: one Attention, SkipLayerNorm and BiasGelu op per layer."""
    from onnxruntime.transformers import optimizer

    config = json.loads((model_dir / "config.json").read_text())
    fused = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=0,
    )
    fused.save_model_to_file(str(target))


def _quantize(source: Path, target: Path, model_dir: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Measured on MiniLM (AVX2 CPU, CHANGELOG "Performance"): quantising every MatMul and the
    # fused Attention's QKV projection, per-channel, runs a 15-token question in 0.5x the CPU
    # of fp32 (recipe 1, unfused with the FFN output MatMuls left in fp32: 0.7x). Min cosine
    # to fp32 0.983 over 600 SciFact titles and abstracts and the dev questions; 0.977 on
    # degenerate inputs ("", "hello", 0.975 to torch); dev-set retrieval as fp32. Embedding
    # Gathers stay fp32.
    with (
        tempfile.TemporaryDirectory(dir=target.parent) as work,
        _atomic_target(target) as tmp,
    ):
        fused = Path(work) / "fused.onnx"
        _fuse(source, fused, model_dir)
        quantize_dynamic(
            str(fused),
            str(tmp),
            weight_type=QuantType.QUInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            # Shape inference cannot type the contrib ops' outputs; they are all float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def export_onnx(model_dir: Path, out_dir: Path, *, quantize: bool = False) -> Path:
    """Export the model folder's transformer to `out_dir`; returns the variant's file.

    The graph maps (input_ids, attention_mask[, token_type_ids]), int64 of shape
    (batch, sequence), to last_hidden_state, float32 (batch, sequence, hidden); pooling and
    normalisation happen in `OnnxEncoder`. The int8 variant is quantised from the fp32 file,
    which is (re)made first when it is missing or stale. Every file is written to a temporary
    name and renamed, so a crash never leaves a half-written model.
    """
    fp32 = onnx_model_path(out_dir, quantize=False)
    if not (quantize and is_current(fp32, model_dir)):
        log.info("exporting %s to %s", model_dir, fp32)
        _export_fp32(model_dir, fp32)
        _write_sidecar(fp32, model_dir)
    if not quantize:
        return fp32
    int8 = onnx_model_path(out_dir, quantize=True)
    log.info("quantising %s to %s", fp32, int8)
    _quantize(fp32, int8, model_dir)
    _write_sidecar(int8, model_dir)
    return int8


def ensure_onnx(model_dir: Path, cache_dir: Path, *, quantize: bool = False) -> Path:
    """The cached export of `model_dir` in `cache_dir`, exported only if missing or stale."""
    path = onnx_model_path(cache_dir, quantize=quantize)
    if is_current(path, model_dir):
        return path
    return export_onnx(model_dir, cache_dir, quantize=quantize)


def session_options(threads: int | None = None) -> Any:
    """CPU session options tuned for one short query at a time on a small machine."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
    # One operator at a time: a BERT graph is a chain, parallel branches buy nothing.
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def inference_session(
    model: Path, threads: int | None = None, cache_dir: Path | None = None
) -> Any:
    """An ONNX Runtime session over `model` (session_options(threads)). With `cache_dir`,
    the optimised graph is saved there on first use and read back afterwards, which skips
    most of the optimisation pass at start-up (a third of the load time for a 12-layer
    model). The saved graph holds the hardware-independent optimisations only; the session
    adds the rest, so it runs the same graph as one made from `model`, with the same
    outputs. An unwritable `cache_dir` only costs the saving."""
    import onnxruntime as ort

    def session(path: Path) -> Any:
        options = session_options(threads)
        return ort.InferenceSession(str(path), sess_options=options, providers=PROVIDERS)

    if cache_dir is None:
        return session(model)
    stat = model.stat()
    # What decides the optimised graph: the file, the runtime, and the CPU architecture.
    source = (
        str(model.resolve()),
        stat.st_size,
        stat.st_mtime_ns,
        ort.__version__,
        platform.machine(),
    )
    key = hashlib.sha256(repr(source).encode()).hexdigest()[:16]
    optimised = cache_dir / f"{model.stem}.optimised-{key}.onnx"
    if not optimised.is_file():
        try:
            with _atomic_target(optimised) as tmp:
                options = session_options(threads)
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
                options.optimized_model_filepath = str(tmp)
                options.add_session_config_entry("session.save_model_format", "ONNX")
                ort.InferenceSession(str(model), sess_options=options, providers=PROVIDERS)
        except OSError as exc:
            log.info("not caching the optimised %s in %s: %s", model.name, cache_dir, exc)
            return session(model)
        for stale in cache_dir.glob(f"{model.stem}.optimised-*.onnx"):
            if stale != optimised:
                stale.unlink(missing_ok=True)
    return session(optimised)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the attention mask keeps (sentence-transformers' default)."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    return np.asarray(summed / np.maximum(weights.sum(axis=1), 1e-9), dtype=np.float32)


def cls_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The first token's ([CLS]) vector, as BGE models are trained to be used."""
    return np.ascontiguousarray(hidden[:, 0, :], dtype=np.float32)


POOLING: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "mean": mean_pool,
    "cls": cls_pool,
}


def get_pooling(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The pooling function registered under `name`."""
    try:
        return POOLING[name]
    except KeyError:
        raise ValueError(
            f"unknown pooling {name!r}; choose one of: {', '.join(sorted(POOLING))}"
        ) from None


class OnnxEncoder:
    """Pooled, L2-normalised sentence embeddings from an ONNX transformer.

    `pooling` is "mean" (sentence-transformers models) or "cls" (BGE). `query_prefix` is
    prepended to questions by `encode_queries` only; `encode` embeds passages as given.
    """

    def __init__(
        self,
        model_dir: Path,
        onnx_path: Path,
        *,
        threads: int | None = None,
        batch_size: int = BATCH_SIZE,
        pooling: str = "mean",
        query_prefix: str = "",
        cache_dir: Path | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        self.max_tokens = max_seq_length(model_dir)
        self.query_prefix = query_prefix
        self._pool = get_pooling(pooling)
        self._batch_size = batch_size
        self._tokenizer: Any = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json may carry its own fixed padding/truncation (MiniLM's says 128): override.
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        pad_token = self._tokenizer.padding["pad_token"] if self._tokenizer.padding else "[PAD]"
        pad_id = self._tokenizer.token_to_id(pad_token) or 0
        self._tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
        self._session: Any = inference_session(onnx_path, threads, cache_dir)
        self._inputs = [i.name for i in self._session.get_inputs()]
        self.dimension = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit float32 vectors, shape (len(texts), dimension), in the order of `texts`."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows, encodings in self._batches(texts):
            out[rows] = self._pool(*self._hidden(encodings))
        return normalise(out)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, each text after the model's query prefix (none for MiniLM)."""
        return self.encode([self.query_prefix + t for t in texts])

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode(texts)`, and per text one unit row per (start, end) character span of
        `spans[i]`: the mean of the last hidden states of the tokens starting in the span
        (from the same forward pass; see `pool_spans`), zeros where truncation cut the
        span off. Batches as `encode` does, so the text vectors are `encode`'s."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled = [np.zeros((len(s), self.dimension), dtype=np.float32) for s in spans]
        for rows, encodings in self._batches(texts):
            hidden, mask = self._hidden(encodings)
            out[rows] = self._pool(hidden, mask)
            for n, row in enumerate(rows):
                pooled[row] = _pool_encoding(hidden[n], encodings[n], spans[row])
        return normalise(out), pooled

    def _batches(self, texts: list[str]) -> Iterator[tuple[np.ndarray, list[Any]]]:
        """(rows, their tokenisations) in batches of similar length, which waste less work
        on padding; the caller puts each batch's results back at `rows`."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self._batch_size):
            rows = order[start : start + self._batch_size]
            yield rows, self._tokenizer.encode_batch([texts[i] for i in rows])

    def _hidden(self, encodings: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Last hidden states (batch, sequence, hidden) and the attention mask of a batch."""
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (hidden,) = self._session.run([OUTPUT_NAME], {k: feeds[k] for k in self._inputs})
        return hidden, feeds["attention_mask"]


def _pool_encoding(
    hidden: np.ndarray, encoding: Any, spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """`pool_spans` over one tokenised text's content tokens (special and padding tokens
    left out); a truncated text reaches only as far as its last kept token."""
    keep = np.array(encoding.attention_mask, dtype=bool) & ~np.array(
        encoding.special_tokens_mask, dtype=bool
    )
    offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)[keep]
    reach = int(offsets[-1, 1]) if encoding.overflowing and len(offsets) else sys.maxsize
    return pool_spans(hidden[keep], offsets[:, 0], spans, reach)
