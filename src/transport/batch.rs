//! A pipeline to one node: several commands (plain commands, tensor sets with the zero-copy payload path, tensor
//! gets read straight into their targets) sent together and answered in one round trip.
//!
//! Every reply is read, errors included, so the connection stays in sync; each command's outcome is kept in
//! place. A cluster redirection (`MOVED`, `ASK`, `TRYAGAIN`) of any command is returned as the whole request's
//! server error, so the cluster connection re-sends the pipeline where it belongs (all commands of a pipeline
//! address one slot).

use std::io;

use redis::Value;

use super::conn::Request;
use super::resp::{BufStream, ReplyError, SMALL_PAYLOAD};
use super::tensor::{TensorGet, TensorSet};
use crate::cluster::Redirect;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Sends `packed` with each `(offset, payload)` of `splices` (in offset order) inserted at its offset.
fn send_spliced(io: &mut BufStream, packed: &[u8], splices: &[(usize, &[u8])]) -> io::Result<()> {
    let mut bufs: Vec<&[u8]> = Vec::with_capacity(2 * splices.len() + 1);
    let mut start = 0;
    for &(at, data) in splices {
        bufs.push(&packed[start..at]);
        bufs.push(data);
        start = at;
    }
    bufs.push(&packed[start..]);
    io.send_vectored(&bufs)
}

/// One command of a [`Batch`].
pub enum Part<'a> {
    /// A plain command; its reply is kept as a value.
    Cmd(redis::Cmd),
    /// `AI.TENSORSET` with the caller's bytes.
    Set(TensorSet<'a>),
    /// `AI.TENSORGET ... META BLOB`.
    Get(TensorGet<'a>),
}

/// The outcome of one command of a [`Batch`].
#[derive(Debug)]
pub enum Outcome {
    /// The reply of a [`Part::Cmd`].
    Value(Value),
    /// A tensor set was acknowledged.
    Stored,
    /// A tensor get finished (the tensor, for an owned target).
    Fetched(Option<Tensor>),
    /// The server answered with an error reply.
    ServerError(String),
    /// The reply was read but could not be used (type or shape mismatch, ...).
    Unusable(Error),
}

/// Commands sent to one node as one pipeline. `label` names each command in errors (`"HMSET {ds}.meta"`).
#[derive(Default)]
pub struct Batch<'a> {
    parts: Vec<(Part<'a>, String)>,
}

impl<'a> Batch<'a> {
    /// An empty batch.
    pub fn new() -> Self {
        Batch { parts: Vec::new() }
    }

    /// Appends a command.
    pub fn push(&mut self, part: Part<'a>, label: String) {
        self.parts.push((part, label));
    }

    /// Number of commands.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether there are no commands.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The outcomes if every command succeeded; otherwise the first failure as the crate's error, naming the
    /// command: `"Redis error when executing command: <server text> (<label>)"` (runtime error).
    pub fn check(&self, outcomes: Vec<Outcome>) -> Result<Vec<Outcome>> {
        for (i, o) in outcomes.iter().enumerate() {
            let label = self.parts.get(i).map(|p| p.1.as_str()).unwrap_or("");
            match o {
                Outcome::ServerError(m) => {
                    return Err(Error::Runtime(format!(
                        "Redis error when executing command: {m} ({label})"
                    )))
                }
                Outcome::Unusable(e) => return Err(e.clone()),
                _ => {}
            }
        }
        Ok(outcomes)
    }
}

impl Request for Batch<'_> {
    type Output = Vec<Outcome>;

    fn send(&self, io: &mut BufStream) -> io::Result<()> {
        // The pipeline goes out in one vectored write: plain commands, tensor gets and small tensor payloads are
        // packed into one buffer, large row-major payloads are spliced in from the caller's memory. Only a tensor
        // produced while sending (Fortran order, nested rows) takes writes of its own.
        let mut packed = Vec::new();
        let mut splices: Vec<(usize, &[u8])> = Vec::new();
        for (part, _) in &self.parts {
            match part {
                Part::Cmd(c) => c.write_packed_command(&mut packed),
                Part::Get(g) => packed.extend_from_slice(g.command()),
                Part::Set(s) => match s.row_major_parts() {
                    Some((header, data)) => {
                        packed.extend_from_slice(header);
                        if data.len() <= SMALL_PAYLOAD {
                            packed.extend_from_slice(data);
                        } else {
                            splices.push((packed.len(), data));
                        }
                        packed.extend_from_slice(b"\r\n");
                    }
                    None => {
                        send_spliced(io, &packed, &splices)?;
                        packed.clear();
                        splices.clear();
                        s.send(io)?;
                    }
                },
            }
        }
        send_spliced(io, &packed, &splices)
    }

    fn receive(&mut self, io: &mut BufStream) -> std::result::Result<Vec<Outcome>, ReplyError> {
        let mut out = Vec::with_capacity(self.parts.len());
        let mut redirect = None;
        for (part, _) in &mut self.parts {
            let r = match part {
                Part::Cmd(_) => io.value().map(Outcome::Value),
                Part::Set(s) => s.receive(io).map(|()| Outcome::Stored),
                Part::Get(g) => g.receive(io).map(Outcome::Fetched),
            };
            out.push(match r {
                Ok(o) => o,
                Err(ReplyError::Server(m)) => {
                    if redirect.is_none() && Redirect::parse(&m).is_some() {
                        redirect = Some(m.clone());
                    }
                    Outcome::ServerError(m)
                }
                Err(ReplyError::Invalid(e)) => Outcome::Unusable(e),
                // The stream is out of sync: the connection is dropped by the caller.
                Err(e) => return Err(e),
            });
        }
        match redirect {
            Some(m) => Err(ReplyError::Server(m)),
            None => Ok(out),
        }
    }
}
