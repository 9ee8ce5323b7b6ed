//! Tensors: element types, the stored value, argument parsing, replies and the `AI_TENSOR` data type.

pub mod dtype;
pub mod parse;
pub mod rdb;
pub mod reply;
#[allow(clippy::module_inception)]
pub mod tensor;
