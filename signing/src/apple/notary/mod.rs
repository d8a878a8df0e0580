//! Apple's notary service, the REST API `xcrun notarytool` talks to, and
//! the ticket service `xcrun stapler` fetches tickets from.
//!
//! The exchange ([`NotaryClient`]):
//!
//! 1. `POST {api}/submissions` with the file's name and SHA-256, a bearer
//!    token from an App Store Connect API key ([`ApiKey`]). The answer is a
//!    submission ID plus temporary AWS credentials, a bucket and a key.
//! 2. `PUT` of the file to that S3 object ([`s3`], SigV4-signed).
//! 3. `GET {api}/submissions/{id}` until the status is no longer
//!    `In Progress`: `Accepted`, `Invalid` or `Rejected`. For the last two,
//!    `GET {api}/submissions/{id}/logs` names a JSON log whose `issues`
//!    say what Apple objected to.
//! 4. Once accepted, the ticket: `POST` to the CloudKit ticket-delivery
//!    database with the record name `2/2/<cdhash>` (format 2, digest type
//!    2 = SHA-256, the first 20 bytes of the code directory's hash in hex;
//!    see [`super::staple`]). No key is needed for that one: tickets are
//!    public, which is what lets Gatekeeper look them up too.
//!
//! Every address can be pointed elsewhere ([`Endpoints`]), for a mirror
//! or, in oxdist's tests, a local HTTPS server that checks the token and
//! the SigV4 signature with PyJWT and botocore.

mod s3;
mod token;

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use token::ApiKey;

/// How long one API request may take.
const API_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the upload may take (a 1 GiB DMG at 5 Mbit/s).
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The largest API answer read (logs of big submissions run to a few MB).
const MAX_ANSWER: u64 = 64 * 1024 * 1024;

/// Why notarizing failed.
#[derive(Debug, thiserror::Error)]
pub enum NotaryError {
    #[error("unusable App Store Connect API key: {reason}")]
    ApiKey { reason: String },
    #[error("cannot reach {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error(
        "App Store Connect refused the API key (HTTP {status}) {doing}: check the issuer ID and key ID, that the key is active, and that the clock is right{detail}"
    )]
    Unauthorized { status: u16, doing: String, detail: String },
    #[error("{doing}: {url} answered HTTP {status}{detail}")]
    Status {
        doing: String,
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{doing}: unexpected answer from {url}: {reason}")]
    Answer { doing: String, url: String, reason: String },
    #[error("Apple found the submission {id} {status}:{summary}")]
    Refused {
        id: String,
        status: String,
        summary: String,
    },
    #[error(
        "the submission {id} is still in progress after {minutes} min; run `oxdist notarize --staple-only` on the same file later"
    )]
    StillInProgress { id: String, minutes: u64 },
    #[error("no notarization ticket for {record}: {reason}")]
    NoTicket { record: String, reason: String },
}

/// Where the services are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The Notary API, up to and without `/submissions`.
    pub api: String,
    /// An S3 endpoint to upload to (path-style); `None` is AWS's own
    /// virtual-hosted address in us-west-2.
    pub s3: Option<String>,
    /// The ticket lookup URL.
    pub tickets: String,
}

impl Endpoints {
    /// Apple's production services.
    pub fn apple() -> Self {
        Self {
            api: "https://appstoreconnect.apple.com/notary/v2".into(),
            s3: None,
            tickets: "https://api.apple-cloudkit.com/database/1/com.apple.gk.ticket-delivery/production/public/records/lookup"
                .into(),
        }
    }

    /// Apple's, except where `OXDIST_NOTARY_API_URL`,
    /// `OXDIST_NOTARY_S3_URL` or `OXDIST_NOTARY_TICKET_URL` say otherwise.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let apple = Self::apple();
        Self {
            api: var("OXDIST_NOTARY_API_URL").unwrap_or(apple.api),
            s3: var("OXDIST_NOTARY_S3_URL"),
            tickets: var("OXDIST_NOTARY_TICKET_URL").unwrap_or(apple.tickets),
        }
    }
}

/// Where a submission stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionStatus {
    pub id: String,
    /// The name given at submission.
    pub name: String,
    /// `In Progress`, `Accepted`, `Invalid` or `Rejected`.
    pub status: String,
}

impl SubmissionStatus {
    pub fn in_progress(&self) -> bool {
        self.status == "In Progress"
    }

    pub fn accepted(&self) -> bool {
        self.status == "Accepted"
    }
}

/// A client of the notary and ticket services.
pub struct NotaryClient {
    /// `None`: only tickets can be looked up.
    key: Option<ApiKey>,
    endpoints: Endpoints,
    api: ureq::Agent,
    upload: ureq::Agent,
}

impl NotaryClient {
    /// A client; without a key it can only look tickets up.
    pub fn new(key: Option<ApiKey>, endpoints: Endpoints) -> Result<Self, NotaryError> {
        let agent = |timeout| {
            crate::http::agent(timeout).map_err(|reason| NotaryError::Transport {
                url: endpoints.api.clone(),
                reason,
            })
        };
        Ok(Self {
            api: agent(API_TIMEOUT)?,
            upload: agent(UPLOAD_TIMEOUT)?,
            key,
            endpoints,
        })
    }

    /// Creates a submission named `name` and uploads `content`; returns the
    /// submission ID.
    pub fn submit(&self, name: &str, content: &[u8]) -> Result<String, NotaryError> {
        #[derive(Deserialize)]
        struct Created {
            data: CreatedData,
        }
        #[derive(Deserialize)]
        struct CreatedData {
            id: String,
            attributes: UploadTarget,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct UploadTarget {
            aws_access_key_id: String,
            aws_secret_access_key: String,
            aws_session_token: String,
            bucket: String,
            object: String,
        }

        let doing = format!("creating a submission for {name}");
        let url = format!("{}/submissions", self.endpoints.api);
        let sha256: String = Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect();
        let body = serde_json::json!({"submissionName": name, "sha256": sha256}).to_string();
        let request = self
            .api
            .post(&url)
            .header("Authorization", &self.bearer()?)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        let answer = read(&doing, &url, API_TIMEOUT, request.send(body.as_bytes()))?;
        let created: Created = parse(&doing, &url, &answer)?;
        let target = created.data.attributes;
        let credentials = s3::Credentials {
            access_key_id: target.aws_access_key_id,
            secret_access_key: target.aws_secret_access_key,
            session_token: target.aws_session_token,
        };
        let put = s3::sign_put(
            self.endpoints.s3.as_deref(),
            &target.bucket,
            &target.object,
            content,
            &credentials,
            now(),
        );
        let doing = format!("uploading {name} for submission {}", created.data.id);
        let mut request = self.upload.put(&put.url);
        for (header, value) in &put.headers {
            request = request.header(*header, value);
        }
        read(&doing, &put.url, UPLOAD_TIMEOUT, request.send(content))?;
        Ok(created.data.id)
    }

    /// The submission's status now.
    pub fn status(&self, id: &str) -> Result<SubmissionStatus, NotaryError> {
        #[derive(Deserialize)]
        struct Answer {
            data: Data,
        }
        #[derive(Deserialize)]
        struct Data {
            id: String,
            attributes: Attributes,
        }
        #[derive(Deserialize)]
        struct Attributes {
            #[serde(default)]
            name: String,
            status: String,
        }
        let doing = format!("asking for the status of submission {id}");
        let url = format!("{}/submissions/{id}", self.endpoints.api);
        let answer: Answer = parse(&doing, &url, &self.get_api(&doing, &url)?)?;
        Ok(SubmissionStatus {
            id: answer.data.id,
            name: answer.data.attributes.name,
            status: answer.data.attributes.status,
        })
    }

    /// Polls until the submission is no longer in progress (after 2, 4, 8,
    /// … up to 30 s), calling `progress` with each status seen; gives up
    /// after `limit`.
    pub fn wait(
        &self,
        id: &str,
        limit: Duration,
        mut progress: impl FnMut(&SubmissionStatus),
    ) -> Result<SubmissionStatus, NotaryError> {
        let start = std::time::Instant::now();
        let mut pause = Duration::from_secs(2);
        loop {
            let status = self.status(id)?;
            progress(&status);
            if !status.in_progress() {
                return Ok(status);
            }
            if start.elapsed() + pause > limit {
                return Err(NotaryError::StillInProgress {
                    id: id.to_string(),
                    minutes: limit.as_secs().div_ceil(60),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(30));
        }
    }

    /// The developer log of a finished submission (JSON: `status`,
    /// `statusSummary`, `issues`, `ticketContents`, …).
    pub fn log(&self, id: &str) -> Result<serde_json::Value, NotaryError> {
        #[derive(Deserialize)]
        struct Answer {
            data: Data,
        }
        #[derive(Deserialize)]
        struct Data {
            attributes: Attributes,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Attributes {
            developer_log_url: String,
        }
        let doing = format!("asking for the log of submission {id}");
        let url = format!("{}/submissions/{id}/logs", self.endpoints.api);
        let answer: Answer = parse(&doing, &url, &self.get_api(&doing, &url)?)?;
        // A pre-signed URL: no bearer token (it would go to S3).
        let log_url = answer.data.attributes.developer_log_url;
        let log = read(&doing, &log_url, API_TIMEOUT, self.api.get(&log_url).call())?;
        parse(&doing, &log_url, &log)
    }

    /// An error for a submission Apple did not accept, with the log's
    /// summary and issues when the log can be had.
    pub fn refusal(&self, status: &SubmissionStatus) -> NotaryError {
        let summary = match self.log(&status.id) {
            Ok(log) => summarize_log(&log),
            Err(e) => format!(" (the log could not be fetched: {e})"),
        };
        NotaryError::Refused {
            id: status.id.clone(),
            status: status.status.to_lowercase(),
            summary,
        }
    }

    /// The stapleable ticket for `record` (see [`super::staple`]).
    pub fn ticket(&self, record: &str) -> Result<Vec<u8>, NotaryError> {
        #[derive(Deserialize)]
        struct Answer {
            records: Vec<Record>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Record {
            record_name: String,
            #[serde(default)]
            fields: Option<Fields>,
            #[serde(default)]
            reason: Option<String>,
            #[serde(default)]
            server_error_code: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Fields {
            signed_ticket: Field,
        }
        #[derive(Deserialize)]
        struct Field {
            #[serde(rename = "type")]
            kind: String,
            value: String,
        }
        let no_ticket = |reason: String| NotaryError::NoTicket {
            record: record.to_string(),
            reason,
        };
        let doing = format!("looking up the ticket {record}");
        let url = &self.endpoints.tickets;
        let body = serde_json::json!({"records": [{"recordName": record}]}).to_string();
        let request = self
            .api
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        let answer: Answer = parse(
            &doing,
            url,
            &read(&doing, url, API_TIMEOUT, request.send(body.as_bytes()))?,
        )?;
        let found = answer
            .records
            .into_iter()
            .find(|r| r.record_name == record)
            .ok_or_else(|| no_ticket("the answer does not mention it".into()))?;
        match found.fields {
            Some(Fields { signed_ticket }) if signed_ticket.kind == "BYTES" => STANDARD
                .decode(signed_ticket.value.trim())
                .map_err(|e| no_ticket(format!("the ticket is not base64 ({e})"))),
            Some(Fields { signed_ticket }) => Err(no_ticket(format!(
                "the ticket has type {:?}, not BYTES",
                signed_ticket.kind
            ))),
            None => Err(no_ticket(format!(
                "{} ({})",
                found.reason.as_deref().unwrap_or("no reason given"),
                found.server_error_code.as_deref().unwrap_or("no code"),
            ))),
        }
    }

    fn get_api(&self, doing: &str, url: &str) -> Result<Vec<u8>, NotaryError> {
        let request = self
            .api
            .get(url)
            .header("Authorization", &self.bearer()?)
            .header("Accept", "application/json");
        read(doing, url, API_TIMEOUT, request.call())
    }

    /// A fresh token for the `Authorization` header.
    fn bearer(&self) -> Result<String, NotaryError> {
        let key = self.key.as_ref().ok_or_else(|| NotaryError::ApiKey {
            reason: "none was given (only tickets can be looked up without one)".into(),
        })?;
        Ok(format!("Bearer {}", key.token(now())))
    }
}

/// The log's summary and up to 20 issues, one per line.
fn summarize_log(log: &serde_json::Value) -> String {
    let text = |v: &serde_json::Value, key: &str| v.get(key).and_then(|s| s.as_str()).unwrap_or("").to_string();
    let mut out = String::new();
    let summary = text(log, "statusSummary");
    if !summary.is_empty() {
        out.push_str(&format!(" {summary}"));
    }
    let issues = log
        .get("issues")
        .and_then(|i| i.as_array())
        .cloned()
        .unwrap_or_default();
    for issue in issues.iter().take(20) {
        let arch = text(issue, "architecture");
        out.push_str(&format!(
            "\n  {}: {}: {}{}",
            text(issue, "severity"),
            text(issue, "path"),
            text(issue, "message"),
            if arch.is_empty() {
                String::new()
            } else {
                format!(" [{arch}]")
            }
        ));
    }
    if issues.len() > 20 {
        out.push_str(&format!("\n  … and {} more issues in the log", issues.len() - 20));
    }
    out
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The body of a successful answer; an error naming what was being done
/// otherwise.
fn read(
    doing: &str,
    url: &str,
    timeout: Duration,
    sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Vec<u8>, NotaryError> {
    let shown = url.split('?').next().unwrap_or(url).to_string();
    let transport = |e: ureq::Error| NotaryError::Transport {
        url: shown.clone(),
        reason: crate::http::describe(e, timeout),
    };
    let mut response = sent.map_err(transport)?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
        .map_err(transport)?;
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let detail = crate::http::body_excerpt(&body)
        .map(|text| format!(": {text}"))
        .unwrap_or_default();
    Err(if status == 401 || status == 403 {
        NotaryError::Unauthorized {
            status,
            doing: doing.to_string(),
            detail,
        }
    } else {
        NotaryError::Status {
            doing: doing.to_string(),
            url: shown,
            status,
            detail,
        }
    })
}

fn parse<T: serde::de::DeserializeOwned>(doing: &str, url: &str, body: &[u8]) -> Result<T, NotaryError> {
    serde_json::from_slice(body).map_err(|e| NotaryError::Answer {
        doing: doing.to_string(),
        url: url.split('?').next().unwrap_or(url).to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_summary_lists_issues() {
        let log = serde_json::json!({
            "status": "Invalid",
            "statusSummary": "Archive contains critical validation errors",
            "issues": [{"severity": "error", "path": "x.dmg/x.app/Contents/MacOS/x",
                        "message": "The binary is not signed with a valid Developer ID certificate.",
                        "architecture": "arm64"}],
        });
        assert_eq!(
            summarize_log(&log),
            " Archive contains critical validation errors\n  error: x.dmg/x.app/Contents/MacOS/x: The binary is not signed with a valid Developer ID certificate. [arm64]"
        );
    }
}
