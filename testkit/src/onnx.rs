//! A minimal ONNX model writer for tests: just enough protobuf (varints and length-delimited fields of
//! `onnx.proto`'s ModelProto, GraphProto, NodeProto, ValueInfoProto, TensorProto, AttributeProto) to build small
//! graphs in the test itself, so no model files or Python packages are needed.

/// ONNX element types (`TensorProto.DataType`).
pub mod ty {
    pub const FLOAT: u64 = 1;
    pub const UINT8: u64 = 2;
    pub const INT8: u64 = 3;
    pub const INT32: u64 = 6;
    pub const INT64: u64 = 7;
    pub const STRING: u64 = 8;
    pub const BOOL: u64 = 9;
    pub const DOUBLE: u64 = 11;
}

#[derive(Default, Clone)]
struct Msg(Vec<u8>);

impl Msg {
    fn varint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn key(&mut self, field: u64, wire: u64) {
        self.varint(field << 3 | wire);
    }
    fn int(&mut self, field: u64, v: i64) -> &mut Self {
        self.key(field, 0);
        self.varint(v as u64);
        self
    }
    fn bytes(&mut self, field: u64, b: &[u8]) -> &mut Self {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }
    fn str(&mut self, field: u64, s: &str) -> &mut Self {
        self.bytes(field, s.as_bytes())
    }
    fn msg(&mut self, field: u64, m: &Msg) -> &mut Self {
        self.bytes(field, &m.0)
    }
    fn float(&mut self, field: u64, v: f32) -> &mut Self {
        self.key(field, 5);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
}

/// A dimension: fixed, or symbolic (a batch dimension).
#[derive(Clone)]
pub enum Dim {
    /// A fixed size.
    N(i64),
    /// A named free dimension.
    Sym(&'static str),
}

/// A graph under construction.
#[derive(Default)]
pub struct Graph {
    g: Msg,
}

/// A node attribute.
pub enum Attr {
    /// An integer.
    Int(&'static str, i64),
    /// A float.
    Float(&'static str, f32),
    /// A list of integers.
    Ints(&'static str, Vec<i64>),
    /// A graph (a subgraph such as Loop's `body`), from [`Graph::subgraph`].
    Graph(&'static str, Vec<u8>),
}

fn value_info(name: &str, elem: u64, dims: &[Dim]) -> Msg {
    let mut shape = Msg::default();
    for d in dims {
        let mut dm = Msg::default();
        match d {
            Dim::N(n) => dm.int(1, *n),
            Dim::Sym(s) => dm.str(2, s),
        };
        shape.msg(1, &dm);
    }
    let mut tt = Msg::default();
    tt.int(1, elem as i64).msg(2, &shape);
    let mut tp = Msg::default();
    tp.msg(1, &tt);
    let mut vi = Msg::default();
    vi.str(1, name).msg(2, &tp);
    vi
}

impl Graph {
    /// A graph input.
    pub fn input(&mut self, name: &str, elem: u64, dims: &[Dim]) -> &mut Self {
        let vi = value_info(name, elem, dims);
        self.g.msg(11, &vi);
        self
    }

    /// A graph output.
    pub fn output(&mut self, name: &str, elem: u64, dims: &[Dim]) -> &mut Self {
        let vi = value_info(name, elem, dims);
        self.g.msg(12, &vi);
        self
    }

    /// A float initializer (raw little-endian data).
    pub fn init_f32(&mut self, name: &str, dims: &[i64], data: &[f32]) -> &mut Self {
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.init(name, ty::FLOAT, dims, &raw)
    }

    /// An initializer of element type `elem` from its raw little-endian bytes.
    pub fn init(&mut self, name: &str, elem: u64, dims: &[i64], raw: &[u8]) -> &mut Self {
        let mut t = Msg::default();
        for &d in dims {
            t.int(1, d);
        }
        t.int(2, elem as i64).str(8, name);
        t.bytes(9, raw);
        self.g.msg(5, &t);
        self
    }

    /// A node of the default domain.
    pub fn node(
        &mut self,
        op: &str,
        inputs: &[&str],
        outputs: &[&str],
        attrs: &[Attr],
    ) -> &mut Self {
        let mut n = Msg::default();
        for i in inputs {
            n.str(1, i);
        }
        for o in outputs {
            n.str(2, o);
        }
        n.str(4, op);
        for a in attrs {
            let mut m = Msg::default();
            match a {
                Attr::Int(name, v) => {
                    m.str(1, name).int(3, *v).int(20, 2);
                }
                Attr::Float(name, v) => {
                    m.str(1, name).float(2, *v).int(20, 1);
                }
                Attr::Ints(name, vs) => {
                    m.str(1, name);
                    for v in vs {
                        m.int(8, *v);
                    }
                    m.int(20, 7);
                }
                Attr::Graph(name, g) => {
                    m.str(1, name).bytes(6, g).int(20, 5);
                }
            }
            n.msg(5, &m);
        }
        self.g.msg(1, &n);
        self
    }

    /// The serialized GraphProto named `name`, for an [`Attr::Graph`].
    pub fn subgraph(&mut self, name: &str) -> Vec<u8> {
        self.g.str(2, name);
        self.g.0.clone()
    }

    /// The serialized ModelProto (IR version 8, opset 13).
    pub fn model(&mut self) -> Vec<u8> {
        self.g.str(2, "g");
        let mut opset = Msg::default();
        opset.str(1, "").int(2, 13);
        let mut m = Msg::default();
        m.int(1, 8)
            .str(2, "smartredis-tests")
            .msg(7, &self.g)
            .msg(8, &opset);
        m.0
    }
}

/// `y = x · w + b` with `x: [N, k]` float, `w: [k, m]`, `b: [m]`.
pub fn linear(w: &[f32], b: &[f32], k: i64, m: i64) -> Vec<u8> {
    Graph::default()
        .input("x", ty::FLOAT, &[Dim::Sym("N"), Dim::N(k)])
        .output("y", ty::FLOAT, &[Dim::Sym("N"), Dim::N(m)])
        .init_f32("w", &[k, m], w)
        .init_f32("b", &[m], b)
        .node("MatMul", &["x", "w"], &["xw"], &[])
        .node("Add", &["xw", "b"], &["y"], &[])
        .model()
}

/// A two-layer perceptron: `relu(x · w1 + b1) · w2 + b2`, via Gemm.
pub fn mlp(w1: &[f32], b1: &[f32], w2: &[f32], b2: &[f32], k: i64, h: i64, m: i64) -> Vec<u8> {
    Graph::default()
        .input("input", ty::FLOAT, &[Dim::Sym("N"), Dim::N(k)])
        .output("output", ty::FLOAT, &[Dim::Sym("N"), Dim::N(m)])
        .init_f32("w1", &[k, h], w1)
        .init_f32("b1", &[h], b1)
        .init_f32("w2", &[h, m], w2)
        .init_f32("b2", &[m], b2)
        .node("Gemm", &["input", "w1", "b1"], &["h"], &[])
        .node("Relu", &["h"], &["hr"], &[])
        .node("Gemm", &["hr", "w2", "b2"], &["output"], &[])
        .model()
}

/// Two inputs, two outputs of one element type: `sum = a + b`, `prod = a * b` (any shape, broadcasting).
pub fn add_mul(elem: u64) -> Vec<u8> {
    let d = [Dim::Sym("N"), Dim::Sym("M")];
    Graph::default()
        .input("a", elem, &d)
        .input("b", elem, &d)
        .output("sum", elem, &d)
        .output("prod", elem, &d)
        .node("Add", &["a", "b"], &["sum"], &[])
        .node("Mul", &["a", "b"], &["prod"], &[])
        .model()
}

/// `out = Identity(in)` for one element type and a rank-1 input.
pub fn identity(elem: u64) -> Vec<u8> {
    Graph::default()
        .input("in", elem, &[Dim::Sym("N")])
        .output("out", elem, &[Dim::Sym("N")])
        .node("Identity", &["in"], &["out"], &[])
        .model()
}

/// A model that never finishes on its own, on any machine: a Loop of `i64::MAX` iterations negating its float
/// input `x: [N]` (output `y`), for timeout tests. Only a run's terminate flag (MODEL_EXECUTION_TIMEOUT) ends it.
pub fn endless() -> Vec<u8> {
    let n = [Dim::Sym("N")];
    let body = Graph::default()
        .input("i", ty::INT64, &[])
        .input("cond_in", ty::BOOL, &[])
        .input("v_in", ty::FLOAT, &n)
        .output("cond_out", ty::BOOL, &[])
        .output("v_out", ty::FLOAT, &n)
        .node("Identity", &["cond_in"], &["cond_out"], &[])
        .node("Neg", &["v_in"], &["v_out"], &[])
        .subgraph("body");
    Graph::default()
        .input("x", ty::FLOAT, &n)
        .output("y", ty::FLOAT, &n)
        .init("trips", ty::INT64, &[], &i64::MAX.to_le_bytes())
        .init("cond", ty::BOOL, &[], &[1])
        .node(
            "Loop",
            &["trips", "cond", "x"],
            &["y"],
            &[Attr::Graph("body", body)],
        )
        .model()
}

/// `y = mean(x, axis 0, keepdims)`: `x: [N, k]` float gives `y: [1, k]` (its batch dimension is not N).
pub fn mean_rows(k: i64) -> Vec<u8> {
    Graph::default()
        .input("x", ty::FLOAT, &[Dim::Sym("N"), Dim::N(k)])
        .output("y", ty::FLOAT, &[Dim::N(1), Dim::N(k)])
        .node(
            "ReduceMean",
            &["x"],
            &["y"],
            &[Attr::Ints("axes", vec![0]), Attr::Int("keepdims", 1)],
        )
        .model()
}

/// Weights of [`cnn`]: conv `c1w [8,1,3,3]`, `c1b [8]`, conv `c2w [16,8,3,3]`, `c2b [16]`, linear `fw [10,400]`,
/// `fb [10]`.
pub struct CnnWeights<'a> {
    pub c1w: &'a [f32],
    pub c1b: &'a [f32],
    pub c2w: &'a [f32],
    pub c2b: &'a [f32],
    pub fw: &'a [f32],
    pub fb: &'a [f32],
}

impl<'a> CnnWeights<'a> {
    /// The weights in `w`, in layer order: `c1w`, `c1b`, `c2w`, `c2b`, `fw`, `fb` (as [`cnn_weights`] draws them).
    pub fn of(w: &'a [Vec<f32>; 6]) -> CnnWeights<'a> {
        CnnWeights {
            c1w: &w[0],
            c1b: &w[1],
            c2w: &w[2],
            c2b: &w[3],
            fw: &w[4],
            fb: &w[5],
        }
    }
}

/// Weights for [`cnn`] in layer order, `draw(layer, len)` giving each (`layer` 0 to 5: `c1w`, `c1b`, `c2w`, `c2b`,
/// `fw`, `fb`); [`CnnWeights::of`] borrows them.
pub fn cnn_weights(mut draw: impl FnMut(usize, usize) -> Vec<f32>) -> [Vec<f32>; 6] {
    let lens = [8 * 9, 8, 16 * 8 * 9, 16, 10 * 400, 10];
    std::array::from_fn(|i| draw(i, lens[i]))
}

/// An MNIST-sized CNN: conv 1→8 3×3, relu, maxpool 2, conv 8→16 3×3, relu, maxpool 2, flatten, linear 400→10,
/// log_softmax; input `input: [N, 1, 28, 28]`, output `output: [N, 10]`.
pub fn cnn(w: &CnnWeights<'_>) -> Vec<u8> {
    let pool = [
        Attr::Ints("kernel_shape", vec![2, 2]),
        Attr::Ints("strides", vec![2, 2]),
    ];
    Graph::default()
        .input(
            "input",
            ty::FLOAT,
            &[Dim::Sym("N"), Dim::N(1), Dim::N(28), Dim::N(28)],
        )
        .output("output", ty::FLOAT, &[Dim::Sym("N"), Dim::N(10)])
        .init_f32("c1w", &[8, 1, 3, 3], w.c1w)
        .init_f32("c1b", &[8], w.c1b)
        .init_f32("c2w", &[16, 8, 3, 3], w.c2w)
        .init_f32("c2b", &[16], w.c2b)
        .init_f32("fw", &[10, 400], w.fw)
        .init_f32("fb", &[10], w.fb)
        .node("Conv", &["input", "c1w", "c1b"], &["c1"], &[])
        .node("Relu", &["c1"], &["r1"], &[])
        .node("MaxPool", &["r1"], &["p1"], &pool)
        .node("Conv", &["p1", "c2w", "c2b"], &["c2"], &[])
        .node("Relu", &["c2"], &["r2"], &[])
        .node("MaxPool", &["r2"], &["p2"], &pool)
        .node("Flatten", &["p2"], &["f"], &[Attr::Int("axis", 1)])
        .node(
            "Gemm",
            &["f", "fw", "fb"],
            &["logits"],
            &[Attr::Int("transB", 1)],
        )
        .node(
            "LogSoftmax",
            &["logits"],
            &["output"],
            &[Attr::Int("axis", 1)],
        )
        .model()
}
