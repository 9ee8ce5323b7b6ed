//! Admin calls that upstream offers only in C++ (`Client::flush_db`, `config_set`, `save`), as `sr_` C functions.
//! `address` names one node of the client (`host:port`, as in `SSDB` or reported by `CLUSTER SLOTS`); another
//! address is a runtime error.

use std::ffi::{c_char, c_void};

use super::client::client_arg;
use super::{guard, str_arg};
use crate::error::SRError;

/// `FLUSHDB` on the node at `address`: deletes every key it holds.
#[no_mangle]
pub extern "C" fn sr_flush_db(
    c_client: *mut c_void,
    address: *const c_char,
    address_length: usize,
) -> SRError {
    guard("sr_flush_db", || {
        let c = client_arg(c_client)?;
        let address = str_arg(address, address_length, "address")?;
        c.client.flush_db(address)
    })
}

/// `CONFIG SET parameter value` on the node at `address`; a refused setting is a runtime error with the
/// server's text.
#[no_mangle]
pub extern "C" fn sr_config_set(
    c_client: *mut c_void,
    parameter: *const c_char,
    parameter_length: usize,
    value: *const c_char,
    value_length: usize,
    address: *const c_char,
    address_length: usize,
) -> SRError {
    guard("sr_config_set", || {
        let c = client_arg(c_client)?;
        let parameter = str_arg(parameter, parameter_length, "parameter")?;
        let value = str_arg(value, value_length, "value")?;
        let address = str_arg(address, address_length, "address")?;
        c.client.config_set(parameter, value, address)
    })
}

/// `SAVE` on the node at `address` (a synchronous snapshot).
#[no_mangle]
pub extern "C" fn sr_save(
    c_client: *mut c_void,
    address: *const c_char,
    address_length: usize,
) -> SRError {
    guard("sr_save", || {
        let c = client_arg(c_client)?;
        let address = str_arg(address, address_length, "address")?;
        c.client.save(address)
    })
}
