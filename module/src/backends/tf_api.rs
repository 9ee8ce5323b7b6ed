//! The subset of TensorFlow's C API (`tensorflow/c/c_api.h`, `tf_tensor.h`, `tf_status.h`) this module calls,
//! declared by hand and resolved with `dlsym` from `libtensorflow_cc.so.2` (which finds the tensor functions in
//! `libtensorflow_framework.so.2`, its dependency). Signatures as in TensorFlow 2.21.

#![allow(non_camel_case_types)] // the C API's own names

use std::os::raw::{c_char, c_int, c_void};

/// Opaque TensorFlow handles.
pub enum TF_Status {}
/// A computation graph.
pub enum TF_Graph {}
/// Options of `TF_GraphImportGraphDef`.
pub enum TF_ImportGraphDefOptions {}
/// A node of a graph.
pub enum TF_Operation {}
/// Options of `TF_NewSession`.
pub enum TF_SessionOptions {}
/// A session running a graph.
pub enum TF_Session {}
/// A tensor.
pub enum TF_Tensor {}

/// `TF_Buffer`: bytes handed to or returned by the library.
#[repr(C)]
pub struct TF_Buffer {
    /// The bytes.
    pub data: *const c_void,
    /// Their length.
    pub length: usize,
    /// Frees `data` (NULL: the caller keeps ownership).
    pub data_deallocator: Option<unsafe extern "C" fn(*mut c_void, usize)>,
}

/// `TF_Output`: output `index` of an operation (also used for the inputs fed to a run).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TF_Output {
    /// The operation.
    pub oper: *mut TF_Operation,
    /// Which of its outputs.
    pub index: c_int,
}

/// `TF_OK`.
pub const TF_OK: c_int = 0;

/// `TF_DataType` codes (`tf_datatype.h`).
pub mod dtype {
    use std::os::raw::c_int;
    /// `TF_FLOAT`.
    pub const FLOAT: c_int = 1;
    /// `TF_DOUBLE`.
    pub const DOUBLE: c_int = 2;
    /// `TF_INT32`.
    pub const INT32: c_int = 3;
    /// `TF_UINT8`.
    pub const UINT8: c_int = 4;
    /// `TF_INT16`.
    pub const INT16: c_int = 5;
    /// `TF_INT8`.
    pub const INT8: c_int = 6;
    /// `TF_STRING`.
    pub const STRING: c_int = 7;
    /// `TF_INT64`.
    pub const INT64: c_int = 9;
    /// `TF_BOOL`.
    pub const BOOL: c_int = 10;
    /// `TF_UINT16`.
    pub const UINT16: c_int = 17;
}

/// `void (*deallocator)(void* data, size_t len, void* arg)` of `TF_NewTensor`.
pub type Deallocator = unsafe extern "C" fn(*mut c_void, usize, *mut c_void);

macro_rules! tf_api {
    ($($name:ident: fn($($a:ty),*) $(-> $r:ty)?;)*) => {
        /// The functions used, resolved by name.
        #[allow(non_snake_case)]
        pub struct Api {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub $name: unsafe extern "C" fn($($a),*) $(-> $r)?,
            )*
        }

        impl Api {
            /// Resolves every function from a library handle.
            ///
            /// # Safety
            /// `handle` must be a live `dlopen` handle of TensorFlow's C library, never closed.
            pub unsafe fn resolve(handle: *mut c_void) -> Result<Api, String> {
                Ok(Api {
                    $(
                        $name: {
                            // SAFETY: looking up a symbol in a live handle.
                            let p = unsafe {
                                libc::dlsym(handle, concat!(stringify!($name), "\0").as_ptr().cast())
                            };
                            if p.is_null() {
                                return Err(format!("the TensorFlow library lacks {}", stringify!($name)));
                            }
                            // SAFETY: TensorFlow's C API defines this symbol with exactly this signature.
                            unsafe {
                                std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($a),*) $(-> $r)?>(p)
                            }
                        },
                    )*
                })
            }
        }
    };
}

tf_api! {
    TF_Version: fn() -> *const c_char;
    TF_NewStatus: fn() -> *mut TF_Status;
    TF_DeleteStatus: fn(*mut TF_Status);
    TF_GetCode: fn(*const TF_Status) -> c_int;
    TF_Message: fn(*const TF_Status) -> *const c_char;
    TF_NewGraph: fn() -> *mut TF_Graph;
    TF_DeleteGraph: fn(*mut TF_Graph);
    TF_NewImportGraphDefOptions: fn() -> *mut TF_ImportGraphDefOptions;
    TF_DeleteImportGraphDefOptions: fn(*mut TF_ImportGraphDefOptions);
    TF_GraphImportGraphDef: fn(*mut TF_Graph, *const TF_Buffer, *const TF_ImportGraphDefOptions, *mut TF_Status);
    TF_GraphOperationByName: fn(*mut TF_Graph, *const c_char) -> *mut TF_Operation;
    TF_OperationOpType: fn(*mut TF_Operation) -> *const c_char;
    TF_OperationNumOutputs: fn(*mut TF_Operation) -> c_int;
    TF_NewSessionOptions: fn() -> *mut TF_SessionOptions;
    TF_DeleteSessionOptions: fn(*mut TF_SessionOptions);
    TF_SetConfig: fn(*mut TF_SessionOptions, *const c_void, usize, *mut TF_Status);
    TF_NewSession: fn(*mut TF_Graph, *const TF_SessionOptions, *mut TF_Status) -> *mut TF_Session;
    TF_CloseSession: fn(*mut TF_Session, *mut TF_Status);
    TF_DeleteSession: fn(*mut TF_Session, *mut TF_Status);
    TF_SessionRun: fn(
        *mut TF_Session, *const TF_Buffer,
        *const TF_Output, *const *mut TF_Tensor, c_int,
        *const TF_Output, *mut *mut TF_Tensor, c_int,
        *const *const TF_Operation, c_int,
        *mut TF_Buffer, *mut TF_Status
    );
    TF_NewTensor: fn(c_int, *const i64, c_int, *mut c_void, usize, Deallocator, *mut c_void) -> *mut TF_Tensor;
    TF_AllocateTensor: fn(c_int, *const i64, c_int, usize) -> *mut TF_Tensor;
    TF_DeleteTensor: fn(*mut TF_Tensor);
    TF_TensorType: fn(*const TF_Tensor) -> c_int;
    TF_NumDims: fn(*const TF_Tensor) -> c_int;
    TF_Dim: fn(*const TF_Tensor, c_int) -> i64;
    TF_TensorByteSize: fn(*const TF_Tensor) -> usize;
    TF_TensorData: fn(*const TF_Tensor) -> *mut c_void;
}
