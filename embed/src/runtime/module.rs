//! The built-in module `_oxdist`: zero-copy access to the packed resources
//! for the Python-level importer. Written against the C API directly
//! because it must work between the two initialisation phases.

use std::cell::UnsafeCell;
use std::ffi::{CString, c_char, c_int};
use std::path::Path;
use std::sync::OnceLock;

use pyo3_ffi as ffi;

use crate::format::{Entry, EntryKind, PackedResources};

struct State {
    resources: &'static PackedResources<'static>,
    exe_dir: CString,
    executable: CString,
    optimize: i32,
}

static STATE: OnceLock<State> = OnceLock::new();

/// Statics CPython mutates (module definition, method table).
struct PyStatic<T>(UnsafeCell<T>);
// SAFETY: only touched while holding the GIL.
unsafe impl<T> Sync for PyStatic<T> {}

/// A `METH_O` function of `_oxdist`.
const fn method(
    name: &'static std::ffi::CStr,
    function: ffi::PyCFunction,
    doc: &'static std::ffi::CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunction: function },
        ml_flags: ffi::METH_O,
        ml_doc: doc.as_ptr(),
    }
}

const GET: ffi::PyMethodDef = method(c"get", get, c"get(key) -> memoryview of the entry's data, or None");
const FLAGS: ffi::PyMethodDef = method(c"flags", flags, c"flags(key) -> the entry's flags, or None");
const KEYS: ffi::PyMethodDef = method(c"keys", keys, c"keys(prefix) -> keys starting with prefix, sorted");

/// `get`, `flags` and `keys`; launchers with a deep-frozen standard library
/// add `frozen`.
#[cfg(not(feature = "frozen"))]
static METHODS: PyStatic<[ffi::PyMethodDef; 4]> =
    PyStatic(UnsafeCell::new([GET, FLAGS, KEYS, ffi::PyMethodDef::zeroed()]));

#[cfg(feature = "frozen")]
static METHODS: PyStatic<[ffi::PyMethodDef; 5]> = PyStatic(UnsafeCell::new([
    GET,
    FLAGS,
    KEYS,
    method(
        c"frozen",
        frozen::frozen,
        c"frozen(name) -> the deep-frozen code object of a z: entry, or None",
    ),
    ffi::PyMethodDef::zeroed(),
]));

static MODULE: PyStatic<ffi::PyModuleDef> = PyStatic(UnsafeCell::new(ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"_oxdist".as_ptr(),
    m_doc: c"Packed resources of this executable (oxdist runtime).".as_ptr(),
    m_size: -1,
    m_methods: std::ptr::null_mut(),
    m_slots: std::ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
}));

/// Registers `_oxdist` as a built-in module. Call before initialisation.
pub(super) fn register(resources: &'static PackedResources<'static>, exe_dir: &Path, executable: &Path, optimize: i32) {
    let cstring = |p: &Path| CString::new(p.to_string_lossy().as_bytes()).unwrap_or_default();
    let _ = STATE.set(State {
        resources,
        exe_dir: cstring(exe_dir),
        executable: cstring(executable),
        optimize,
    });
    // SAFETY: called once, before Py_InitializeFromConfig.
    unsafe {
        ffi::PyImport_AppendInittab(c"_oxdist".as_ptr(), Some(init));
    }
}

unsafe extern "C" fn init() -> *mut ffi::PyObject {
    let Some(state) = STATE.get() else {
        return std::ptr::null_mut();
    };
    unsafe {
        (*MODULE.0.get()).m_methods = METHODS.0.get().cast();
        let module = ffi::PyModule_Create(MODULE.0.get());
        if module.is_null() {
            return module;
        }
        ffi::PyModule_AddStringConstant(module, c"exe_dir".as_ptr(), state.exe_dir.as_ptr());
        ffi::PyModule_AddStringConstant(module, c"executable".as_ptr(), state.executable.as_ptr());
        ffi::PyModule_AddIntConstant(module, c"optimize".as_ptr(), state.optimize.into());
        module
    }
}

/// The key argument as UTF-8, split into kind and name.
unsafe fn key_arg<'a>(arg: *mut ffi::PyObject) -> Option<(EntryKind, &'a str)> {
    unsafe {
        let mut len: ffi::Py_ssize_t = 0;
        let ptr = ffi::PyUnicode_AsUTF8AndSize(arg, &mut len);
        if ptr.is_null() {
            return None;
        }
        let key = std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize));
        EntryKind::split_key(key)
    }
}

pub(super) fn none() -> *mut ffi::PyObject {
    // SAFETY: Py_None is immortal; returning it needs a new reference.
    unsafe {
        let none = ffi::Py_None();
        ffi::Py_IncRef(none);
        none
    }
}

/// The entry a key argument names: `Ok(None)` when there is none (or the key
/// has an unknown kind), `Err(())` when a Python exception is set (not a str).
unsafe fn entry_for(arg: *mut ffi::PyObject) -> Result<Option<Entry<'static>>, ()> {
    let Some(state) = STATE.get() else { return Ok(None) };
    unsafe {
        match key_arg(arg) {
            Some((kind, name)) => Ok(state.resources.get(kind, name)),
            None if ffi::PyErr_Occurred().is_null() => Ok(None),
            None => Err(()),
        }
    }
}

unsafe extern "C" fn get(_module: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    unsafe {
        match entry_for(arg) {
            Err(()) => std::ptr::null_mut(),
            Ok(None) => none(),
            // Compressed entries are decompressed into a new bytes object.
            Ok(Some(entry)) if entry.is_compressed() => match entry.decompressed() {
                Ok(data) => ffi::PyBytes_FromStringAndSize(data.as_ptr().cast(), data.len() as ffi::Py_ssize_t),
                Err(e) => {
                    let message = CString::new(e.to_string()).unwrap_or_default();
                    ffi::PyErr_SetString(ffi::PyExc_OSError, message.as_ptr());
                    std::ptr::null_mut()
                }
            },
            // Read-only view of the mapped executable: no copy.
            Ok(Some(entry)) => ffi::PyMemoryView_FromMemory(
                entry.data.as_ptr() as *mut c_char,
                entry.data.len() as ffi::Py_ssize_t,
                ffi::PyBUF_READ,
            ),
        }
    }
}

unsafe extern "C" fn flags(_module: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    unsafe {
        match entry_for(arg) {
            Err(()) => std::ptr::null_mut(),
            Ok(None) => none(),
            Ok(Some(entry)) => ffi::PyLong_FromLong(entry.flags.bits() as _),
        }
    }
}

unsafe extern "C" fn keys(_module: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    let Some(state) = STATE.get() else { return none() };
    unsafe {
        let list = ffi::PyList_New(0);
        let Some((kind, prefix)) = key_arg(arg) else {
            return if ffi::PyErr_Occurred().is_null() {
                list
            } else {
                std::ptr::null_mut()
            };
        };
        let kind_prefix = kind.prefix();
        for entry in state.resources.iter_prefix(kind, prefix) {
            let key = format!("{kind_prefix}{}", entry.name);
            let item = ffi::PyUnicode_FromStringAndSize(key.as_ptr().cast(), key.len() as ffi::Py_ssize_t);
            if item.is_null() || ffi::PyList_Append(list, item) != 0 as c_int {
                ffi::Py_DecRef(list);
                return std::ptr::null_mut();
            }
            ffi::Py_DecRef(item);
        }
        list
    }
}

/// Code objects compiled into the launcher (`PythonExecutable.freeze_stdlib`).
///
/// The generated C (`frozen.c`, written at launcher build time by oxdist's
/// deep-freeze generator) defines `oxdist_frozen_code`: a lookup of static
/// code objects by module name that returns a new reference only when the
/// launcher's copy was made from `marshal` data with the given SHA-256, so a
/// blob appended to the wrong launcher cannot run stale code.
#[cfg(feature = "frozen")]
mod frozen {
    use std::ffi::{CString, c_char};

    use pyo3_ffi as ffi;

    use super::{STATE, none};
    use crate::format::{EntryKind, FROZEN_DIGEST_LEN};

    unsafe extern "C" {
        /// New reference; NULL without an exception when the launcher has no
        /// such module or its digest differs, NULL with one when finishing the
        /// code object (interning its names) failed.
        fn oxdist_frozen_code(name: *const c_char, digest: *const u8) -> *mut ffi::PyObject;
    }

    pub(super) unsafe extern "C" fn frozen(_module: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
        let Some(state) = STATE.get() else { return none() };
        unsafe {
            let Some(name) = key_arg_name(arg) else {
                return if ffi::PyErr_Occurred().is_null() {
                    none()
                } else {
                    std::ptr::null_mut()
                };
            };
            let Some(entry) = state.resources.get(EntryKind::Frozen, name) else {
                return none();
            };
            let Ok(c_name) = CString::new(name) else { return none() };
            if entry.data.len() != FROZEN_DIGEST_LEN {
                return none();
            }
            let code = oxdist_frozen_code(c_name.as_ptr(), entry.data.as_ptr());
            if code.is_null() && ffi::PyErr_Occurred().is_null() {
                let message = CString::new(format!(
                    "module {name} is packed as deep-frozen, but this launcher has no matching code for it \
                     (the executable was assembled from another launcher); rebuild it with oxdist"
                ))
                .unwrap_or_default();
                ffi::PyErr_SetString(ffi::PyExc_ImportError, message.as_ptr());
            }
            code
        }
    }

    /// The module name argument (a plain name, no kind prefix).
    unsafe fn key_arg_name<'a>(arg: *mut ffi::PyObject) -> Option<&'a str> {
        unsafe {
            let mut len: ffi::Py_ssize_t = 0;
            let ptr = ffi::PyUnicode_AsUTF8AndSize(arg, &mut len);
            if ptr.is_null() {
                return None;
            }
            std::str::from_utf8(std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize)).ok()
        }
    }
}
