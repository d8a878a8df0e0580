//! The HTTP client the signing services share: RFC 3161 timestamp
//! authorities and Apple's notary service.
//!
//! - TLS is rustls with the Mozilla root certificates compiled in, so the
//!   binary needs no system OpenSSL. `SSL_CERT_FILE` (a PEM bundle)
//!   replaces those roots, for a TLS-inspecting company proxy or a test
//!   server, the variable curl and Python's `ssl` honour too.
//! - Proxies come from the environment as ureq reads it (`ALL_PROXY`,
//!   `HTTPS_PROXY`, `HTTP_PROXY`, either case, minus `NO_PROXY`).
//! - HTTP error statuses are answers, not transport errors: callers read
//!   the body, which is where services explain what is wrong.

use std::time::Duration;

use ureq::tls::{RootCerts, TlsConfig};

/// An agent with a limit for each whole exchange and no redirects
/// followed (a service that redirects is misconfigured or not the one
/// meant; the caller says so).
pub(crate) fn agent(timeout: Duration) -> Result<ureq::Agent, String> {
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("oxdist-signing/", env!("CARGO_PKG_VERSION")));
    if let Some(bundle) = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        let shown = std::path::Path::new(&bundle).display().to_string();
        let pem = std::fs::read(&bundle).map_err(|e| format!("cannot read SSL_CERT_FILE {shown}: {e}"))?;
        let roots: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        if roots.is_empty() {
            return Err(format!("SSL_CERT_FILE {shown} holds no PEM certificate"));
        }
        config = config.tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::Specific(std::sync::Arc::new(roots)))
                .build(),
        );
    }
    Ok(config.build().into())
}

/// A transport error in words (the URL is the caller's to add).
pub(crate) fn describe(error: ureq::Error, timeout: Duration) -> String {
    match error {
        ureq::Error::Timeout(_) => format!("no answer within {} s", timeout.as_secs()),
        ureq::Error::HostNotFound => "the host name does not resolve".into(),
        ureq::Error::Io(e) => e.to_string(),
        ureq::Error::BodyExceedsLimit(limit) => format!("the answer is larger than {limit} bytes"),
        other => other.to_string(),
    }
}

/// The start of an error body when it is text worth showing.
pub(crate) fn body_excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    let text = text.trim();
    (!text.is_empty() && text.chars().all(|c| !c.is_control() || c.is_whitespace())).then(|| text.to_string())
}
