//! Redis Cluster constants (Redis `cluster.h`), shared by the client's slot routing and the launcher's cluster
//! formation.

/// Number of hash slots of a Redis Cluster (`CLUSTER_SLOTS`).
pub const SLOT_COUNT: u16 = 16384;

/// Distance of a cluster node's bus port from its client port (`CLUSTER_PORT_INCR`).
pub const BUS_PORT_OFFSET: u16 = 10000;
