//! Tensor element types: the shared table of `smartredis-protocol` (names, sizes, DLPack codes, value ranges).

pub use smartredis_protocol::TensorType as DType;
