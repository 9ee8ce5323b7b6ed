//! Redis Cluster support: key slots, the slot map read from `CLUSTER SLOTS`, and redirection handling.

pub mod routing;
pub mod slot;
pub mod topology;

pub use routing::Redirect;
pub use slot::{Slot, SLOT_COUNT};
pub use topology::{SlotMap, SlotRange};
