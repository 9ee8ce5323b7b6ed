//! `DataSet`: named tensors plus metadata fields, stored and fetched as one unit (SmartRedis's `DataSet`).
//!
//! Tensors are copied in when added (from any caller layout) and kept row-major; metadata fields hold scalars of
//! one type or strings. [`wire`] says how both lie in the database.

/// The key layout and metadata encoding (shared with the module, in `smartredis-protocol`).
pub use smartredis_protocol::dataset as wire;

use std::cell::Cell;

use crate::enums::{SRLoggingLevel, SRMetaDataType, SRTensorType};
use crate::error::{Error, Result};
use crate::logging::LogSource;
use crate::tensor::{AlignedBytes, Layout, Tensor, TensorMut, TensorRef};
use wire::{MetaValues, ACK_FIELD, TENSOR_NAMES_FIELD};

/// One metadata scalar, of any of the six scalar metadata types.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetaScalar {
    /// `SRMetadataTypeDouble`.
    F64(f64),
    /// `SRMetadataTypeFloat`.
    F32(f32),
    /// `SRMetadataTypeInt32`.
    I32(i32),
    /// `SRMetadataTypeInt64`.
    I64(i64),
    /// `SRMetadataTypeUint32`.
    U32(u32),
    /// `SRMetadataTypeUint64`.
    U64(u64),
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident),*) => { $(impl From<$t> for MetaScalar { fn from(x: $t) -> Self { MetaScalar::$v(x) } })* };
}
scalar_from!(f64 => F64, f32 => F32, i32 => I32, i64 => I64, u32 => U32, u64 => U64);

impl MetaScalar {
    /// Reads one value of `type_` from native-endian bytes (as many as the type's size, from the front).
    /// The string and invalid types are runtime errors, as upstream's `add_meta_scalar`.
    pub fn from_ne_bytes(type_: SRMetaDataType, bytes: &[u8]) -> Result<MetaScalar> {
        fn take<const N: usize>(b: &[u8]) -> Result<[u8; N]> {
            b.get(..N)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| Error::Parameter(format!("a metadata value needs {N} bytes")))
        }
        use SRMetaDataType as T;
        Ok(match type_ {
            T::SRMetadataTypeDouble => MetaScalar::F64(f64::from_ne_bytes(take(bytes)?)),
            T::SRMetadataTypeFloat => MetaScalar::F32(f32::from_ne_bytes(take(bytes)?)),
            T::SRMetadataTypeInt32 => MetaScalar::I32(i32::from_ne_bytes(take(bytes)?)),
            T::SRMetadataTypeInt64 => MetaScalar::I64(i64::from_ne_bytes(take(bytes)?)),
            T::SRMetadataTypeUint32 => MetaScalar::U32(u32::from_ne_bytes(take(bytes)?)),
            T::SRMetadataTypeUint64 => MetaScalar::U64(u64::from_ne_bytes(take(bytes)?)),
            T::SRMetadataTypeString | T::SRMetadataTypeInvalid => {
                return Err(Error::Runtime(
                    "Invalid MetaDataType used in MetaData.add_scalar().".into(),
                ))
            }
        })
    }

    /// Size in bytes of a value of `type_` (0 for the string and invalid types).
    pub fn size_of(type_: SRMetaDataType) -> usize {
        use SRMetaDataType as T;
        match type_ {
            T::SRMetadataTypeDouble | T::SRMetadataTypeInt64 | T::SRMetadataTypeUint64 => 8,
            T::SRMetadataTypeFloat | T::SRMetadataTypeInt32 | T::SRMetadataTypeUint32 => 4,
            T::SRMetadataTypeString | T::SRMetadataTypeInvalid => 0,
        }
    }
}

/// The `SRMetaDataType` of a field.
pub fn meta_type(v: &MetaValues) -> SRMetaDataType {
    // Every type id MetaValues produces is a valid SRMetaDataType.
    SRMetaDataType::try_from(i32::from(v.type_id()))
        .unwrap_or(SRMetaDataType::SRMetadataTypeInvalid)
}

/// Upstream's words for a tensor type (`to_string(SRTensorType)`).
fn tensor_type_words(t: SRTensorType) -> &'static str {
    use SRTensorType as T;
    match t {
        T::SRTensorTypeDouble => "double",
        T::SRTensorTypeFloat => "float",
        T::SRTensorTypeInt8 => "8 bit signed integer",
        T::SRTensorTypeInt16 => "16 bit signed integer",
        T::SRTensorTypeInt32 => "32 bit signed integer",
        T::SRTensorTypeInt64 => "64 bit signed integer",
        T::SRTensorTypeUint8 => "8 bit unsigned integer",
        T::SRTensorTypeUint16 => "16 bit unsigned integer",
        T::SRTensorTypeInvalid => "Invalid tensor type",
    }
}

/// Upstream's words for a metadata type (`to_string(SRMetaDataType)`).
fn meta_type_words(t: SRMetaDataType) -> &'static str {
    use SRMetaDataType as T;
    match t {
        T::SRMetadataTypeDouble => "double",
        T::SRMetadataTypeFloat => "float",
        T::SRMetadataTypeInt32 => "32 bit signed integer",
        T::SRMetadataTypeInt64 => "64 bit signed integer",
        T::SRMetadataTypeUint32 => "32 bit unsigned integer",
        T::SRMetadataTypeUint64 => "64 bit unsigned integer",
        T::SRMetadataTypeString => "string",
        T::SRMetadataTypeInvalid => "Invalid metadata type",
    }
}

/// A named group of tensors and metadata fields.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSet {
    name: String,
    /// In insertion order (the order of the `.tensor_names` field).
    tensors: Vec<(String, Tensor)>,
    /// In insertion order; includes the internal `.tensor_names` field once a tensor was added.
    fields: Vec<(String, MetaValues)>,
}

impl LogSource for DataSet {
    fn log_context(&self) -> &str {
        &self.name
    }
}

fn check_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::Parameter(format!("{what} must not be empty")));
    }
    Ok(())
}

impl DataSet {
    /// An empty dataset called `name` (which must not be empty).
    pub fn new(name: &str) -> Result<DataSet> {
        check_name(name, "The dataset name")?;
        let ds = DataSet {
            name: name.to_string(),
            tensors: Vec::new(),
            fields: Vec::new(),
        };
        ds.log_data(SRLoggingLevel::LLDebug, "New DataSet created");
        Ok(ds)
    }

    /// The dataset's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames the dataset (not what is stored under the old name).
    pub fn set_name(&mut self, name: &str) -> Result<()> {
        check_name(name, "The dataset name")?;
        self.name = name.to_string();
        Ok(())
    }

    /// Whether the dataset has neither tensors nor metadata.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty() && self.fields.is_empty()
    }

    /// Adds a copy of `tensor` under `name`. The name must be new, not empty, and not `meta` (whose key would be
    /// the metadata hash's).
    pub fn add_tensor(&mut self, name: &str, tensor: &TensorRef<'_>) -> Result<()> {
        check_name(name, "The tensor name")?;
        if name == "meta" {
            return Err(Error::Parameter(
                "The tensor name \"meta\" is reserved for the dataset's metadata".into(),
            ));
        }
        if self.tensor_index(name).is_some() {
            return Err(Error::Runtime(format!("The tensor {name} already exists")));
        }
        let mut data = AlignedBytes::zeroed(tensor.byte_len())?;
        let mut pos = 0;
        let dst = data.as_bytes_mut();
        if let Some(src) = tensor.row_major() {
            dst.copy_from_slice(src);
        } else {
            tensor
                .for_each_chunk::<()>(1 << 20, |c| {
                    dst[pos..pos + c.len()].copy_from_slice(c);
                    pos += c.len();
                    Ok(())
                })
                .map_err(|()| Error::Internal("copying a tensor failed".into()))?;
        }
        let t = Tensor {
            dtype: tensor.dtype(),
            dims: tensor.dims().to_vec(),
            layout: Layout::Contiguous,
            data,
        };
        self.push_string(TENSOR_NAMES_FIELD, name.as_bytes())?;
        self.tensors.push((name.to_string(), t));
        Ok(())
    }

    /// Adds a fetched tensor without touching `.tensor_names` (which came with the metadata).
    pub(crate) fn insert_fetched(&mut self, name: &str, tensor: Tensor) {
        self.tensors.push((name.to_string(), tensor));
    }

    fn check_field_name(name: &str) -> Result<()> {
        check_name(name, "The metadata field name")?;
        if name == TENSOR_NAMES_FIELD || name == ACK_FIELD {
            return Err(Error::Parameter(format!(
                "The metadata field name {name} is reserved"
            )));
        }
        Ok(())
    }

    fn field_mut(&mut self, name: &str, empty: MetaValues) -> Result<&mut MetaValues> {
        let i = match self.fields.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.fields.push((name.to_string(), empty));
                self.fields.len() - 1
            }
        };
        Ok(&mut self.fields[i].1)
    }

    fn push_string(&mut self, name: &str, value: &[u8]) -> Result<()> {
        match self.field_mut(name, MetaValues::Str(Vec::new()))? {
            MetaValues::Str(v) => {
                v.push(value.to_vec());
                Ok(())
            }
            _ => Err(Error::Runtime(
                "The metadata field isn't a string type.".into(),
            )),
        }
    }

    /// Appends a scalar to metadata field `name` (created with the scalar's type if new). A field of another type
    /// is a runtime error, as upstream.
    pub fn add_meta_scalar(&mut self, name: &str, value: impl Into<MetaScalar>) -> Result<()> {
        Self::check_field_name(name)?;
        let value = value.into();
        let empty = match value {
            MetaScalar::F64(_) => MetaValues::F64(Vec::new()),
            MetaScalar::F32(_) => MetaValues::F32(Vec::new()),
            MetaScalar::I32(_) => MetaValues::I32(Vec::new()),
            MetaScalar::I64(_) => MetaValues::I64(Vec::new()),
            MetaScalar::U32(_) => MetaValues::U32(Vec::new()),
            MetaScalar::U64(_) => MetaValues::U64(Vec::new()),
        };
        let field = self.field_mut(name, empty)?;
        match (field, value) {
            (MetaValues::F64(v), MetaScalar::F64(x)) => v.push(x),
            (MetaValues::F32(v), MetaScalar::F32(x)) => v.push(x),
            (MetaValues::I32(v), MetaScalar::I32(x)) => v.push(x),
            (MetaValues::I64(v), MetaScalar::I64(x)) => v.push(x),
            (MetaValues::U32(v), MetaScalar::U32(x)) => v.push(x),
            (MetaValues::U64(v), MetaScalar::U64(x)) => v.push(x),
            _ => {
                return Err(Error::Runtime(format!(
                    "The existing metadata field {name} has a different type."
                )))
            }
        }
        Ok(())
    }

    /// Appends a string (any bytes) to metadata field `name` (created if new). A scalar field is a runtime error.
    pub fn add_meta_string(&mut self, name: &str, value: &[u8]) -> Result<()> {
        Self::check_field_name(name)?;
        self.push_string(name, value)
    }

    /// The values of field `name` (also the internal `.tensor_names`). A missing field is a key error.
    pub fn field(&self, name: &str) -> Result<&MetaValues> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                Error::Key(format!(
                    "Dataset {} does not contain the field {name}",
                    self.name
                ))
            })
    }

    /// The values of scalar field `name`; a string field is a runtime error, a missing one a key error.
    pub fn get_meta_scalars(&self, name: &str) -> Result<&MetaValues> {
        match self.field(name)? {
            MetaValues::Str(_) => Err(Error::Runtime(format!(
                "The metadata field {name} is a string field; use get_meta_strings"
            ))),
            v => Ok(v),
        }
    }

    /// The strings of string field `name`; a scalar field is a runtime error, a missing one a key error.
    pub fn get_meta_strings(&self, name: &str) -> Result<&[Vec<u8>]> {
        match self.field(name)? {
            MetaValues::Str(v) => Ok(v),
            _ => Err(Error::Runtime(format!(
                "The metadata field {name} is not a string field."
            ))),
        }
    }

    /// Whether field `name` exists.
    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|(n, _)| n == name)
    }

    /// Removes field `name` (nothing happens if it does not exist).
    pub fn clear_field(&mut self, name: &str) {
        self.fields.retain(|(n, _)| n != name);
    }

    /// The names of the metadata fields, without the internal `.tensor_names`.
    pub fn metadata_field_names(&self) -> Vec<&str> {
        self.fields
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| *n != TENSOR_NAMES_FIELD)
            .collect()
    }

    /// The type of field `name`; a missing field is a key error.
    pub fn metadata_field_type(&self, name: &str) -> Result<SRMetaDataType> {
        self.field(name).map(meta_type)
    }

    /// The tensor names in insertion order.
    pub fn tensor_names(&self) -> Vec<&str> {
        self.tensors.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn tensor_index(&self, name: &str) -> Option<usize> {
        self.tensors.iter().position(|(n, _)| n == name)
    }

    /// The tensor `name` (row-major); a missing tensor is a key error.
    pub fn tensor(&self, name: &str) -> Result<&Tensor> {
        self.tensor_index(name)
            .map(|i| &self.tensors[i].1)
            .ok_or_else(|| {
                Error::Key(format!(
                    "The tensor \"{name}\" does not exist in dataset \"{}\".",
                    self.name
                ))
            })
    }

    /// The type of tensor `name`; a missing tensor is a key error (upstream: an internal error).
    pub fn tensor_type(&self, name: &str) -> Result<SRTensorType> {
        Ok(self.tensor(name)?.dtype.sr())
    }

    /// The dimensions of tensor `name`; a missing tensor is a key error (upstream: an internal error).
    pub fn tensor_dims(&self, name: &str) -> Result<&[usize]> {
        Ok(&self.tensor(name)?.dims)
    }

    /// A copy of tensor `name` in `layout` (`Contiguous` or `FortranContiguous`).
    pub fn get_tensor(&self, name: &str, layout: Layout) -> Result<Tensor> {
        let t = self.tensor(name)?;
        match layout {
            Layout::Contiguous => Ok(t.clone()),
            Layout::FortranContiguous => {
                let mut data = AlignedBytes::zeroed(t.data.len())?;
                if t.dims.len() <= 1 {
                    data.as_bytes_mut().copy_from_slice(t.data.as_bytes());
                } else {
                    let dest = TensorMut::from_bytes(
                        t.dtype,
                        &t.dims,
                        Layout::FortranContiguous,
                        data.as_bytes_mut(),
                    )?;
                    fill_from(t, dest)?;
                }
                Ok(Tensor {
                    dtype: t.dtype,
                    dims: t.dims.clone(),
                    layout: Layout::FortranContiguous,
                    data,
                })
            }
            Layout::Nested => Err(Error::Parameter(
                "get_tensor returns Contiguous or FortranContiguous memory; nested pointers are built by the C API"
                    .into(),
            )),
        }
    }

    /// Copies tensor `name` into caller memory after checking its type and dimensions against `dest`.
    pub fn unpack_tensor(&self, name: &str, dest: TensorMut<'_>) -> Result<()> {
        let t = self.tensor(name)?;
        dest.check(name, t.dtype, &t.dims)?;
        fill_from(t, dest)
    }

    /// The serialized metadata fields (including `.tensor_names`), as written to the metadata hash.
    pub fn serialized_fields(&self) -> Vec<(&str, Vec<u8>)> {
        self.fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.encode()))
            .collect()
    }

    /// A dataset from the fields of a metadata hash (the acknowledgement field is skipped); its tensors are
    /// fetched separately, in the order of [`tensor_names_field`](Self::tensor_names_field).
    pub fn from_serialized_fields<'a>(
        name: &str,
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<DataSet> {
        let mut ds = DataSet::new(name)?;
        for (field, value) in fields {
            if field == ACK_FIELD.as_bytes() {
                continue;
            }
            let field = String::from_utf8(field.to_vec()).map_err(|_| {
                Error::Runtime(format!(
                    "Dataset {name}: a metadata field name is not valid UTF-8"
                ))
            })?;
            let values = MetaValues::decode(value).map_err(|e| {
                Error::Runtime(format!("Dataset {name}, metadata field {field}: {e}"))
            })?;
            ds.fields.push((field, values));
        }
        Ok(ds)
    }

    /// The tensor names listed in the `.tensor_names` field (empty if there is none).
    pub fn tensor_names_field(&self) -> Result<Vec<String>> {
        match self.fields.iter().find(|(n, _)| n == TENSOR_NAMES_FIELD) {
            None => Ok(Vec::new()),
            Some((_, MetaValues::Str(v))) => v
                .iter()
                .map(|s| {
                    String::from_utf8(s.clone()).map_err(|_| {
                        Error::Runtime(format!(
                            "Dataset {}: a tensor name is not valid UTF-8",
                            self.name
                        ))
                    })
                })
                .collect(),
            Some(_) => Err(Error::Runtime(format!(
                "Dataset {}: the {TENSOR_NAMES_FIELD} field is not a string field",
                self.name
            ))),
        }
    }

    /// A description in upstream's format: `DataSet (<name>):`, then each tensor (type, dimensions, elements)
    /// and each metadata field (type).
    pub fn describe(&self) -> String {
        let mut s = format!("DataSet ({}):\nTensors:\n", self.name);
        for (n, t) in &self.tensors {
            let dims: Vec<String> = t.dims.iter().map(|d| d.to_string()).collect();
            let count: usize = t.dims.iter().product();
            s.push_str(&format!(
                "  {n}:\n    type: {}\n    dimensions: [{}]\n    elements: {count}\n",
                tensor_type_words(t.dtype.sr()),
                dims.join(", ")
            ));
        }
        s.push_str("Metadata:\n");
        for n in self.metadata_field_names() {
            let t = self
                .metadata_field_type(n)
                .unwrap_or(SRMetaDataType::SRMetadataTypeInvalid);
            s.push_str(&format!("  {n}:\n    type: {}\n", meta_type_words(t)));
        }
        s
    }
}

/// Copies a stored row-major tensor into `dest` (already checked), transposing for column-major destinations.
fn fill_from(t: &Tensor, mut dest: TensorMut<'_>) -> Result<()> {
    let bytes = t.data.as_bytes();
    let pos = Cell::new(0usize);
    let take = |n: usize| -> std::result::Result<&[u8], Error> {
        let p = pos.get();
        let s = bytes
            .get(p..p + n)
            .ok_or_else(|| Error::Internal("tensor shorter than its shape".into()))?;
        pos.set(p + n);
        Ok(s)
    };
    dest.fill::<Error>(
        &t.dims,
        &mut |d: &mut [u8]| {
            d.copy_from_slice(take(d.len())?);
            Ok(())
        },
        &mut |len, f| {
            f(take(len)?);
            Ok(())
        },
    )
}

impl Drop for DataSet {
    fn drop(&mut self) {
        self.log_data(SRLoggingLevel::LLDebug, "DataSet destroyed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Element;

    fn sample() -> DataSet {
        let mut ds = DataSet::new("ds").unwrap();
        let v: Vec<f64> = (0..6).map(f64::from).collect();
        ds.add_tensor("t", &TensorRef::from_slice(&[2, 3], &v).unwrap())
            .unwrap();
        ds.add_meta_scalar("x", 1.5f64).unwrap();
        ds.add_meta_scalar("x", 2.5f64).unwrap();
        ds.add_meta_string("s", b"hello").unwrap();
        ds
    }

    #[test]
    fn tensors_and_metadata() {
        let ds = sample();
        assert_eq!(ds.tensor_names(), vec!["t"]);
        assert_eq!(ds.tensor_dims("t").unwrap(), &[2, 3]);
        assert_eq!(
            ds.tensor_type("t").unwrap(),
            SRTensorType::SRTensorTypeDouble
        );
        assert_eq!(
            ds.tensor_type("u").unwrap_err().code(),
            crate::SRError::SRKeyError
        );
        assert_eq!(
            ds.get_meta_scalars("x").unwrap(),
            &MetaValues::F64(vec![1.5, 2.5])
        );
        assert_eq!(ds.get_meta_strings("s").unwrap(), &[b"hello".to_vec()]);
        assert_eq!(ds.metadata_field_names(), vec!["x", "s"]);
        assert!(ds.has_field(TENSOR_NAMES_FIELD));
        let f = ds.get_tensor("t", Layout::FortranContiguous).unwrap();
        assert_eq!(f.data.as_slice::<f64>(), &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let mut out = [0f64; 6];
        ds.unpack_tensor("t", TensorMut::from_slice(&[6], &mut out).unwrap())
            .unwrap();
        assert_eq!(out, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let d = ds.describe();
        assert!(d.starts_with("DataSet (ds):\nTensors:\n  t:\n    type: double\n    dimensions: [2, 3]\n    elements: 6\nMetadata:\n  x:\n    type: double\n"), "{d}");
    }

    #[test]
    fn errors() {
        let mut ds = sample();
        let v = [1i32];
        let t = TensorRef::from_slice(&[1], &v).unwrap();
        assert_eq!(
            ds.add_tensor("t", &t).unwrap_err().code(),
            crate::SRError::SRRuntimeError
        );
        assert!(ds.add_tensor("", &t).is_err());
        assert!(ds.add_tensor("meta", &t).is_err());
        assert_eq!(
            ds.add_meta_scalar("x", 1i32).unwrap_err().code(),
            crate::SRError::SRRuntimeError
        );
        assert!(ds.add_meta_string("x", b"a").is_err());
        assert!(ds.add_meta_scalar("s", 1u64).is_err());
        assert!(ds.add_meta_string(ACK_FIELD, b"1").is_err());
        assert_eq!(
            ds.get_meta_scalars("nope").unwrap_err().code(),
            crate::SRError::SRKeyError
        );
        assert!(ds.get_meta_scalars("s").is_err());
        assert!(ds.get_meta_strings("x").is_err());
        let mut small = [0f32; 6];
        assert!(ds
            .unpack_tensor("t", TensorMut::from_slice(&[6], &mut small).unwrap())
            .is_err());
        assert!(DataSet::new("").is_err());
        assert!(MetaScalar::from_ne_bytes(SRMetaDataType::SRMetadataTypeString, &[0; 8]).is_err());
        ds.clear_field("x");
        assert!(!ds.has_field("x"));
        let _ = i8::dtype();
    }

    #[test]
    fn serialization_round_trip() {
        let ds = sample();
        let fields = ds.serialized_fields();
        let mut owned: Vec<(Vec<u8>, Vec<u8>)> = fields
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.clone()))
            .collect();
        owned.push((ACK_FIELD.as_bytes().to_vec(), b"1".to_vec()));
        let back = DataSet::from_serialized_fields(
            "ds",
            owned.iter().map(|(a, b)| (a.as_slice(), b.as_slice())),
        )
        .unwrap();
        assert_eq!(back.tensor_names_field().unwrap(), vec!["t".to_string()]);
        assert_eq!(
            back.get_meta_scalars("x").unwrap(),
            ds.get_meta_scalars("x").unwrap()
        );
        assert!(!back.has_field(ACK_FIELD));
    }
}
