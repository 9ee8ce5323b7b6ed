//! The tensor fast path on the wire: `AI.TENSORSET` sends the header and then the caller's bytes (no copy for
//! row-major memory, one transposing pass for Fortran order, the rows themselves for nested memory);
//! `AI.TENSORGET ... META BLOB` reads the type and shape, then the blob straight into the destination.

use std::io;

use smartredis_protocol::commands::reply as label;

use super::conn::Request;
use super::resp::{encode_command, BufStream, Header, ReplyError, SMALL_PAYLOAD};
use crate::ai;
use crate::error::Error;
use crate::tensor::layout::reply_element_count;
use crate::tensor::{AlignedBytes, DType, Layout, Tensor, TensorMut, TensorRef};

/// Pieces in which a transposed (Fortran) payload is produced and sent.
const TRANSPOSE_CHUNK: usize = 1 << 20;

/// `AI.TENSORSET` of a borrowed tensor; the reply must be `+OK`.
pub struct TensorSet<'a> {
    header: Vec<u8>,
    tensor: &'a TensorRef<'a>,
}

impl<'a> TensorSet<'a> {
    /// The command for `tensor` under `key`.
    pub fn new(key: &[u8], tensor: &'a TensorRef<'a>) -> Self {
        TensorSet {
            header: encode_command(
                &ai::tensorset(key, tensor.dtype(), tensor.dims()),
                Some(tensor.byte_len()),
            ),
            tensor,
        }
    }
}

impl<'a> TensorSet<'a> {
    /// The command header and the row-major payload it is followed by (then `\r\n`), when the payload is
    /// row-major memory that can be sent from where it is; `None` when it is produced while sending (Fortran
    /// order, nested rows). Lets a pipeline send many commands in one write.
    pub(crate) fn row_major_parts(&self) -> Option<(&[u8], &'a [u8])> {
        self.tensor.row_major().map(|d| (&self.header[..], d))
    }
}

impl Request for TensorSet<'_> {
    type Output = ();

    fn send(&self, io: &mut BufStream) -> io::Result<()> {
        if let Some(data) = self.tensor.row_major() {
            if data.len() <= SMALL_PAYLOAD {
                let mut one = Vec::with_capacity(self.header.len() + data.len() + 2);
                one.extend_from_slice(&self.header);
                one.extend_from_slice(data);
                one.extend_from_slice(b"\r\n");
                return io.send(&one);
            }
            return io.send_vectored(&[&self.header, data, b"\r\n"]);
        }
        // Rows of a nested tensor go out from where they are when they are large; small rows are gathered into
        // chunks (one copy) rather than costing a system call per few rows.
        if let Some(rows) = self
            .tensor
            .rows()
            .filter(|r| r.first().is_some_and(|r| r.len() >= 4096))
        {
            let mut parts: Vec<&[u8]> = Vec::with_capacity(rows.len() + 2);
            parts.push(&self.header);
            parts.extend_from_slice(rows);
            parts.push(b"\r\n");
            return io.send_vectored(&parts);
        }
        io.send(&self.header)?;
        self.tensor
            .for_each_chunk(TRANSPOSE_CHUNK, |c| io.send(c))?;
        io.send(b"\r\n")
    }

    fn receive(&mut self, io: &mut BufStream) -> Result<(), ReplyError> {
        match io.value()? {
            redis::Value::Okay => Ok(()),
            other => Err(ReplyError::Protocol(format!(
                "unexpected reply to AI.TENSORSET: {}",
                crate::text::quote(&other)
            ))),
        }
    }
}

/// Where a fetched tensor goes.
pub enum GetTarget<'a> {
    /// A new buffer in this layout (`Contiguous` or `FortranContiguous`), allocated once at the blob's size.
    Owned(Layout),
    /// Caller memory, checked against the stored type and shape before the payload is read.
    Into(TensorMut<'a>),
}

/// `AI.TENSORGET key META BLOB`.
pub struct TensorGet<'a> {
    command: Vec<u8>,
    key: String,
    target: GetTarget<'a>,
}

impl<'a> TensorGet<'a> {
    /// The command for `key` (`name` is what errors call it).
    pub fn new(key: &[u8], name: &str, target: GetTarget<'a>) -> Self {
        TensorGet {
            command: encode_command(&ai::tensorget(key), None),
            key: name.to_string(),
            target,
        }
    }
}

fn invalid(m: String) -> ReplyError {
    ReplyError::Protocol(m)
}

/// Reads one element of the reply array. An error element there is a protocol error (the connection is
/// dropped): the rest of the array would otherwise stay unread.
fn element(io: &mut BufStream) -> Result<redis::Value, ReplyError> {
    io.value().map_err(|e| match e {
        ReplyError::Server(m) => invalid(format!("error element in AI.TENSORGET reply: {m}")),
        e => e,
    })
}

/// Skips the rest of a reply element whose header was already read.
fn drain(io: &mut BufStream, h: Header) -> Result<(), ReplyError> {
    match h {
        Header::Bulk(Some(n)) => {
            io.skip(n)?;
            io.crlf()
        }
        Header::Array(Some(n)) => {
            for _ in 0..n {
                let h = io.header()?;
                drain(io, h)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl TensorGet<'_> {
    /// The encoded command (lets a pipeline send many commands in one write).
    pub(crate) fn command(&self) -> &[u8] {
        &self.command
    }
}

impl Request for TensorGet<'_> {
    /// `Some` for [`GetTarget::Owned`], `None` when unpacked into caller memory.
    type Output = Option<Tensor>;

    fn send(&self, io: &mut BufStream) -> io::Result<()> {
        io.send(&self.command)
    }

    fn receive(&mut self, io: &mut BufStream) -> Result<Option<Tensor>, ReplyError> {
        let n = match io.header()? {
            Header::Array(Some(n)) => n,
            Header::Error(e) => return Err(ReplyError::Server(e)),
            other => {
                let m = format!(
                    "unexpected reply to AI.TENSORGET: {}",
                    crate::text::quote(&other)
                );
                drain(io, other)?;
                return Err(invalid(m));
            }
        };
        if n % 2 != 0 {
            return Err(invalid(format!(
                "AI.TENSORGET reply has {n} elements, not label/value pairs"
            )));
        }
        let mut dtype: Option<DType> = None;
        let mut dims: Option<Vec<usize>> = None;
        let mut result = None;
        let mut failure: Option<Error> = None;
        for _ in 0..n / 2 {
            let name = match element(io)? {
                redis::Value::BulkString(b) => b,
                redis::Value::SimpleString(s) => s.into_bytes(),
                other => {
                    return Err(invalid(format!(
                        "unexpected AI.TENSORGET label {}",
                        crate::text::quote(&other)
                    )))
                }
            };
            match name.as_slice() {
                l if l == label::DTYPE.as_bytes() => match element(io)? {
                    redis::Value::BulkString(b) => dtype = Some(parse_dtype(&b, &mut failure)),
                    redis::Value::SimpleString(s) => {
                        dtype = Some(parse_dtype(s.as_bytes(), &mut failure))
                    }
                    other => {
                        return Err(invalid(format!(
                            "bad dtype in AI.TENSORGET reply: {}",
                            crate::text::quote(&other)
                        )))
                    }
                },
                l if l == label::SHAPE.as_bytes() => match element(io)? {
                    redis::Value::Array(items) => {
                        let mut d = Vec::with_capacity(items.len());
                        for i in items {
                            match i {
                                redis::Value::Int(v) if v >= 0 => d.push(v as usize),
                                other => {
                                    return Err(invalid(format!(
                                        "bad shape in AI.TENSORGET reply: {}",
                                        crate::text::quote(&other)
                                    )))
                                }
                            }
                        }
                        dims = Some(d);
                    }
                    other => {
                        return Err(invalid(format!(
                            "bad shape in AI.TENSORGET reply: {}",
                            crate::text::quote(&other)
                        )))
                    }
                },
                l if l == label::BLOB.as_bytes() => {
                    let len = match io.header()? {
                        Header::Bulk(Some(len)) => len,
                        other => {
                            return Err(invalid(format!(
                                "bad blob in AI.TENSORGET reply: {}",
                                crate::text::quote(&other)
                            )))
                        }
                    };
                    result = self.read_blob(io, len, dtype, dims.as_deref(), &mut failure)?;
                }
                _ => {
                    element(io)?;
                }
            }
        }
        if let Some(e) = failure {
            return Err(ReplyError::Invalid(e));
        }
        if dtype.is_none() || dims.is_none() {
            return Err(invalid("AI.TENSORGET reply without dtype or shape".into()));
        }
        Ok(result)
    }
}

fn parse_dtype(name: &[u8], failure: &mut Option<Error>) -> DType {
    match DType::from_wire_name(name) {
        Ok(d) => d,
        Err(e) => {
            failure.get_or_insert(e);
            // Placeholder; the reply is still read to its end, then `failure` is reported.
            <u8 as crate::tensor::Element>::dtype()
        }
    }
}

impl TensorGet<'_> {
    /// Reads a blob of `len` bytes (then its CRLF) into the target, or skips it when it cannot be used.
    fn read_blob(
        &mut self,
        io: &mut BufStream,
        len: usize,
        dtype: Option<DType>,
        dims: Option<&[usize]>,
        failure: &mut Option<Error>,
    ) -> Result<Option<Tensor>, ReplyError> {
        let (Some(dtype), Some(dims)) = (dtype, dims) else {
            io.skip(len)?;
            io.crlf()?;
            failure.get_or_insert(Error::Runtime(
                "AI.TENSORGET reply has the blob before dtype and shape".into(),
            ));
            return Ok(None);
        };
        let Some(count) = reply_element_count(dims, dtype.size()) else {
            return Err(invalid(format!(
                "Tensor {}: impossible shape {dims:?} in AI.TENSORGET reply",
                self.key
            )));
        };
        let expected = count * dtype.size();
        if failure.is_some() || expected != len {
            io.skip(len)?;
            io.crlf()?;
            failure.get_or_insert(Error::Runtime(format!(
                "Tensor {}: blob of {len} bytes does not match its shape {dims:?} and type {}",
                self.key,
                dtype.wire_name()
            )));
            return Ok(None);
        }
        let out = match &mut self.target {
            GetTarget::Owned(layout) => {
                let mut data = match AlignedBytes::zeroed(len) {
                    Ok(d) => d,
                    Err(e) => {
                        io.skip(len)?;
                        io.crlf()?;
                        return Err(ReplyError::Invalid(e));
                    }
                };
                // A tensor of at most one dimension (a scalar included) is the same in both orders.
                if *layout == Layout::FortranContiguous && dims.len() > 1 {
                    match TensorMut::from_bytes(
                        dtype,
                        dims,
                        Layout::FortranContiguous,
                        data.as_bytes_mut(),
                    ) {
                        Ok(mut dest) => fill(io, &mut dest, dims, dtype.size())?,
                        Err(e) => {
                            // Read the payload first: the connection stays in sync for the next command.
                            io.skip(len)?;
                            io.crlf()?;
                            return Err(ReplyError::Invalid(e));
                        }
                    }
                } else {
                    io.read_exact_into(data.as_bytes_mut())?;
                }
                Some(Tensor {
                    dtype,
                    dims: dims.to_vec(),
                    layout: *layout,
                    data,
                })
            }
            GetTarget::Into(dest) => {
                if let Err(e) = dest.check(&self.key, dtype, dims) {
                    io.skip(len)?;
                    io.crlf()?;
                    failure.get_or_insert(e);
                    return Ok(None);
                }
                fill(io, dest, dims, dtype.size())?;
                None
            }
        };
        io.crlf()?;
        Ok(out)
    }
}

fn fill(
    io: &mut BufStream,
    dest: &mut TensorMut<'_>,
    dims: &[usize],
    es: usize,
) -> Result<(), ReplyError> {
    let cell = std::cell::RefCell::new(io);
    dest.fill::<io::Error>(
        dims,
        &mut |d| cell.borrow_mut().read_exact_into(d),
        &mut |len, f| cell.borrow_mut().read_chunks(len, es, f),
    )?;
    Ok(())
}
