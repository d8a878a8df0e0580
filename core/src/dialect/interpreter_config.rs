//! `PythonInterpreterConfig`: how an embedded interpreter starts.
//!
//! The value is a typed attribute set with PyOxidizer's field names and
//! defaults; assigning an unknown field or a value of the wrong type is an
//! error naming the field. The embedding runtime consumes it as JSON
//! ([`InterpreterConfigValue::to_json`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use allocative::Allocative;
use serde_json::Value as Json;
use starlark::any::ProvidesStaticType;
use starlark::starlark_simple_value;
use starlark::values::list::ListRef;
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, starlark_value};

/// The type a field accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldType {
    Bool,
    OptBool,
    Str,
    OptStr,
    OptInt,
    StrList,
    OptStrList,
}

impl FieldType {
    fn describe(self) -> &'static str {
        match self {
            FieldType::Bool => "True or False",
            FieldType::OptBool => "True, False or None",
            FieldType::Str => "a string",
            FieldType::OptStr => "a string or None",
            FieldType::OptInt => "an integer or None",
            FieldType::StrList => "a list of strings",
            FieldType::OptStrList => "a list of strings or None",
        }
    }
}

/// A field: its name, type and default.
type Field = (&'static str, FieldType, fn() -> Json);

/// Fields, their types and defaults (as PyOxidizer documents them).
const FIELDS: &[Field] = &[
    ("allocator_backend", FieldType::Str, || Json::from("default")),
    ("argvb", FieldType::Bool, || Json::from(false)),
    ("buffered_stdio", FieldType::OptBool, || Json::Null),
    ("bytecode_optimization_level", FieldType::OptInt, || Json::Null),
    ("config_profile", FieldType::Str, || Json::from("isolated")),
    ("configure_locale", FieldType::OptBool, || Json::Null),
    ("development_mode", FieldType::OptBool, || Json::Null),
    ("filesystem_importer", FieldType::Bool, || Json::from(false)),
    ("home", FieldType::OptStr, || Json::Null),
    ("inspect", FieldType::OptBool, || Json::Null),
    ("install_signal_handlers", FieldType::OptBool, || Json::Null),
    ("interactive", FieldType::OptBool, || Json::Null),
    ("isolated", FieldType::OptBool, || Json::Null),
    ("module_search_paths", FieldType::OptStrList, || Json::Null),
    ("multiprocessing_start_method", FieldType::Str, || Json::from("auto")),
    ("oxidized_importer", FieldType::Bool, || Json::from(true)),
    ("parse_argv", FieldType::OptBool, || Json::Null),
    ("quiet", FieldType::OptBool, || Json::Null),
    ("run_command", FieldType::OptStr, || Json::Null),
    ("run_filename", FieldType::OptStr, || Json::Null),
    ("run_module", FieldType::OptStr, || Json::Null),
    ("site_import", FieldType::OptBool, || Json::Null),
    ("sys_frozen", FieldType::Bool, || Json::from(true)),
    ("sys_paths", FieldType::StrList, || Json::Array(Vec::new())),
    ("terminfo_resolution", FieldType::Str, || Json::from("dynamic")),
    ("use_environment", FieldType::OptBool, || Json::Null),
    ("user_site_directory", FieldType::OptBool, || Json::Null),
    ("utf8_mode", FieldType::OptBool, || Json::Null),
    ("verbose", FieldType::OptBool, || Json::Null),
    ("write_bytecode", FieldType::OptBool, || Json::Null),
    ("x_options", FieldType::OptStrList, || Json::Null),
];

/// A `PythonInterpreterConfig` value.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct InterpreterConfigValue(#[allocative(skip)] Mutex<BTreeMap<&'static str, Json>>);

impl Default for InterpreterConfigValue {
    fn default() -> Self {
        Self(Mutex::new(
            FIELDS.iter().map(|(name, _, default)| (*name, default())).collect(),
        ))
    }
}

impl InterpreterConfigValue {
    fn fields(&self) -> MutexGuard<'_, BTreeMap<&'static str, Json>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The settings as a JSON object, for the embedding runtime.
    pub fn to_json(&self) -> Json {
        Json::Object(self.fields().iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }
}

impl fmt::Debug for InterpreterConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PythonInterpreterConfig({:?})", self.fields())
    }
}

impl fmt::Display for InterpreterConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = self.fields();
        let set: Vec<String> = FIELDS
            .iter()
            .filter(|(name, _, default)| fields.get(name) != Some(&default()))
            .map(|(name, _, _)| format!("{name}={}", fields[name]))
            .collect();
        write!(f, "PythonInterpreterConfig<{}>", set.join(", "))
    }
}

starlark_simple_value!(InterpreterConfigValue);

fn to_starlark<'v>(value: &Json, heap: Heap<'v>) -> Value<'v> {
    match value {
        Json::Null => Value::new_none(),
        Json::Bool(b) => Value::new_bool(*b),
        Json::Number(n) => heap.alloc(n.as_i64().unwrap_or_default() as i32),
        Json::String(s) => heap.alloc(s.as_str()),
        Json::Array(items) => heap.alloc(
            items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>(),
        ),
        Json::Object(_) => Value::new_none(),
    }
}

fn from_starlark(value: Value<'_>, ty: FieldType) -> Option<Json> {
    if value.is_none() {
        return matches!(
            ty,
            FieldType::OptBool | FieldType::OptStr | FieldType::OptInt | FieldType::OptStrList
        )
        .then_some(Json::Null);
    }
    match ty {
        FieldType::Bool | FieldType::OptBool => value.unpack_bool().map(Json::from),
        FieldType::Str | FieldType::OptStr => value.unpack_str().map(Json::from),
        FieldType::OptInt => value.unpack_i32().map(Json::from),
        FieldType::StrList | FieldType::OptStrList => {
            let list = ListRef::from_value(value)?;
            let items: Option<Vec<Json>> = list.iter().map(|v| v.unpack_str().map(Json::from)).collect();
            items.map(Json::Array)
        }
    }
}

#[starlark_value(type = "PythonInterpreterConfig")]
impl<'v> StarlarkValue<'v> for InterpreterConfigValue {
    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        self.fields().get(attribute).map(|v| to_starlark(v, heap))
    }

    fn dir_attr(&self) -> Vec<String> {
        FIELDS.iter().map(|(name, _, _)| name.to_string()).collect()
    }

    fn set_attr(&self, attribute: &str, value: Value<'v>) -> starlark::Result<()> {
        let Some((name, ty, _)) = FIELDS.iter().find(|(name, _, _)| *name == attribute) else {
            let known: Vec<&str> = FIELDS.iter().map(|(n, _, _)| *n).collect();
            return Err(anyhow::anyhow!(
                "PythonInterpreterConfig has no field {attribute:?}; known fields: {}",
                known.join(", ")
            )
            .into());
        };
        let json = from_starlark(value, *ty).ok_or_else(|| {
            anyhow::anyhow!(
                "PythonInterpreterConfig.{name} must be {}, not {}",
                ty.describe(),
                value.get_type()
            )
        })?;
        check_value(name, &json).map_err(|message| anyhow::anyhow!("PythonInterpreterConfig.{name}: {message}"))?;
        self.fields().insert(name, json);
        Ok(())
    }
}

/// Values a field's type admits but the runtime does not: a clear error at
/// configuration time rather than a setting silently ignored at run time.
fn check_value(name: &str, value: &Json) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    let one_of = |allowed: &[&str]| {
        if allowed.contains(&text) {
            Ok(())
        } else {
            Err(format!("{text:?} is not one of {}", allowed.join(", ")))
        }
    };
    match name {
        "config_profile" => one_of(&["isolated", "python"]),
        "allocator_backend" if text != "default" => Err(format!(
            "{text:?} is not supported yet; oxdist uses CPython's own allocator (\"default\")"
        )),
        "argvb" if value == &Json::Bool(true) => Err("True is not supported yet".into()),
        "home" if !value.is_null() => {
            Err("is not supported yet: the executable's directory is the home; use sys_paths for import paths".into())
        }
        "multiprocessing_start_method" => one_of(&["auto", "none", "fork", "forkserver", "spawn"]),
        "terminfo_resolution" if !text.starts_with("static:") => one_of(&["dynamic", "none", "static:PATHS"]),
        "bytecode_optimization_level" => match value.as_i64() {
            None | Some(0..=2) => Ok(()),
            Some(level) => Err(format!("{level} is not 0, 1 or 2")),
        },
        _ => Ok(()),
    }
}
