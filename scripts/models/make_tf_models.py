#!/usr/bin/env python3
"""Writes the TF backend's test models and their expected outputs into tests/data/tf/ (committed; not run by
`make test`). Needs TensorFlow, e.g. from the same wheel the install step fetches:

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install build/wheels/tensorflow_cpu-2.21.0-*.whl
    /tmp/tfvenv/bin/python scripts/models/make_tf_models.py

Both models are frozen GraphDefs (constants only, no variables), built in a TF1-style graph so that operation names
are fixed. Inputs and TensorFlow's outputs for them are raw little-endian float32 files, row-major:
  linear.pb   inputs  x [N,3], b [N,2] (Placeholders)  outputs  y = x.W + b [N,2] (Identity), scaled = 2y [N,2]
  cnn.pb      input   input [N,28,28,1]                output   output [N,10] (softmax; MNIST-sized CNN:
              conv 3x3x8 relu, maxpool 2, conv 3x3x16 relu, maxpool 2, dense 400->10)
  linear_x.f32 [4,3], linear_b.f32 [4,2], linear_y.f32 [4,2], linear_scaled.f32 [4,2]
  cnn_input.f32 [4,28,28,1], cnn_output.f32 [4,10]
"""
import os
import sys

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "tf")


def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(np.ascontiguousarray(data, dtype="<f4").tobytes())


def write(name, graph, feeds, fetches):
    """Writes the GraphDef and the outputs TensorFlow computes for `feeds`."""
    gd = graph.as_graph_def()
    with open(os.path.join(OUT, name + ".pb"), "wb") as f:
        f.write(gd.SerializeToString())
    with tf1.Session(graph=graph) as s:
        outs = s.run([graph.get_tensor_by_name(n + ":0") for n in fetches],
                     {graph.get_tensor_by_name(k + ":0"): v for k, v in feeds.items()})
    for n, v in zip(fetches, outs):
        save(f"{name}_{n}.f32", v)
    for k, v in feeds.items():
        save(f"{name}_{k}.f32", v)
    print(f"{name}.pb: {len(gd.SerializeToString())} bytes")


def linear(rng):
    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 3], name="x")
        b = tf1.placeholder(tf.float32, [None, 2], name="b")
        w = tf.constant(rng.standard_normal((3, 2)).astype(np.float32), name="W")
        y = tf.identity(tf.matmul(x, w) + b, name="y")
        tf.identity(y * 2.0, name="scaled")
    feeds = {"x": rng.standard_normal((4, 3)).astype(np.float32),
             "b": rng.standard_normal((4, 2)).astype(np.float32)}
    write("linear", g, feeds, ["y", "scaled"])


def cnn(rng):
    def const(shape, scale, name):
        return tf.constant((rng.standard_normal(shape) * scale).astype(np.float32), name=name)

    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 28, 28, 1], name="input")
        h = tf.nn.relu(tf.nn.conv2d(x, const((3, 3, 1, 8), 0.3, "c1w"), 1, "VALID") + const((8,), 0.1, "c1b"))
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.nn.relu(tf.nn.conv2d(h, const((3, 3, 8, 16), 0.1, "c2w"), 1, "VALID") + const((16,), 0.1, "c2b"))
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.reshape(h, [-1, 5 * 5 * 16])
        logits = tf.matmul(h, const((400, 10), 0.05, "dw")) + const((10,), 0.1, "db")
        tf.nn.softmax(logits, name="output")
    feeds = {"input": rng.random((4, 28, 28, 1)).astype(np.float32)}
    write("cnn", g, feeds, ["output"])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261129)
    linear(rng)
    cnn(rng)
    print(f"TensorFlow {tf.__version__}: models in {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
