//! Code signers declared in the configuration: PyOxidizer's
//! `code_signer_from_pfx_file()` and `CodeSigner.activate()`, for
//! Authenticode (MSIs and the Windows binaries inside them).
//!
//! ```python
//! signer = code_signer_from_pfx_file("signing/release.pfx")   # password: OXDIST_AUTHENTICODE_PASSWORD
//! signer.set_time_stamp_server("http://timestamp.digicert.com")
//! signer.activate()
//! ```
//!
//! Nothing is read while the configuration is evaluated: `oxdist package`
//! loads the key before it builds, exactly like `--authenticode-pfx`, which
//! overrides an active signer. A password written into the configuration
//! is accepted for compatibility but never printed; the environment
//! variable is the better place for it.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::environment::{Methods, MethodsBuilder};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::none::{NoneOr, NoneType};
use starlark::values::{NoSerialize, StarlarkValue, starlark_value};

use super::file_manifest::config_relative;
use super::state::ConfigState;

/// A password from the configuration: compared and used, never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Where an Authenticode signer's key and certificates are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerKey {
    /// A PKCS#12 file; without a password here, `OXDIST_AUTHENTICODE_PASSWORD`
    /// or a prompt supplies it.
    Pfx { path: PathBuf, password: Option<Password> },
    /// An unencrypted PEM private key and the PEM certificate chain.
    Pem { key: PathBuf, cert: PathBuf },
}

/// A signer the configuration activated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfiguredSigner {
    pub key: SignerKey,
    /// `set_time_stamp_server(url)`: the RFC 3161 timestamp authority.
    pub timestamp_url: Option<String>,
}

/// A `CodeSigner` value.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct CodeSignerValue(#[allocative(skip)] Mutex<ConfiguredSigner>);

impl CodeSignerValue {
    fn inner(&self) -> MutexGuard<'_, ConfiguredSigner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for CodeSignerValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeSigner")
    }
}

impl fmt::Display for CodeSignerValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner().key {
            SignerKey::Pfx { path, .. } => write!(f, "CodeSigner<{}>", path.display()),
            SignerKey::Pem { key, .. } => write!(f, "CodeSigner<{}>", key.display()),
        }
    }
}

starlark_simple_value!(CodeSignerValue);
starlark::methods_static!(CODE_SIGNER_METHODS = code_signer_methods);

#[starlark_value(type = "CodeSigner")]
impl<'v> StarlarkValue<'v> for CodeSignerValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(CODE_SIGNER_METHODS.methods())
    }
}

#[starlark_module]
fn code_signer_methods(builder: &mut MethodsBuilder) {
    /// Makes this the signer `oxdist package` uses for MSIs and the Windows
    /// binaries inside them (unless the command line names another key).
    fn activate<'v>(this: &CodeSignerValue, eval: &mut Evaluator<'v, '_, '_>) -> anyhow::Result<NoneType> {
        let state = ConfigState::get(eval)?;
        let mut settings = state.settings.borrow_mut();
        if settings.code_signer.is_some() {
            anyhow::bail!("a code signer is already active; activate() one signer");
        }
        settings.code_signer = Some(this.inner().clone());
        Ok(NoneType)
    }

    /// Timestamps signatures at this RFC 3161 authority (an `http://` URL),
    /// so they stay valid after the certificate expires. Signatures with a
    /// timestamp differ from build to build.
    fn set_time_stamp_server<'v>(this: &CodeSignerValue, url: &str) -> anyhow::Result<NoneType> {
        let url = url.trim();
        // Timestamp authorities serve RFC 3161 over plain http: the token is
        // signed, so TLS adds nothing, and the client stays free of a TLS stack.
        if !url.starts_with("http://") {
            anyhow::bail!(
                "set_time_stamp_server({url:?}): expected an http:// URL of an RFC 3161 timestamp authority (https is not supported)"
            );
        }
        this.inner().timestamp_url = Some(url.to_string());
        Ok(NoneType)
    }
}

#[starlark_module]
pub(crate) fn code_signing_globals(builder: &mut starlark::environment::GlobalsBuilder) {
    /// An Authenticode signer from a PKCS#12 (`.pfx`, `.p12`) file, relative
    /// to the configuration. Leave `password` out to take it from
    /// `OXDIST_AUTHENTICODE_PASSWORD` (or a prompt): a configuration file is
    /// a poor place for a secret.
    fn code_signer_from_pfx_file<'v>(
        path: &str,
        #[starlark(default = NoneOr::None)] password: NoneOr<&str>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<CodeSignerValue> {
        if path.trim().is_empty() {
            anyhow::bail!("code_signer_from_pfx_file: the path must not be empty");
        }
        Ok(CodeSignerValue(Mutex::new(ConfiguredSigner {
            key: SignerKey::Pfx {
                path: config_relative(eval, path)?,
                password: password.into_option().map(|p| Password(p.to_string())),
            },
            timestamp_url: None,
        })))
    }

    /// An Authenticode signer from an unencrypted PEM private key and a PEM
    /// file with the certificate chain (the signer's own certificate first
    /// or anywhere), both relative to the configuration.
    fn code_signer_from_pem_files<'v>(
        cert_path: &str,
        key_path: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<CodeSignerValue> {
        if cert_path.trim().is_empty() || key_path.trim().is_empty() {
            anyhow::bail!("code_signer_from_pem_files: the paths must not be empty");
        }
        Ok(CodeSignerValue(Mutex::new(ConfiguredSigner {
            key: SignerKey::Pem {
                key: config_relative(eval, key_path)?,
                cert: config_relative(eval, cert_path)?,
            },
            timestamp_url: None,
        })))
    }
}
