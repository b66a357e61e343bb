"""Builds two small models as other frameworks export them, with Debian's python3-onnx (no download):

- iris_classifier.onnx, as scikit-learn's exporter writes a logistic regression: the ai.onnx.ml domain's
  LinearClassifier, a [N, 4] float input, int64 labels and [N, 3] probabilities (without ZipMap);
- digits_cnn.onnx, as tf2onnx writes a Keras CNN: channels-last input [N, 28, 28, 1], transposed to channels-first
  for the convolution, softmax over 10 classes.

Beside each, NAME.sample.json: a few inputs and the outputs numpy computes for them, for onnx_models.ipynb to check.
Run: /usr/bin/python3 make_models.py [OUT_DIR]
"""
import json
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
rng = np.random.default_rng(0)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def save(model, name, inputs, outputs):
    onnx.checker.check_model(model)
    onnx.save(model, out / f"{name}.onnx")
    sample = {"inputs": {k: {"shape": list(v.shape), "data": v.ravel().tolist()} for k, v in inputs.items()},
              "outputs": {k: {"shape": list(v.shape), "data": v.ravel().tolist()} for k, v in outputs.items()}}
    (out / f"{name}.sample.json").write_text(json.dumps(sample))


# scikit-learn style: multinomial logistic regression on the iris measurements (coefficients as a fit gives them).
coefficients = np.array([[-0.42, 0.97, -2.52, -1.08], [0.53, -0.32, -0.21, -0.94], [-0.11, -0.65, 2.73, 2.02]], dtype=np.float32)
intercepts = np.array([9.85, 2.24, -12.09], dtype=np.float32)
classifier = helper.make_node("LinearClassifier", ["float_input"], ["label", "probabilities"], domain="ai.onnx.ml",
                              coefficients=coefficients.ravel().tolist(), intercepts=intercepts.tolist(),
                              classlabels_ints=[0, 1, 2], multi_class=1, post_transform="SOFTMAX")
graph = helper.make_graph([classifier], "iris_logistic_regression",
                          [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, 4])],
                          [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                           helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 3])])
iris = helper.make_model(graph, producer_name="skl2onnx-style", opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)])
flowers = np.array([[5.1, 3.5, 1.4, 0.2], [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 5.1, 1.8]], dtype=np.float32)
probabilities = softmax(flowers @ coefficients.T + intercepts)
save(iris, "iris_classifier", {"float_input": flowers},
     {"label": probabilities.argmax(axis=1).astype(np.int64), "probabilities": probabilities.astype(np.float32)})

# TensorFlow style: NHWC in, Transpose, Conv 3x3 (8 filters, same padding), Relu, global average, Dense, Softmax.
kernel = rng.normal(0, 0.3, (8, 1, 3, 3)).astype(np.float32)
bias = rng.normal(0, 0.1, 8).astype(np.float32)
dense = rng.normal(0, 0.5, (8, 10)).astype(np.float32)
dense_bias = rng.normal(0, 0.1, 10).astype(np.float32)
nodes = [
    helper.make_node("Transpose", ["input_1"], ["nchw"], perm=[0, 3, 1, 2]),
    helper.make_node("Conv", ["nchw", "conv2d/kernel", "conv2d/bias"], ["conv"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["conv"], ["relu"]),
    helper.make_node("GlobalAveragePool", ["relu"], ["pooled"]),
    helper.make_node("Flatten", ["pooled"], ["features"]),
    helper.make_node("MatMul", ["features", "dense/kernel"], ["logits_no_bias"]),
    helper.make_node("Add", ["logits_no_bias", "dense/bias"], ["logits"]),
    helper.make_node("Softmax", ["logits"], ["dense"], axis=-1),
]
graph = helper.make_graph(nodes, "keras_digits_cnn",
                          [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__6", 28, 28, 1])],
                          [helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__7", 10])],
                          [numpy_helper.from_array(kernel, "conv2d/kernel"), numpy_helper.from_array(bias, "conv2d/bias"),
                           numpy_helper.from_array(dense, "dense/kernel"), numpy_helper.from_array(dense_bias, "dense/bias")])
cnn = helper.make_model(graph, producer_name="tf2onnx-style", opset_imports=[helper.make_opsetid("", 13)])
digits = rng.random((3, 28, 28, 1), dtype=np.float32)
padded = np.pad(digits[..., 0], ((0, 0), (1, 1), (1, 1)))
conv = np.stack([sum(kernel[f, 0, i, j] * padded[:, i:i + 28, j:j + 28] for i in range(3) for j in range(3)) + bias[f] for f in range(8)], axis=1)
features = np.maximum(conv, 0).mean(axis=(2, 3))
save(cnn, "digits_cnn", {"input_1": digits}, {"dense": softmax(features @ dense + dense_bias).astype(np.float32)})
print(f"wrote iris_classifier.onnx and digits_cnn.onnx to {out}")
