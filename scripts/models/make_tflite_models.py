#!/usr/bin/env python3
"""Writes the TFLITE test models and their expected outputs into tests/data/ (run once; the outputs are committed).

Needs a scratch virtual environment with tensorflow-cpu 2.21.0 (the converter) and ai-edge-litert 2.3.0 (the
runtime the module loads), neither of which is part of `make test`:

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 ai-edge-litert==2.3.0
    /tmp/tfvenv/bin/python scripts/models/make_tflite_models.py

Models (float32, batch dimension dynamic, so the store resizes inputs to the shapes it is given):
- linear_6x4.tflite: y = x @ W + b, x [N, 6] -> y [N, 4], with W[i][j] = 0.1 (i+1) - 0.05 j and b[j] = 0.5 j
  (the weights of tests/data/linear_6x4.onnx, so tests can compute the answer in closed form).
- mnist_cnn.tflite: an MNIST-sized CNN, image [N, 28, 28, 1] -> probabilities [N, 10] (conv 3x3x8, ReLU,
  max-pool 2, conv 3x3x16, ReLU, max-pool 2, dense 10, softmax), weights drawn from a fixed seed.
- add_mul.tflite: two inputs a, b [N, 3] -> two outputs add = a + b, mul = a * b (input and output order).
- half_out.tflite: x [N, 4] float32 -> h = float16(2 x + 0.5), a float16 output (the store converts it to FLOAT).

`make_tflite_models.py NAME...` writes only the models named (all by default).

For each model, <name>.expected holds fixed inputs and the outputs LiteRT computes for them (checked against
TensorFlow running the same function): one `input|output <name> <dims...>` line, then one line of values, per
tensor, in the model's signature order.
"""
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data")


def convert(fn):
    """Converts through a SavedModel, so that the flatbuffer carries the function's signature (names, order)."""
    module = tf.Module()
    module.f = fn
    with tempfile.TemporaryDirectory() as d:
        tf.saved_model.save(module, d, signatures={"serving_default": fn.get_concrete_function()})
        return tf.lite.TFLiteConverter.from_saved_model(d).convert()


def linear():
    w = np.array([[0.1 * (i + 1) - 0.05 * j for j in range(4)] for i in range(6)], np.float32)
    b = np.array([0.5 * j for j in range(4)], np.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="x")])
    def f(x):
        return {"y": tf.matmul(x, w) + b}

    x = (np.arange(12, dtype=np.float32).reshape(2, 6) - 5.0) / 4.0
    return f, {"x": x}


def mnist_cnn():
    rng = np.random.default_rng(7)
    k1 = (rng.standard_normal((3, 3, 1, 8)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    k2 = (rng.standard_normal((3, 3, 8, 16)) * 0.2).astype(np.float32)
    b2 = (rng.standard_normal(16) * 0.1).astype(np.float32)
    w3 = (rng.standard_normal((5 * 5 * 16, 10)) * 0.1).astype(np.float32)
    b3 = (rng.standard_normal(10) * 0.1).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="image")])
    def f(image):
        h = tf.nn.relu(tf.nn.conv2d(image, k1, 1, "VALID") + b1)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.nn.relu(tf.nn.conv2d(h, k2, 1, "VALID") + b2)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.reshape(h, [-1, 5 * 5 * 16])
        return {"probabilities": tf.nn.softmax(tf.matmul(h, w3) + b3)}

    image = rng.random((1, 28, 28, 1), dtype=np.float32)
    return f, {"image": image}


def add_mul():
    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 3], tf.float32, name="a"),
            tf.TensorSpec([None, 3], tf.float32, name="b"),
        ]
    )
    def f(a, b):
        return {"add": a + b, "mul": a * b}

    a = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    b = np.array([[0.5, -1, 2], [3, 0.25, -2]], np.float32)
    return f, {"a": a, "b": b}


def half_out():
    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def f(x):
        return {"h": tf.cast(x * 2.0 + 0.5, tf.float16)}

    x = np.array([[1.0, -2.0, 0.333, 16000.0], [0.1, 0.2, 1e-3, -7.25]], np.float32)
    return f, {"x": x}


def in_model_order(by_name, details):
    """The signature's names ordered as the subgraph's tensors (`details`, the interpreter's order)."""
    indices = [d["index"] for d in details]
    return sorted(by_name, key=lambda k: indices.index(by_name[k]["index"]))


def line(kind, name, arr):
    head = " ".join([kind, name] + [str(d) for d in arr.shape])
    return head + "\n" + " ".join(repr(float(v)) for v in arr.reshape(-1)) + "\n"


def main():
    models = [("linear_6x4", linear), ("mnist_cnn", mnist_cnn), ("add_mul", add_mul), ("half_out", half_out)]
    for name, make in models:
        if len(sys.argv) > 1 and name not in sys.argv[1:]:
            continue
        fn, inputs = make()
        blob = convert(fn)
        interp = Interpreter(model_content=blob)
        runner = interp.get_signature_runner()
        # The signature's names in the model's own order (its subgraph's inputs and outputs, which LiteRT's C API
        # lists the same way), not the runner's (sorted by name).
        in_names = in_model_order(runner.get_input_details(), interp.get_input_details())
        out_names = in_model_order(runner.get_output_details(), interp.get_output_details())
        got = runner(**inputs)
        want = {k: v.numpy() for k, v in fn(**inputs).items()}
        for k in out_names:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6)
        with open(os.path.join(OUT, name + ".tflite"), "wb") as f:
            f.write(blob)
        with open(os.path.join(OUT, name + ".expected"), "w") as f:
            for k in in_names:
                f.write(line("input", k, inputs[k]))
            for k in out_names:
                f.write(line("output", k, got[k]))
        print(f"{name}.tflite: {len(blob)} bytes, inputs {in_names}, outputs {out_names}", file=sys.stderr)


if __name__ == "__main__":
    main()
