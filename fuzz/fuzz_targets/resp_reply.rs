//! The client's RESP2 reply reader (`src/transport/resp.rs`): any bytes a server (or anything listening on its
//! port) sends are read as replies until the stream ends or is refused, without a panic or a runaway allocation.
#![no_main]

use std::io::Write;
use std::os::unix::net::UnixStream;

use libfuzzer_sys::fuzz_target;
use smartredis::transport::resp::{BufStream, Stream};

fuzz_target!(|data: &[u8]| {
    let (mut server, client) = UnixStream::pair().expect("socket pair");
    // Inputs are small (-max_len), well below the socket buffer: written at once, then end of stream.
    server.write_all(data).expect("write");
    drop(server);
    let mut s = BufStream::new(Stream::Unix(client));
    while s.value().is_ok() {}
});
