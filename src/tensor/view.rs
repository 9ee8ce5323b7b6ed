//! Borrowed views over caller memory (checked once at construction) and the owned tensor returned by gets.

use std::ffi::c_void;

use super::dtype::{DType, Element};
use super::layout::{element_count, ColumnMajorOffsets, Layout};
use crate::error::{Error, Result};

/// Caller memory holding a tensor to send.
#[derive(Debug)]
enum Source<'a> {
    /// Row-major bytes, sent as they are.
    RowMajor(&'a [u8]),
    /// Column-major bytes, transposed on the way out.
    ColumnMajor(&'a [u8]),
    /// The rows (last dimension) of a nested pointer tree, in row-major order.
    Rows(Vec<&'a [u8]>),
}

/// A tensor in caller memory, ready to be sent: type, shape and memory checked.
#[derive(Debug)]
pub struct TensorRef<'a> {
    dtype: DType,
    dims: Vec<usize>,
    count: usize,
    src: Source<'a>,
}

/// Checks a byte buffer holds exactly `count` elements of `dtype`.
fn check_len(len: usize, count: usize, dtype: DType, what: &str) -> Result<()> {
    let want = count * dtype.size();
    if len != want {
        return Err(Error::Parameter(format!(
            "{what} holds {len} bytes, but the dimensions and type need {want}"
        )));
    }
    Ok(())
}

/// Collects the leaf rows of a nested pointer tree (read-only or writable, the walk is the same).
///
/// # Safety
/// `ptr` must point to a tree of `dims.len()-1` levels of pointer arrays (`dims[k]` entries at level `k`) whose
/// leaves are arrays of `dims[last]` elements of `elem_size` bytes, all valid for `'a`.
unsafe fn nested_rows(
    ptr: *const c_void,
    dims: &[usize],
    elem_size: usize,
    what: &str,
    out: &mut Vec<(*mut u8, usize)>,
) -> Result<()> {
    if ptr.is_null() {
        return Err(Error::Parameter(format!("{what} contains a NULL pointer")));
    }
    if dims.len() == 1 {
        out.push((ptr as *mut u8, dims[0] * elem_size));
        return Ok(());
    }
    let table = ptr.cast::<*const c_void>();
    if !table.is_aligned() {
        return Err(Error::Parameter(format!(
            "{what} contains a misaligned pointer array"
        )));
    }
    for i in 0..dims[0] {
        // SAFETY: the caller promises `dims[0]` pointers at this level.
        let child = unsafe { *table.add(i) };
        // SAFETY: same promise, one level down.
        unsafe { nested_rows(child, &dims[1..], elem_size, what, out)? };
    }
    Ok(())
}

impl<'a> TensorRef<'a> {
    /// A tensor from raw bytes in `layout` (`Contiguous` or `FortranContiguous`).
    pub fn from_bytes(
        dtype: DType,
        dims: &[usize],
        layout: Layout,
        data: &'a [u8],
    ) -> Result<Self> {
        let count = element_count(dims, dtype.size(), "dims")?;
        check_len(data.len(), count, dtype, "data")?;
        let src = match layout {
            Layout::Contiguous => Source::RowMajor(data),
            Layout::FortranContiguous => Source::ColumnMajor(data),
            Layout::Nested => {
                return Err(Error::Parameter(
                    "A nested tensor must be given as a pointer tree (TensorRef::from_nested)"
                        .into(),
                ))
            }
        };
        Ok(TensorRef {
            dtype,
            dims: dims.to_vec(),
            count,
            src,
        })
    }

    /// A view of a fetched row-major tensor, to be stored again (copy, cross-shard rename). Unlike
    /// [`from_bytes`](Self::from_bytes) it accepts a shape without dimensions: a scalar, which the server stores
    /// and returns (`AI.TENSORSET key TYPE BLOB ...` without dims).
    pub(crate) fn from_stored(t: &'a Tensor) -> Result<Self> {
        if t.layout != Layout::Contiguous {
            return Err(Error::Internal(
                "only a row-major tensor can be stored again as it is".into(),
            ));
        }
        let data = t.data.as_bytes();
        let count = super::layout::reply_element_count(&t.dims, t.dtype.size())
            .ok_or_else(|| Error::Parameter(format!("invalid tensor shape {:?}", t.dims)))?;
        check_len(data.len(), count, t.dtype, "data")?;
        Ok(TensorRef {
            dtype: t.dtype,
            dims: t.dims.clone(),
            count,
            src: Source::RowMajor(data),
        })
    }

    /// A row-major tensor from a typed slice.
    pub fn from_slice<T: Element>(dims: &[usize], data: &'a [T]) -> Result<Self> {
        // SAFETY: any initialised `T: Element` (plain numbers) may be viewed as bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), std::mem::size_of_val(data))
        };
        Self::from_bytes(T::dtype(), dims, Layout::Contiguous, bytes)
    }

    /// A tensor given as a nested pointer tree (`SRMemLayoutNested`).
    ///
    /// # Safety
    /// `ptr` must be a tree of pointer arrays `dims.len()-1` levels deep whose leaves hold `dims[last]` elements of
    /// `dtype`, all valid and unchanged for `'a`.
    pub unsafe fn from_nested(dtype: DType, dims: &[usize], ptr: *const c_void) -> Result<Self> {
        let count = element_count(dims, dtype.size(), "dims")?;
        let mut rows = Vec::new();
        // SAFETY: forwarded from the caller.
        unsafe { nested_rows(ptr, dims, dtype.size(), "data", &mut rows)? };
        let rows = rows
            .into_iter()
            // SAFETY: each leaf is valid for reads of `len` bytes for `'a` (caller's promise).
            .map(|(p, len)| unsafe { std::slice::from_raw_parts(p.cast_const(), len) })
            .collect();
        Ok(TensorRef {
            dtype,
            dims: dims.to_vec(),
            count,
            src: Source::Rows(rows),
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The shape.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Size of the row-major payload in bytes.
    pub fn byte_len(&self) -> usize {
        self.count * self.dtype.size()
    }

    /// The payload when it can be sent as it is (row-major caller memory).
    pub fn row_major(&self) -> Option<&'a [u8]> {
        match self.src {
            Source::RowMajor(b) => Some(b),
            _ => None,
        }
    }

    /// The rows of a nested tensor, in order.
    pub fn rows(&self) -> Option<&[&'a [u8]]> {
        match &self.src {
            Source::Rows(r) => Some(r),
            _ => None,
        }
    }

    /// Produces the row-major payload in pieces of at most `chunk` bytes (one pass; used for column-major memory,
    /// and for the other layouts where a copy is wanted anyway).
    pub fn for_each_chunk<E>(
        &self,
        chunk: usize,
        mut f: impl FnMut(&[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        match &self.src {
            Source::RowMajor(b) => {
                for c in b.chunks(chunk.max(1)) {
                    f(c)?;
                }
                Ok(())
            }
            Source::Rows(rows) => {
                // Rows are gathered into full chunks: a call per chunk, not one per (possibly tiny) row.
                let chunk = chunk.max(1);
                let mut buf = Vec::with_capacity(chunk.min(self.byte_len()));
                for r in rows {
                    let mut r: &[u8] = r;
                    while !r.is_empty() {
                        let take = (chunk - buf.len()).min(r.len());
                        let (head, tail) = r.split_at(take);
                        buf.extend_from_slice(head);
                        r = tail;
                        if buf.len() == chunk {
                            f(&buf)?;
                            buf.clear();
                        }
                    }
                }
                if !buf.is_empty() {
                    f(&buf)?;
                }
                Ok(())
            }
            Source::ColumnMajor(src) => {
                let es = self.dtype.size();
                let per = (chunk / es).max(1);
                let mut buf = Vec::with_capacity(per * es);
                for off in ColumnMajorOffsets::new(&self.dims) {
                    buf.extend_from_slice(&src[off * es..off * es + es]);
                    if buf.len() == per * es {
                        f(&buf)?;
                        buf.clear();
                    }
                }
                if !buf.is_empty() {
                    f(&buf)?;
                }
                Ok(())
            }
        }
    }
}

/// Where an unpacked tensor goes.
#[derive(Debug)]
enum Dest<'a> {
    RowMajor(&'a mut [u8]),
    ColumnMajor(&'a mut [u8]),
    Rows(Vec<&'a mut [u8]>),
}

/// Reads `len` payload bytes and passes them to the callback in element-aligned pieces.
pub type ChunkReader<'r, E> =
    dyn FnMut(usize, &mut dyn FnMut(&[u8])) -> std::result::Result<(), E> + 'r;

/// Caller memory to unpack a tensor into, with the type and dimensions the caller expects.
#[derive(Debug)]
pub struct TensorMut<'a> {
    dtype: DType,
    dims: Vec<usize>,
    layout: Layout,
    dest: Dest<'a>,
}

impl<'a> TensorMut<'a> {
    /// Caller bytes in `layout` (`Contiguous` or `FortranContiguous`).
    ///
    /// `dims` may be the tensor's shape or, as upstream allows for both layouts, one value: the total number of
    /// elements.
    pub fn from_bytes(
        dtype: DType,
        dims: &[usize],
        layout: Layout,
        data: &'a mut [u8],
    ) -> Result<Self> {
        let count = element_count(dims, dtype.size(), "dims")?;
        check_len(data.len(), count, dtype, "result")?;
        let dest =
            match layout {
                Layout::Contiguous => Dest::RowMajor(data),
                Layout::FortranContiguous => Dest::ColumnMajor(data),
                Layout::Nested => return Err(Error::Parameter(
                    "A nested destination must be given as a pointer tree (TensorMut::from_nested)"
                        .into(),
                )),
            };
        Ok(TensorMut {
            dtype,
            dims: dims.to_vec(),
            layout,
            dest,
        })
    }

    /// A typed row-major destination.
    pub fn from_slice<T: Element>(dims: &[usize], data: &'a mut [T]) -> Result<Self> {
        let len = std::mem::size_of_val(data);
        // SAFETY: every byte pattern is a valid `T: Element` (plain numbers).
        let bytes = unsafe { std::slice::from_raw_parts_mut(data.as_mut_ptr().cast::<u8>(), len) };
        Self::from_bytes(T::dtype(), dims, Layout::Contiguous, bytes)
    }

    /// A nested pointer tree destination.
    ///
    /// # Safety
    /// As [`TensorRef::from_nested`], with the leaves writable and not aliased for `'a`.
    pub unsafe fn from_nested(dtype: DType, dims: &[usize], ptr: *mut c_void) -> Result<Self> {
        element_count(dims, dtype.size(), "dims")?;
        let mut rows = Vec::new();
        // SAFETY: forwarded from the caller.
        unsafe { nested_rows(ptr, dims, dtype.size(), "result", &mut rows)? };
        let rows = rows
            .into_iter()
            // SAFETY: each leaf is valid for writes of `len` bytes for `'a` and not aliased (caller's promise).
            .map(|(p, len)| unsafe { std::slice::from_raw_parts_mut(p, len) })
            .collect();
        Ok(TensorMut {
            dtype,
            dims: dims.to_vec(),
            layout: Layout::Nested,
            dest: Dest::Rows(rows),
        })
    }

    /// Checks that a stored tensor of `dtype` and `dims` fits this destination; the error says what differs.
    pub fn check(&self, key: &str, dtype: DType, dims: &[usize]) -> Result<()> {
        if dtype != self.dtype {
            return Err(Error::Runtime(format!(
                "The type of tensor {key} is {}, but {} was requested",
                dtype.wire_name(),
                self.dtype.wire_name()
            )));
        }
        let total = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        // Upstream accepts the single total element count for both contiguous layouts (a column-major
        // destination is then filled with the stored shape).
        let ok = if self.layout != Layout::Nested && self.dims.len() == 1 {
            Some(self.dims[0]) == total
        } else {
            self.dims == dims
        };
        if !ok {
            return Err(Error::Runtime(format!(
                "The dimensions of tensor {key} are {dims:?}, but {:?} were given",
                self.dims
            )));
        }
        Ok(())
    }

    /// Fills the destination from a row-major payload delivered by `read` (straight into the caller's memory for
    /// row-major and nested destinations; through `read_chunks` with a scatter for column-major ones).
    pub fn fill<E>(
        &mut self,
        stored_dims: &[usize],
        read_into: &mut dyn FnMut(&mut [u8]) -> std::result::Result<(), E>,
        read_chunks: &mut ChunkReader<'_, E>,
    ) -> std::result::Result<(), E> {
        let es = self.dtype.size();
        match &mut self.dest {
            Dest::RowMajor(d) => read_into(d),
            Dest::Rows(rows) => {
                for r in rows.iter_mut() {
                    read_into(r)?;
                }
                Ok(())
            }
            Dest::ColumnMajor(d) => {
                let total = d.len();
                let mut offsets = ColumnMajorOffsets::new(stored_dims);
                read_chunks(total, &mut |chunk: &[u8]| {
                    // The payload length was checked against the shape, so offsets never run out.
                    for (e, idx) in chunk.chunks_exact(es).zip(&mut offsets) {
                        let off = idx * es;
                        d[off..off + es].copy_from_slice(e);
                    }
                })
            }
        }
    }
}

/// Bytes in memory aligned for every element type (8 bytes).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AlignedBytes {
    words: Vec<u64>,
    len: usize,
}

impl std::fmt::Debug for AlignedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedBytes({} bytes)", self.len)
    }
}

impl AlignedBytes {
    /// `len` zero bytes, in one allocation. The memory comes zeroed from the allocator (fresh pages for large
    /// sizes), so it is not written twice: the payload is the first thing written into it.
    pub fn zeroed(len: usize) -> Result<AlignedBytes> {
        let n = len.div_ceil(8);
        if n == 0 {
            return Ok(AlignedBytes::default());
        }
        let too_big = || Error::BadAlloc(format!("cannot allocate {len} bytes for a tensor"));
        let layout = std::alloc::Layout::array::<u64>(n).map_err(|_| too_big())?;
        // SAFETY: `layout` has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<u64>();
        if ptr.is_null() {
            return Err(too_big());
        }
        // SAFETY: allocated by the global allocator with the layout of `n` u64s, all initialised (zero).
        let words = unsafe { Vec::from_raw_parts(ptr, n, n) };
        Ok(AlignedBytes { words, len })
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `len <= 8 * words.len()`, and u64 memory is valid as bytes.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast(), self.len) }
    }

    /// The bytes, writable.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as `as_bytes`, uniquely borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast(), self.len) }
    }

    /// The bytes as elements of `T` (the length must be a multiple of its size).
    pub fn as_slice<T: Element>(&self) -> &[T] {
        let n = self.len / std::mem::size_of::<T>();
        // SAFETY: 8-byte aligned, `n * size_of::<T>() <= len`, every byte pattern is a valid `T`.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast(), n) }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A tensor fetched from the database, owned by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    /// Element type.
    pub dtype: DType,
    /// Shape (as stored: row-major order of dimensions, also for Fortran-ordered data).
    pub dims: Vec<usize>,
    /// Memory layout of `data`: `Contiguous` (row-major) or `FortranContiguous` (column-major).
    pub layout: Layout,
    /// The elements.
    pub data: AlignedBytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_source_is_transposed_in_chunks() {
        // 2x3 column-major: A(i,j) = 10*i + j stored as [A00, A10, A01, A11, A02, A12].
        let col: Vec<i32> = vec![0, 10, 1, 11, 2, 12];
        let bytes: Vec<u8> = col.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let t = TensorRef::from_bytes(i32::dtype(), &[2, 3], Layout::FortranContiguous, &bytes)
            .unwrap();
        let mut out = Vec::new();
        t.for_each_chunk::<()>(8, |c| {
            assert!(c.len() <= 8);
            out.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        let rows: Vec<i32> = out
            .chunks(4)
            .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(rows, vec![0, 1, 2, 10, 11, 12]);
    }

    #[test]
    fn small_nested_rows_are_gathered_into_full_chunks() {
        let rows: Vec<[f32; 3]> = (0..100).map(|i| [i as f32; 3]).collect();
        let ptrs: Vec<*const f32> = rows.iter().map(|r| r.as_ptr()).collect();
        // SAFETY: 100 pointers to rows of 3 f32, alive for the test.
        let t = unsafe { TensorRef::from_nested(f32::dtype(), &[100, 3], ptrs.as_ptr().cast()) }
            .unwrap();
        let mut sizes = Vec::new();
        let mut out = Vec::new();
        t.for_each_chunk::<()>(64, |c| {
            sizes.push(c.len());
            out.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        // 1200 bytes: 18 full chunks of 64 and one of 48, not 100 calls of 12.
        assert_eq!(sizes.len(), 19);
        assert!(sizes[..18].iter().all(|&n| n == 64));
        assert_eq!(sizes[18], 48);
        let want: Vec<u8> = rows
            .iter()
            .flatten()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert_eq!(out, want);
    }

    #[test]
    fn nested_rows_are_found() {
        let r0 = [1.0f64, 2.0];
        let r1 = [3.0f64, 4.0];
        let table = [r0.as_ptr().cast::<c_void>(), r1.as_ptr().cast::<c_void>()];
        let t = unsafe { TensorRef::from_nested(f64::dtype(), &[2, 2], table.as_ptr().cast()) }
            .unwrap();
        assert_eq!(t.rows().unwrap().len(), 2);
        assert_eq!(t.byte_len(), 32);
        let null: [*const c_void; 2] = [r0.as_ptr().cast(), std::ptr::null()];
        assert!(
            unsafe { TensorRef::from_nested(f64::dtype(), &[2, 2], null.as_ptr().cast()) }.is_err()
        );
    }

    #[test]
    fn checks() {
        let data = [0u8; 16];
        assert!(TensorRef::from_bytes(f64::dtype(), &[3], Layout::Contiguous, &data).is_err());
        let mut out = [0.0f64; 6];
        let m = TensorMut::from_slice(&[6], &mut out).unwrap();
        assert!(m.check("k", f64::dtype(), &[2, 3]).is_ok());
        assert!(m
            .check("k", f32::dtype(), &[2, 3])
            .unwrap_err()
            .message()
            .contains("FLOAT"));
        assert!(m.check("k", f64::dtype(), &[7]).is_err());
        let mut out2 = [0.0f64; 6];
        let m = TensorMut::from_bytes(
            f64::dtype(),
            &[3, 2],
            Layout::FortranContiguous,
            bytemuck(&mut out2),
        )
        .unwrap();
        assert!(m.check("k", f64::dtype(), &[2, 3]).is_err());
    }

    fn bytemuck(v: &mut [f64]) -> &mut [u8] {
        unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), v.len() * 8) }
    }
}
