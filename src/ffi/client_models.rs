//! `c_client.h`, model and script part: storing (from memory or a file, one copy per GPU), fetching, running,
//! deleting and polling models and scripts, and `sr_set_model_chunk_size`.
//!
//! Name lists are `(const char** names, const size_t* lengths, size_t n)`. `n == 0` (the arrays may then be
//! NULL), or one name of length 0 (the Fortran wrapper's "absent"), means no names; otherwise every name must be
//! non-NULL and non-empty. For `set_model*`, input and output names are used only for the TF backend (compared
//! over `backend_length` bytes, case-insensitively) and ignored otherwise, as upstream's C layer does.
//! Model and script keys take the model ensemble prefix; in a cluster they are stored on every primary.

use std::ffi::{c_char, c_int, c_void};
use std::path::Path;

use super::client::client_arg;
use super::{bytes_arg, guard, nonempty_str_arg, out_arg, slice_arg, str_arg};
use crate::client::{is_tensorflow, ModelOptions};
use crate::error::{Error, Result, SRError};

/// Borrows a list of names (see the module documentation for the conventions).
fn names_arg<'a>(
    names: *mut *const c_char,
    lengths: *const usize,
    n: usize,
    what: &str,
) -> Result<Vec<&'a str>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let lengths = slice_arg(lengths, n, &format!("{what}_lengths"))?;
    if n == 1 && lengths[0] == 0 {
        return Ok(Vec::new());
    }
    let ptrs = slice_arg(names.cast_const(), n, what)?;
    ptrs.iter()
        .zip(lengths)
        .enumerate()
        .map(|(i, (&p, &len))| {
            if p.is_null() || len == 0 {
                return Err(Error::Parameter(format!("{what}[{i}] is NULL or empty")));
            }
            str_arg(p, len, &format!("{what}[{i}]"))
        })
        .collect()
}

/// A string that may be NULL when its length is 0 (the tag).
fn optional_str_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    if ptr.is_null() && len == 0 {
        return Ok("");
    }
    str_arg(ptr, len, what)
}

#[allow(clippy::too_many_arguments)]
fn model_options(
    backend: &str,
    batch_size: c_int,
    min_batch_size: c_int,
    min_batch_timeout: c_int,
    tag: *const c_char,
    tag_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
) -> Result<ModelOptions> {
    let tf = is_tensorflow(backend);
    let list = |p, l, n, what| -> Result<Vec<String>> {
        if !tf {
            return Ok(Vec::new());
        }
        Ok(names_arg(p, l, n, what)?
            .into_iter()
            .map(str::to_string)
            .collect())
    };
    Ok(ModelOptions {
        batch_size,
        min_batch_size,
        min_batch_timeout,
        tag: optional_str_arg(tag, tag_length, "tag")?.to_string(),
        inputs: list(inputs, input_lengths, n_inputs, "inputs")?,
        outputs: list(outputs, output_lengths, n_outputs, "outputs")?,
    })
}

/// Stores the `model_length` bytes at `model` under `name` with `backend` (`TF`, `TFLITE`, `TORCH`, `ONNX`) on
/// `device` (`CPU`, `GPU`, `GPU:<n>`). `batch_size`, `min_batch_size` and `min_batch_timeout` configure
/// auto-batching (0: off); `tag` (may be NULL with length 0) is stored with the model; input and output names are
/// for TF models. The server checks backend, device and bytes; its error text is the last error.
#[no_mangle]
pub extern "C" fn set_model(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    model: *const c_char,
    model_length: usize,
    backend: *const c_char,
    backend_length: usize,
    device: *const c_char,
    device_length: usize,
    batch_size: c_int,
    min_batch_size: c_int,
    min_batch_timeout: c_int,
    tag: *const c_char,
    tag_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
) -> SRError {
    guard("set_model", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let model = bytes_arg(model.cast(), model_length, "model")?;
        let backend = nonempty_str_arg(backend, backend_length, "backend")?;
        let device = nonempty_str_arg(device, device_length, "device")?;
        let opts = model_options(
            backend,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            tag_length,
            inputs,
            input_lengths,
            n_inputs,
            outputs,
            output_lengths,
            n_outputs,
        )?;
        c.client.set_model(name, model, backend, device, &opts)
    })
}

/// As [`set_model`], with the model read from the file `model_file` (a file that cannot be read is a runtime
/// error).
#[no_mangle]
pub extern "C" fn set_model_from_file(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    model_file: *const c_char,
    model_file_length: usize,
    backend: *const c_char,
    backend_length: usize,
    device: *const c_char,
    device_length: usize,
    batch_size: c_int,
    min_batch_size: c_int,
    min_batch_timeout: c_int,
    tag: *const c_char,
    tag_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
) -> SRError {
    guard("set_model_from_file", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let file = nonempty_str_arg(model_file, model_file_length, "model_file")?;
        let backend = nonempty_str_arg(backend, backend_length, "backend")?;
        let device = nonempty_str_arg(device, device_length, "device")?;
        let opts = model_options(
            backend,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            tag_length,
            inputs,
            input_lengths,
            n_inputs,
            outputs,
            output_lengths,
            n_outputs,
        )?;
        c.client
            .set_model_from_file(name, Path::new(file), backend, device, &opts)
    })
}

/// Stores one copy of the model per GPU `first_gpu .. first_gpu + num_gpus` (key `<name>.GPU:<i>`, device
/// `GPU:<i>`) and one under `name` on device `GPU`. Other arguments as [`set_model`].
#[no_mangle]
pub extern "C" fn set_model_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    model: *const c_char,
    model_length: usize,
    backend: *const c_char,
    backend_length: usize,
    first_gpu: c_int,
    num_gpus: c_int,
    batch_size: c_int,
    min_batch_size: c_int,
    min_batch_timeout: c_int,
    tag: *const c_char,
    tag_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
) -> SRError {
    guard("set_model_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let model = bytes_arg(model.cast(), model_length, "model")?;
        let backend = nonempty_str_arg(backend, backend_length, "backend")?;
        let opts = model_options(
            backend,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            tag_length,
            inputs,
            input_lengths,
            n_inputs,
            outputs,
            output_lengths,
            n_outputs,
        )?;
        c.client
            .set_model_multigpu(name, model, backend, first_gpu, num_gpus, &opts)
    })
}

/// As [`set_model_multigpu`], with the model read from the file `model_file`.
#[no_mangle]
pub extern "C" fn set_model_from_file_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    model_file: *const c_char,
    model_file_length: usize,
    backend: *const c_char,
    backend_length: usize,
    first_gpu: c_int,
    num_gpus: c_int,
    batch_size: c_int,
    min_batch_size: c_int,
    min_batch_timeout: c_int,
    tag: *const c_char,
    tag_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
) -> SRError {
    guard("set_model_from_file_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let file = nonempty_str_arg(model_file, model_file_length, "model_file")?;
        let backend = nonempty_str_arg(backend, backend_length, "backend")?;
        let opts = model_options(
            backend,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            tag_length,
            inputs,
            input_lengths,
            n_inputs,
            outputs,
            output_lengths,
            n_outputs,
        )?;
        c.client.set_model_from_file_multigpu(
            name,
            Path::new(file),
            backend,
            first_gpu,
            num_gpus,
            &opts,
        )
    })
}

const MODEL: u8 = 0;
const SCRIPT: u8 = 1;

/// Keeps `bytes` (plus a NUL after them) in the client as the last result of kind `kind` for `name`, and returns
/// the pointer and length to hand out.
fn keep(
    c: &mut super::client::CClient,
    kind: u8,
    name: &str,
    mut bytes: Vec<u8>,
) -> (*const c_char, usize) {
    let len = bytes.len();
    bytes.push(0);
    let kept = c.blobs.entry((kind, name.to_string())).or_default();
    *kept = bytes;
    (kept.as_ptr().cast(), len)
}

/// Fetches model `name`: `*model` points at its `*model_length` bytes (followed by a NUL), which belong to the
/// client and stay valid until the next `get_model` of that name or `DeleteCClient`.
#[no_mangle]
pub extern "C" fn get_model(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    model_length: *mut usize,
    model: *mut *const c_char,
) -> SRError {
    guard("get_model", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let model_length = out_arg(model_length, "model_length")?;
        let model = out_arg(model, "model")?;
        let bytes = c.client.get_model(name)?;
        let (p, len) = keep(c, MODEL, name, bytes);
        *model = p;
        *model_length = len;
        Ok(())
    })
}

/// Stores TorchScript `script` under `name` on `device` (`AI.SCRIPTSET`).
#[no_mangle]
pub extern "C" fn set_script(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    device: *const c_char,
    device_length: usize,
    script: *const c_char,
    script_length: usize,
) -> SRError {
    guard("set_script", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let device = nonempty_str_arg(device, device_length, "device")?;
        let script = str_arg(script, script_length, "script")?;
        c.client.set_script(name, device, script)
    })
}

/// As [`set_script`], with the source read from the file `script_file`.
#[no_mangle]
pub extern "C" fn set_script_from_file(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    device: *const c_char,
    device_length: usize,
    script_file: *const c_char,
    script_file_length: usize,
) -> SRError {
    guard("set_script_from_file", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let device = nonempty_str_arg(device, device_length, "device")?;
        let file = nonempty_str_arg(script_file, script_file_length, "script_file")?;
        c.client.set_script_from_file(name, device, Path::new(file))
    })
}

/// Stores one copy of `script` per GPU `first_gpu .. first_gpu + num_gpus` and one on device `GPU`.
#[no_mangle]
pub extern "C" fn set_script_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    script: *const c_char,
    script_length: usize,
    first_gpu: c_int,
    num_gpus: c_int,
) -> SRError {
    guard("set_script_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let script = str_arg(script, script_length, "script")?;
        c.client
            .set_script_multigpu(name, script, first_gpu, num_gpus)
    })
}

/// As [`set_script_multigpu`], with the source read from the file `script_file`.
#[no_mangle]
pub extern "C" fn set_script_from_file_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    script_file: *const c_char,
    script_file_length: usize,
    first_gpu: c_int,
    num_gpus: c_int,
) -> SRError {
    guard("set_script_from_file_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let file = nonempty_str_arg(script_file, script_file_length, "script_file")?;
        c.client
            .set_script_from_file_multigpu(name, Path::new(file), first_gpu, num_gpus)
    })
}

/// Fetches the source of script `name`: `*script` points at `*script_length` bytes (followed by a NUL), owned by
/// the client until the next `get_script` of that name or `DeleteCClient`. (The argument order differs from
/// [`get_model`], as upstream.)
#[no_mangle]
pub extern "C" fn get_script(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    script: *mut *const c_char,
    script_length: *mut usize,
) -> SRError {
    guard("get_script", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let script = out_arg(script, "script")?;
        let script_length = out_arg(script_length, "script_length")?;
        let source = c.client.get_script(name)?;
        let (p, len) = keep(c, SCRIPT, name, source.into_bytes());
        *script = p;
        *script_length = len;
        Ok(())
    })
}

/// Runs `function` of script `name` on tensors `inputs` into tensors `outputs` (`AI.SCRIPTRUN`).
#[no_mangle]
pub extern "C" fn run_script(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    function: *const c_char,
    function_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
) -> SRError {
    guard("run_script", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let function = nonempty_str_arg(function, function_length, "function")?;
        let ins = names_arg(inputs, input_lengths, n_inputs, "inputs")?;
        let outs = names_arg(outputs, output_lengths, n_outputs, "outputs")?;
        c.client.run_script(name, function, &ins, &outs)
    })
}

/// Runs `function` of the copy of script `name` on GPU `first_gpu + offset mod num_gpus`.
#[no_mangle]
pub extern "C" fn run_script_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    function: *const c_char,
    function_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
    offset: c_int,
    first_gpu: c_int,
    num_gpus: c_int,
) -> SRError {
    guard("run_script_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let function = nonempty_str_arg(function, function_length, "function")?;
        let ins = names_arg(inputs, input_lengths, n_inputs, "inputs")?;
        let outs = names_arg(outputs, output_lengths, n_outputs, "outputs")?;
        c.client
            .run_script_multigpu(name, function, &ins, &outs, offset, first_gpu, num_gpus)
    })
}

/// Runs model `name` on tensors `inputs` into tensors `outputs` (`AI.MODELEXECUTE`, `TIMEOUT` from
/// `SR_MODEL_TIMEOUT`). A failed run's last error is the server's text.
#[no_mangle]
pub extern "C" fn run_model(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
) -> SRError {
    guard("run_model", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let ins = names_arg(inputs, input_lengths, n_inputs, "inputs")?;
        let outs = names_arg(outputs, output_lengths, n_outputs, "outputs")?;
        c.client.run_model(name, &ins, &outs)
    })
}

/// Runs the copy of model `name` on GPU `first_gpu + offset mod num_gpus`.
#[no_mangle]
pub extern "C" fn run_model_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    inputs: *mut *const c_char,
    input_lengths: *const usize,
    n_inputs: usize,
    outputs: *mut *const c_char,
    output_lengths: *const usize,
    n_outputs: usize,
    offset: c_int,
    first_gpu: c_int,
    num_gpus: c_int,
) -> SRError {
    guard("run_model_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let ins = names_arg(inputs, input_lengths, n_inputs, "inputs")?;
        let outs = names_arg(outputs, output_lengths, n_outputs, "outputs")?;
        c.client
            .run_model_multigpu(name, &ins, &outs, offset, first_gpu, num_gpus)
    })
}

/// Deletes model `name`.
#[no_mangle]
pub extern "C" fn delete_model(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
) -> SRError {
    guard("delete_model", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        c.client.delete_model(name)
    })
}

/// Deletes the copies [`set_model_multigpu`] stored.
#[no_mangle]
pub extern "C" fn delete_model_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    first_gpu: c_int,
    num_gpus: c_int,
) -> SRError {
    guard("delete_model_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        c.client.delete_model_multigpu(name, first_gpu, num_gpus)
    })
}

/// Deletes script `name`.
#[no_mangle]
pub extern "C" fn delete_script(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
) -> SRError {
    guard("delete_script", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        c.client.delete_script(name)
    })
}

/// Deletes the copies [`set_script_multigpu`] stored.
#[no_mangle]
pub extern "C" fn delete_script_multigpu(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    first_gpu: c_int,
    num_gpus: c_int,
) -> SRError {
    guard("delete_script_multigpu", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        c.client.delete_script_multigpu(name, first_gpu, num_gpus)
    })
}

/// Whether model or script `name` exists; `*exists` is written on success.
#[no_mangle]
pub extern "C" fn model_exists(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    exists: *mut bool,
) -> SRError {
    guard("model_exists", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.model_exists(name)?;
        Ok(())
    })
}

/// Checks for model or script `name` up to `num_tries` times, `poll_frequency_ms` apart; `*exists` says whether
/// it was found.
#[no_mangle]
pub extern "C" fn poll_model(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    exists: *mut bool,
) -> SRError {
    guard("poll_model", || {
        let c = client_arg(c_client)?;
        let name = nonempty_str_arg(name, name_length, "name")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.poll_model(name, poll_frequency_ms, num_tries)?;
        Ok(())
    })
}

/// Sets the server's `MODEL_CHUNK_SIZE` (bytes per piece in which models travel) on every primary and uses it
/// for this client's uploads (C++ `Client::set_model_chunk_size`).
#[no_mangle]
pub extern "C" fn sr_set_model_chunk_size(c_client: *mut c_void, chunk_size: c_int) -> SRError {
    guard("sr_set_model_chunk_size", || {
        client_arg(c_client)?
            .client
            .set_model_chunk_size(chunk_size)
    })
}
