"""ONNX Runtime encoder: parity with sentence-transformers, caching, and backend choice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.models.encoder import SentenceTransformerEncoder, bundled_model_path
from index.models.encoders import BACKENDS, load_encoder
from index.models.onnx import (
    FP32_FILE,
    INT8_FILE,
    RECIPE,
    OnnxEncoder,
    ensure_onnx,
    is_current,
    max_seq_length,
    source_fingerprint,
)

LONG = " ".join(
    f"Sentence {i} says that vitamin D supplementation changed fracture risk in cohort {i}."
    for i in range(60)
)
TEXTS = [
    "Does vitamin D reduce fracture risk?",
    "hello",
    "",
    "   ",
    "The mitochondria is the powerhouse of the cell.",
    "BRCA1 mutations increase the lifetime risk of breast and ovarian cancer.",
    "Café, naïve, façade and résumé carry accents.",
    "Ünïcödé: Grüße aus München — ¿qué tal? ça va!",
    "東京は日本の首都です。",
    "Москва — столица России.",
    "مرحبا بالعالم",
    "Emoji 😀🎉 and symbols ∑ ∫ √ ≤ ≥ → ©",
    "A" * 300,
    "COVID-19 vaccines elicit neutralising antibodies against SARS-CoV-2 variants.",
    "i.e., e.g., etc. -- punctuation!!! ??? ...",
    "1234567890 3.14159 2.71828 1e-9",
    "Smoking during pregnancy is associated with low birth weight.",
    "The quick brown fox jumps over the lazy dog.",
    LONG,
    LONG + " A different tail that lies beyond the token limit.",
]


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return bundled_model_path()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def torch_vectors(real_encoder: SentenceTransformerEncoder) -> np.ndarray:
    return real_encoder.encode(TEXTS)


@pytest.fixture(scope="session")
def fp32(model_dir: Path, cache_dir: Path) -> OnnxEncoder:
    return OnnxEncoder(model_dir, ensure_onnx(model_dir, cache_dir))


@pytest.fixture(scope="session")
def int8(model_dir: Path, cache_dir: Path) -> OnnxEncoder:
    return OnnxEncoder(model_dir, ensure_onnx(model_dir, cache_dir, quantize=True))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_unknown_backend_lists_choices() -> None:
    with pytest.raises(ValueError) as excinfo:
        load_encoder("all-MiniLM-L6-v2", backend="tensorflow")
    message = str(excinfo.value)
    assert "'tensorflow'" in message
    for name in BACKENDS:
        assert name in message


def test_onnx_backend_needs_cache_dir() -> None:
    with pytest.raises(ValueError, match="cache_dir"):
        load_encoder("all-MiniLM-L6-v2", backend="onnx", cache_dir=None)


@pytest.mark.model
def test_long_text_exceeds_token_limit(fp32: OnnxEncoder, model_dir: Path) -> None:
    from tokenizers import Tokenizer

    assert max_seq_length(model_dir) == 256
    raw = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    raw.no_truncation()
    assert len(raw.encode(LONG).ids) > 256


@pytest.mark.model
def test_fp32_matches_torch(fp32: OnnxEncoder, torch_vectors: np.ndarray) -> None:
    vectors = fp32.encode(TEXTS)
    assert cosines(vectors, torch_vectors).min() >= 0.9999


# Inputs with next to no content, whose vectors carry no meaning to preserve.
DEGENERATE = frozenset({"", "   ", "hello", "A" * 300})


@pytest.mark.model
def test_int8_close_to_torch(int8: OnnxEncoder, torch_vectors: np.ndarray) -> None:
    # All-int8 recipe (CHANGELOG "Performance"): >= 0.98 on text, ~0.975 on degenerate input.
    similar = cosines(int8.encode(TEXTS), torch_vectors)
    degenerate = np.array([text in DEGENERATE for text in TEXTS])
    assert similar[~degenerate].min() >= 0.98
    assert similar[degenerate].min() >= 0.97


@pytest.mark.model
@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_shape_dtype_and_unit_rows(variant: str, request: pytest.FixtureRequest) -> None:
    encoder: OnnxEncoder = request.getfixturevalue(variant)
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


@pytest.mark.model
def test_small_batches_keep_input_order(
    model_dir: Path, cache_dir: Path, fp32: OnnxEncoder
) -> None:
    batched = OnnxEncoder(model_dir, ensure_onnx(model_dir, cache_dir), batch_size=3)
    one_by_one = np.vstack([fp32.encode([text]) for text in TEXTS])
    np.testing.assert_allclose(batched.encode(TEXTS), one_by_one, atol=1e-5)


@pytest.mark.model
def test_cache_is_reused_and_named_by_variant(
    model_dir: Path, cache_dir: Path, fp32: OnnxEncoder, int8: OnnxEncoder
) -> None:
    fp32_path, int8_path = cache_dir / FP32_FILE, cache_dir / INT8_FILE
    assert is_current(fp32_path, model_dir) and is_current(int8_path, model_dir)
    stamps = (fp32_path.stat().st_mtime_ns, int8_path.stat().st_mtime_ns)
    assert ensure_onnx(model_dir, cache_dir) == fp32_path
    assert ensure_onnx(model_dir, cache_dir, quantize=True) == int8_path
    assert (fp32_path.stat().st_mtime_ns, int8_path.stat().st_mtime_ns) == stamps
    assert not [p for p in cache_dir.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.model
def test_stale_sidecar_is_not_current(model_dir: Path, tmp_path: Path) -> None:
    fake = tmp_path / FP32_FILE
    fake.write_bytes(b"not a model")
    assert not is_current(fake, model_dir)  # no sidecar
    sidecar = tmp_path / (FP32_FILE + ".json")
    fingerprint = source_fingerprint(model_dir)
    sidecar.write_text(json.dumps({"fingerprint": fingerprint, "recipe": RECIPE}))
    assert is_current(fake, model_dir)
    sidecar.write_text(json.dumps({"fingerprint": "something else", "recipe": RECIPE}))
    assert not is_current(fake, model_dir)
    sidecar.write_text(json.dumps({"fingerprint": fingerprint, "recipe": RECIPE - 1}))
    assert not is_current(fake, model_dir)


@pytest.mark.model
def test_load_encoder_uses_the_cache(cache_dir: Path, fp32: OnnxEncoder) -> None:
    encoder = load_encoder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache_dir)
    np.testing.assert_allclose(encoder.encode(TEXTS[:4]), fp32.encode(TEXTS[:4]), atol=1e-6)


def _reference_spans(
    model_dir: Path, text: str, spans: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Torch's last hidden states of `text`, pooled over each span by hand: the unit mean
    of the tokens whose offset mapping starts in the span; and the text's mean-pooled vector."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    batch = tokenizer(
        [text], return_offsets_mapping=True, return_tensors="pt", truncation=True, max_length=256
    )
    offsets = batch.pop("offset_mapping")[0].numpy()
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state[0].numpy()
    content = [n for n, (s, e) in enumerate(offsets) if e > s]  # [CLS] and [SEP] are (0, 0)
    rows = []
    for start, end in spans:
        mine = [n for n in content if start <= offsets[n][0] < end]
        rows.append(hidden[mine].mean(axis=0) if mine else np.zeros(hidden.shape[1]))
    pooled = np.array(rows, dtype=np.float32)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    whole = hidden.mean(axis=0)
    return pooled / norms, whole / np.linalg.norm(whole)


@pytest.mark.model
def test_span_vectors_pool_the_tokens_of_their_span(fp32: OnnxEncoder, model_dir: Path) -> None:
    text = "Li Dongsheng said: Quality matters most. Café prices rose 3.5% in Zürich."
    spans = [(0, 18), (19, 40), (41, len(text)), (19, 23)]
    vectors, (pooled,) = fp32.encode_spans([text], [spans])
    expected, whole = _reference_spans(model_dir, text, spans)
    assert np.array_equal(vectors, fp32.encode([text]))  # the texts' own vectors unchanged
    assert float(vectors[0] @ whole) >= 0.9999
    assert cosines(pooled, expected).min() >= 0.9999
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_spans_past_the_token_limit_come_back_as_zero_rows(fp32: OnnxEncoder) -> None:
    head = LONG[: LONG.index(" Sentence 1 ")]
    tail = LONG[LONG.rindex("Sentence 59") :]
    _, (pooled,) = fp32.encode_spans([LONG], [[(0, len(head)), (len(LONG) - len(tail), len(LONG))]])
    assert np.linalg.norm(pooled[0]) == pytest.approx(1.0, abs=1e-5)
    assert not pooled[1].any()  # the encoder's tokens end long before sentence 59
