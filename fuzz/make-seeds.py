#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target under fuzz/seeds/<target>/ (committed; `make fuzz` copies it into
build/fuzz/corpus/ and grows it there). Valid inputs in each target's framing, so the fuzzer starts deep."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# resp_reply: what a Redis server answers.
for name, data in {
    "ok": b"+OK\r\n",
    "error": b"-ERR unknown command\r\n",
    "int": b":42\r\n",
    "bulk": b"$5\r\nhello\r\n",
    "nil": b"$-1\r\n*-1\r\n",
    "meta": b"*4\r\n$5\r\ndtype\r\n$5\r\nFLOAT\r\n$5\r\nshape\r\n*2\r\n:2\r\n:3\r\n",
    "nested": b"*2\r\n*2\r\n:1\r\n$1\r\na\r\n*0\r\n",
    "slots": b"*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:6379\r\n$40\r\n"
    + b"a" * 40
    + b"\r\n",
}.items():
    write("resp_reply", name, data)

# module_commands: parser selector byte, then newline-separated arguments.
def cmd(which, *args):
    return bytes([which]) + b"\n".join(a if isinstance(a, bytes) else a.encode() for a in args)

for name, data in {
    "tensorset_blob": cmd(0, "FLOAT", "2", "2", "BLOB", struct.pack("<4f", 1, 2, 3, 4)),
    "tensorset_values": cmd(0, "INT32", "3", "VALUES", "1", "-2", "3"),
    "tensorset_string": cmd(0, "STRING", "2", "BLOB", b"ab\0c\0"),
    "tensorset_zero": cmd(0, "UINT8", "4", "4"),
    "tensorget": cmd(1, "META", "VALUES"),
    "modelstore": cmd(2, "m", "ONNX", "CPU", "TAG", "t", "BATCHSIZE", "4", "MINBATCHSIZE", "2", "BLOB", "xyz"),
    "modelstore_tf": cmd(2, "m", "TF", "CPU", "INPUTS", "1", "a", "OUTPUTS", "1", "b", "BLOB", "xyz"),
    "modelset": cmd(3, "m", "TORCH", "GPU:1", "INPUTS", "a", "OUTPUTS", "b", "BLOB", "xyz"),
    "modelexecute": cmd(4 + 16 * 5, "m", "INPUTS", "1", "a", "OUTPUTS", "1", "b", "TIMEOUT", "100"),
    "modelrun": cmd(5 + 16 * 5, "m", "INPUTS", "a", "OUTPUTS", "b"),
    "scriptstore": cmd(6, "s", "CPU", "TAG", "t", "ENTRY_POINTS", "2", "f", "g", "SOURCE", "def f(a): return a"),
    "scriptset": cmd(7, "s", "CPU", "SOURCE", "def f(a): return a"),
    "scriptexecute": cmd(8, "s", "f", "KEYS", "1", "k", "INPUTS", "1", "a", "ARGS", "1", "x", "OUTPUTS", "1", "b"),
    "scriptrun": cmd(9, "s", "f", "INPUTS", "a", "$", "OUTPUTS", "b"),
}.items():
    write("module_commands", name, data)

# rdb_decode: selector byte (type = b % 3, encoding version = (b >> 2) % 6), then values framed as
# rdb_input::SliceInput reads them.
u = lambda v: struct.pack("<Q", v)
s = lambda v: struct.pack("<q", v)
buf = lambda b: struct.pack("<I", len(b)) + b


def selector(kind, encver):
    for b in range(256):
        if b % 3 == kind and (b >> 2) % 6 == encver:
            return bytes([b])
    raise ValueError


for name, data in {
    # FLOAT (dlpack code 2, 32 bits), shape 2x2.
    "tensor_v4": selector(0, 4) + u(2) + u(32) + s(2) + s(2) + s(2) + buf(struct.pack("<4f", 1, 2, 3, 4)),
    # STRING (DLPack code 7, 8 bits: one NUL), 2 elements, then each element's byte offset in the data.
    "tensor_v4_string": selector(0, 4) + u(7) + u(8) + s(1) + s(2) + buf(b"a\0bc\0") + u(0) + u(2),
    # v0: device type 1 (CPU), device id, bits, code, lanes, ndim, dims, strides, byte offset.
    "tensor_v0": selector(0, 0) + u(1) + u(0) + u(64) + u(0) + u(1) + u(1) + u(3) + u(1) + u(0)
    + buf(struct.pack("<3q", 1, 2, 3)),
    "model_v4": selector(1, 4) + u(3) + buf(b"CPU\0") + buf(b"tag") + u(0) + u(0) + u(0)
    + u(1) + buf(b"in\0") + u(1) + buf(b"out\0") + u(6) + u(2) + buf(b"abc") + buf(b"def"),
    "script_v4": selector(2, 4) + buf(b"CPU\0") + buf(b"tag") + buf(b"def f(a): return a\0") + u(1)
    + buf(b"f\0"),
}.items():
    write("rdb_decode", name, data)

# options: selector byte, then text.
for name, data in {
    "ssdb_one": b"\x00127.0.0.1:6379",
    "ssdb_many": b"\x00tcp://127.0.0.1:6379,10.0.0.2:6380,[::1]:7000",
    "ssdb_unix": b"\x00unix:///tmp/redis.sock",
    "address": b"\x01localhost:6379",
    "load_args": b"\x02THREADS_PER_QUEUE\n2\nINTRA_OP_PARALLELISM\n1\nMODEL_CHUNK_SIZE\n1024\nVALUES_REPLY_MAX\n10",
    "load_args_backend": b"\x02BACKENDSPATH\n/opt/backends\nONNX\nredisai_onnxruntime/redisai_onnxruntime.so",
}.items():
    write("options", name, data)

# dataset_meta: name\nvalue records separated by 0xFF; values are SmartRedis metadata fields.
strings = lambda *xs: bytes([7]) + b"".join(struct.pack("=Q", len(x)) + x for x in xs)
write(
    "dataset_meta",
    "fields",
    b"\xff".join(
        [
            b"dbl\n" + bytes([1]) + struct.pack("=2d", 1.5, -2.0),
            b"i64\n" + bytes([4]) + struct.pack("=q", 7),
            b"u32\n" + bytes([5]) + struct.pack("=2I", 1, 2),
            b"names\n" + strings(b"a", b"bc"),
            b".tensor_names\n" + strings(b"t0", b"t1"),
            b".COMPLETE\n1",
        ]
    ),
)
