//! Caller memory layouts and the row-major ↔ column-major index walk.

use crate::enums::SRMemoryLayout;
use crate::error::{Error, Result};

/// A supported memory layout of caller memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Nested pointer arrays (`T**` for 2-D), row-major.
    Nested,
    /// One row-major (C order) buffer.
    Contiguous,
    /// One column-major (Fortran order) buffer; transposed to and from the row-major wire layout.
    FortranContiguous,
}

impl Layout {
    /// Checks a C layout value. `SRMemLayoutFortranNested` is declared upstream but supported nowhere, and is a
    /// runtime error as there; `SRMemLayoutInvalid` is a parameter error.
    pub fn new(l: SRMemoryLayout) -> Result<Layout> {
        match l {
            SRMemoryLayout::SRMemLayoutNested => Ok(Layout::Nested),
            SRMemoryLayout::SRMemLayoutContiguous => Ok(Layout::Contiguous),
            SRMemoryLayout::SRMemLayoutFortranContiguous => Ok(Layout::FortranContiguous),
            SRMemoryLayout::SRMemLayoutFortranNested => Err(Error::Runtime(
                "The memory layout SRMemLayoutFortranNested is not supported".into(),
            )),
            SRMemoryLayout::SRMemLayoutInvalid => Err(Error::Parameter(
                "The memory layout SRMemLayoutInvalid is not a valid memory layout".into(),
            )),
        }
    }
}

/// Most dimensions a tensor may have. Nested pointer trees are walked recursively, one
/// level per dimension, so this also bounds that recursion.
pub(crate) const MAX_DIMS: usize = 1024;

/// Number of elements of a shape, checking that it has between one and [`MAX_DIMS`] dimensions, that every
/// dimension is positive and that the total fits in memory. `what` names the argument in errors.
pub fn element_count(dims: &[usize], elem_size: usize, what: &str) -> Result<usize> {
    if dims.is_empty() {
        return Err(Error::Parameter(format!(
            "{what} must have at least one dimension"
        )));
    }
    if dims.len() > MAX_DIMS {
        return Err(Error::Parameter(format!(
            "{what} has {} dimensions; at most {MAX_DIMS} are supported",
            dims.len()
        )));
    }
    let mut n: usize = 1;
    for (i, &d) in dims.iter().enumerate() {
        if d == 0 {
            return Err(Error::Parameter(format!(
                "All tensor dimensions must be positive: {what}[{i}] is 0"
            )));
        }
        n = n
            .checked_mul(d)
            .filter(|n| {
                n.checked_mul(elem_size)
                    .is_some_and(|b| b <= isize::MAX as usize)
            })
            .ok_or_else(|| Error::Parameter(format!("{what}: the tensor is too large")))?;
    }
    Ok(n)
}

/// Number of elements of a shape read from a server reply, or `None` when the shape cannot be right: a
/// dimension of 0, or a size that does not fit in memory. An empty shape is a scalar (one element).
pub fn reply_element_count(dims: &[usize], elem_size: usize) -> Option<usize> {
    if dims.len() > MAX_DIMS {
        return None;
    }
    dims.iter().try_fold(1usize, |n, &d| {
        if d == 0 {
            return None;
        }
        n.checked_mul(d).filter(|n| {
            n.checked_mul(elem_size)
                .is_some_and(|b| b <= isize::MAX as usize)
        })
    })
}

/// Walks the elements of a `dims`-shaped tensor in row-major order, yielding each one's offset (in elements)
/// in the column-major layout.
#[derive(Clone, Debug)]
pub struct ColumnMajorOffsets {
    dims: Vec<usize>,
    strides: Vec<usize>,
    idx: Vec<usize>,
    offset: usize,
    remaining: usize,
}

impl ColumnMajorOffsets {
    /// The walk over a shape with `count` elements (the product of `dims`).
    pub fn new(dims: &[usize]) -> Self {
        let mut strides = Vec::with_capacity(dims.len());
        let mut s = 1;
        for &d in dims {
            strides.push(s);
            s *= d;
        }
        ColumnMajorOffsets {
            dims: dims.to_vec(),
            strides,
            idx: vec![0; dims.len()],
            offset: 0,
            remaining: s,
        }
    }
}

impl Iterator for ColumnMajorOffsets {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let out = self.offset;
        // Advance the row-major index (last dimension fastest).
        let mut k = self.dims.len();
        while k > 0 {
            k -= 1;
            self.idx[k] += 1;
            self.offset += self.strides[k];
            if self.idx[k] < self.dims[k] {
                break;
            }
            self.offset -= self.dims[k] * self.strides[k];
            self.idx[k] = 0;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_transpose() {
        // 2x3: row-major (i,j) → column-major offset i + 2j.
        let v: Vec<usize> = ColumnMajorOffsets::new(&[2, 3]).collect();
        assert_eq!(v, vec![0, 2, 4, 1, 3, 5]);
        let v: Vec<usize> = ColumnMajorOffsets::new(&[4]).collect();
        assert_eq!(v, vec![0, 1, 2, 3]);
        let v: Vec<usize> = ColumnMajorOffsets::new(&[2, 1, 2]).collect();
        assert_eq!(v, vec![0, 2, 1, 3]);
    }

    #[test]
    fn counts_and_layouts() {
        assert_eq!(element_count(&[2, 3], 8, "dims").unwrap(), 6);
        assert!(element_count(&[], 8, "dims").is_err());
        assert!(element_count(&[2, 0], 8, "dims")
            .unwrap_err()
            .message()
            .contains("dims[1]"));
        assert!(element_count(&[usize::MAX, 2], 1, "dims").is_err());
        assert_eq!(
            Layout::new(SRMemoryLayout::SRMemLayoutFortranNested)
                .unwrap_err()
                .code(),
            crate::SRError::SRRuntimeError
        );
    }
}
