//! Tensors as the client sees them: element types with their RedisAI wire names, caller memory layouts, and
//! borrowed views over caller memory that are checked once and then streamed to or from the socket.
//!
//! The wire (and storage) layout is always row-major (C order). Fortran-ordered caller memory is transposed in
//! one pass on the way out and on the way in; nested pointer trees are walked row by row.

pub mod dtype;
pub mod layout;
pub mod view;

pub use dtype::{DType, Element};
pub use layout::Layout;
pub use view::{AlignedBytes, Tensor, TensorMut, TensorRef};
