"""Upstream's SmartRedis Python client (smartredis 0.6.1) on one side of an interoperability check; tests/interop.rs
drives our C API on the other side and generates the same values (keep the generators in step).

    python interop.py write TAG   # tensors, a dataset and an aggregation list, named after TAG
    python interop.py check TAG   # reads what the other side wrote under TAG; exits non-zero on any difference
    python interop.py models TAG ADDMUL.onnx LINEAR.onnx   # models both ways (tests/interop.rs `models`)
    python interop.py scripts TAG SCRIPT.txt               # scripts both ways (tests/interop.rs `scripts`)

The environment carries SSDB, SR_DB_TYPE, SSKEYIN, SSKEYOUT and SR_INTEROP_PREFIX (1: every ensemble prefix flag
on, 0: all off).
"""

import os
import sys

import numpy as np
from smartredis import Client, Dataset

# (SmartRedis type name, numpy type, shape) in SRTensorType order (1..8).
TENSOR_TYPES = [
    ("DOUBLE", np.float64, (5,)),
    ("FLOAT", np.float32, (3, 4)),
    ("INT8", np.int8, (2, 3, 4)),
    ("INT16", np.int16, (2, 1, 3, 2)),
    ("INT32", np.int32, (7, 3)),
    ("INT64", np.int64, (4, 4, 2)),
    ("UINT8", np.uint8, (1, 9)),
    ("UINT16", np.uint16, (3, 2, 2)),
]
# (SmartRedis metadata type name, numpy type) in SRMetaDataType order (1..6).
META_TYPES = [
    ("DOUBLE", np.float64),
    ("FLOAT", np.float32),
    ("INT32", np.int32),
    ("INT64", np.int64),
    ("UINT32", np.uint32),
    ("UINT64", np.uint64),
]
META_COUNT = 5
STRINGS = ["", "plain ascii", "\u00fcn\u00efc\u00f6d\u00e9 \u2713", "x" * 10000, "tab\tnew\nline"]
LIST_LEN = 5
MASK64 = (1 << 64) - 1


def bits(i, seed):
    """Element i of stream `seed`: 64 pseudo-random bits (the same function as in tests/interop.rs)."""
    x = ((i + 1) * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9) & MASK64
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 29)


def values(np_type, n, seed):
    """n values of np_type whose bytes are the low bytes of bits(i, seed): every bit pattern is fair game, NaN
    payloads and negative zero included."""
    width = np.dtype(np_type).itemsize
    mask = (1 << (8 * width)) - 1
    raw = np.array([bits(i, seed) & mask for i in range(n)], dtype="<u%d" % width)
    return raw.view(np_type)


def tensor(k, seed):
    _, np_type, shape = TENSOR_TYPES[k]
    return values(np_type, int(np.prod(shape)), seed).reshape(shape)


def same(a, b):
    """Exactly equal: type, shape and every byte."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def fail(msg):
    print("interop.py: " + msg, file=sys.stderr)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def client():
    c = Client(logger_name="interop-python")
    on = os.environ.get("SR_INTEROP_PREFIX") == "1"
    c.use_tensor_ensemble_prefix(on)
    c.use_dataset_ensemble_prefix(on)
    c.use_list_ensemble_prefix(on)
    return c


def full_dataset(name):
    ds = Dataset(name)
    for k, (tname, _, _) in enumerate(TENSOR_TYPES):
        ds.add_tensor("t_" + tname, tensor(k, 200 + k))
    for k, (mname, np_type) in enumerate(META_TYPES):
        for v in values(np_type, META_COUNT, 500 + k):
            ds.add_meta_scalar("m_" + mname, v)
    for s in STRINGS:
        ds.add_meta_string("strings", s)
    ds.add_meta_string("one", "only")
    return ds


def list_item(tag, i):
    ds = Dataset("%s_item_%d" % (tag, i))
    ds.add_tensor("x", tensor(4, 700 + i))
    ds.add_meta_scalar("index", np.int64(i))
    ds.add_meta_string("label", "item %d" % i)
    return ds


def write(tag):
    c = client()
    for k, (tname, _, _) in enumerate(TENSOR_TYPES):
        # The Python client sends numpy's C order only; "_f" carries the same values under a second name (our
        # side writes it from Fortran-ordered memory).
        for layout in ("c", "f"):
            c.put_tensor("%s_t_%s_%s" % (tag, tname, layout), tensor(k, 100 + k))
    c.put_dataset(full_dataset(tag + "_ds"))
    for i in range(LIST_LEN):
        ds = list_item(tag, i)
        c.put_dataset(ds)
        c.append_to_list(tag + "_list", ds)


def check_full_dataset(ds, name):
    expect(ds.get_name() == name, "dataset name %r, expected %r" % (ds.get_name(), name))
    names = ["t_" + t for t, _, _ in TENSOR_TYPES]
    expect(ds.get_tensor_names() == names, "tensor names %r, expected %r" % (ds.get_tensor_names(), names))
    for k, (tname, np_type, shape) in enumerate(TENSOR_TYPES):
        got = ds.get_tensor("t_" + tname)
        expect(same(got, tensor(k, 200 + k)), "dataset tensor t_%s differs: %r" % (tname, got))
        # The raw type name: the Python wrapper maps "FLOAT" to np.float64, and its C++ part spells UINT16 "UINT6"
        # (upstream bugs, also for datasets made in Python).
        ttype = ds.get_data().get_tensor_type("t_" + tname)
        expect(ttype == {"UINT16": "UINT6"}.get(tname, tname), "type of t_%s: %r" % (tname, ttype))
        expect(list(ds.get_tensor_dims("t_" + tname)) == list(shape), "dims of t_" + tname)
    fields = set(ds.get_metadata_field_names())
    want = {"m_" + m for m, _ in META_TYPES} | {"strings", "one"}
    expect(fields == want, "metadata fields %r, expected %r" % (sorted(fields), sorted(want)))
    for k, (mname, np_type) in enumerate(META_TYPES):
        got = np.asarray(ds.get_meta_scalars("m_" + mname))
        exp = values(np_type, META_COUNT, 500 + k)
        expect(same(got, exp), "metadata m_%s: %r, expected %r" % (mname, got, exp))
    expect(ds.get_meta_strings("strings") == STRINGS, "strings: %r" % ds.get_meta_strings("strings")[:3])
    expect(ds.get_meta_strings("one") == ["only"], "one: %r" % ds.get_meta_strings("one"))
    expect(ds.get_metadata_field_type("strings") == str, "type of a string field")
    expect(ds.get_metadata_field_type("m_INT64") == np.int64, "type of m_INT64")


def check_item(ds, tag, i):
    name = "%s_item_%d" % (tag, i)
    expect(ds.get_name() == name, "list item %d is %r, expected %r" % (i, ds.get_name(), name))
    expect(same(ds.get_tensor("x"), tensor(4, 700 + i)), "tensor x of " + name)
    expect(same(np.asarray(ds.get_meta_scalars("index")), np.array([i], dtype=np.int64)), "index of " + name)
    expect(ds.get_meta_strings("label") == ["item %d" % i], "label of " + name)


def check(tag):
    c = client()
    for k, (tname, _, _) in enumerate(TENSOR_TYPES):
        for layout in ("c", "f"):
            name = "%s_t_%s_%s" % (tag, tname, layout)
            expect(c.tensor_exists(name), "tensor %s does not exist" % name)
            got = c.get_tensor(name)
            expect(same(got, tensor(k, 100 + k)), "tensor %s differs: %r" % (name, got))
    expect(c.dataset_exists(tag + "_ds"), "dataset %s_ds does not exist" % tag)
    check_full_dataset(c.get_dataset(tag + "_ds"), tag + "_ds")
    lname = tag + "_list"
    expect(c.get_list_length(lname) == LIST_LEN, "list length %d" % c.get_list_length(lname))
    expect(c.poll_list_length(lname, LIST_LEN, 10, 1), "poll_list_length")
    items = c.get_datasets_from_list(lname)
    expect(len(items) == LIST_LEN, "%d datasets from the list" % len(items))
    for i, ds in enumerate(items):
        check_item(ds, tag, i)
    for start, end, first in ((1, 3, 1), (-2, -1, LIST_LEN - 2)):
        got = c.get_dataset_list_range(lname, start, end)
        expect(len(got) == end - start + 1 if start >= 0 else -start, "range %d..%d: %d" % (start, end, len(got)))
        for j, ds in enumerate(got):
            check_item(ds, tag, first + j)


def model_inputs():
    """The add/mul model's inputs, as tests/interop.rs writes them: exact in float32, so are their sum and
    product."""
    i = np.arange(12, dtype=np.float32).reshape(3, 4)
    return i * np.float32(0.375) - np.float32(2.0), ((i * 7) % 11) * np.float32(1.25) - np.float32(3.0)


LINEAR_W = np.array([[1.0, -2.0], [0.5, 3.0], [4.0, -1.5]], dtype=np.float32)
LINEAR_B = np.array([0.25, -0.75], dtype=np.float32)


def models(tag, addmul_file, linear_file):
    """Models through the Python client: set (from a file and from bytes), get, exists, run and delete; the
    add/mul model runs on inputs our side wrote, and leaves its outputs for our side to read."""
    c = Client(logger_name="interop-python")
    addmul = tag + "_addmul"
    c.set_model_from_file(addmul, addmul_file, "ONNX", "CPU")
    expect(c.model_exists(addmul), "model %s does not exist" % addmul)
    expect(c.poll_model(addmul, 10, 1), "poll_model " + addmul)
    with open(addmul_file, "rb") as f:
        blob = f.read()
    expect(c.get_model(addmul) == blob, "get_model gives other bytes than were set")
    a, b = model_inputs()
    expect(same(c.get_tensor(tag + "_a"), a), "input a as read by Python")
    c.run_model(addmul, [tag + "_a", tag + "_b"], [tag + "_sum", tag + "_prod"])
    expect(same(c.get_tensor(tag + "_sum"), a + b), "sum: %r" % c.get_tensor(tag + "_sum"))
    expect(same(c.get_tensor(tag + "_prod"), a * b), "prod: %r" % c.get_tensor(tag + "_prod"))

    linear = tag + "_linear"
    with open(linear_file, "rb") as f:
        c.set_model(linear, f.read(), "ONNX", "CPU")
    x = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    c.put_tensor(tag + "_x", x)
    c.run_model(linear, [tag + "_x"], [tag + "_y"])
    y = c.get_tensor(tag + "_y")
    expect(same(y, x @ LINEAR_W + LINEAR_B), "linear: %r, expected %r" % (y, x @ LINEAR_W + LINEAR_B))
    c.delete_model(linear)
    expect(not c.model_exists(linear), "model %s still exists after delete_model" % linear)

    # The same linear model, set by our C API.
    ours = tag + "_linear_rs"
    expect(c.model_exists(ours), "model %s (set by our client) does not exist" % ours)
    with open(linear_file, "rb") as f:
        expect(c.get_model(ours) == f.read(), "get_model of %s gives other bytes than were set" % ours)
    c.run_model(ours, [tag + "_x"], [tag + "_y_rs"])
    expect(same(c.get_tensor(tag + "_y_rs"), x @ LINEAR_W + LINEAR_B), "linear (set by our client)")


def scripts(tag, script_file):
    """Scripts through the Python client (tests/data/data_processing_script.txt: pre_process(x) = 2x,
    post_process(y) = y + 1): the script our side set is fetched byte for byte and run; a copy is set and run here,
    and left for our side to fetch and run."""
    c = Client(logger_name="interop-python")
    with open(script_file) as f:
        source = f.read()
    a, _ = model_inputs()
    expect(same(c.get_tensor(tag + "_a"), a), "script input as read by Python")

    ours = tag + "_script_rs"
    expect(c.model_exists(ours), "script %s (set by our client) does not exist" % ours)
    expect(c.get_script(ours) == source, "get_script of %s gives another source than was set" % ours)
    c.run_script(ours, "pre_process", [tag + "_a"], [tag + "_pre_rs"])
    expect(same(c.get_tensor(tag + "_pre_rs"), a * np.float32(2)), "pre_process of the script our side set")

    theirs = tag + "_script"
    c.set_script(theirs, source, "CPU")
    expect(c.model_exists(theirs), "script %s does not exist" % theirs)
    expect(c.get_script(theirs) == source, "get_script gives another source than was set")
    c.run_script(theirs, "post_process", [tag + "_a"], [tag + "_post"])
    expect(same(c.get_tensor(tag + "_post"), a + np.float32(1)), "post_process: %r" % c.get_tensor(tag + "_post"))


if __name__ == "__main__":
    roles = {"write": (write, 1), "check": (check, 1), "models": (models, 3), "scripts": (scripts, 2)}
    if len(sys.argv) < 2 or sys.argv[1] not in roles or len(sys.argv) != 2 + roles[sys.argv[1]][1]:
        fail(
            "usage: interop.py write|check TAG, interop.py models TAG ADDMUL.onnx LINEAR.onnx, or interop.py scripts "
            "TAG SCRIPT.txt"
        )
    roles[sys.argv[1]][0](*sys.argv[2:])
