//! Colocated mode: placeholder, filled below.
pub struct Colocated;
pub struct ColocatedOptions;
