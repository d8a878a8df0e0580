//! The one S3 request notarization needs: a `PUT` of the submission,
//! authorised with AWS Signature Version 4 and the temporary credentials
//! the notary service hands out for it.
//!
//! Single-part `PUT`: S3 takes up to 5 GiB that way, more than a DMG
//! Apple accepts. The payload hash is sent (`x-amz-content-sha256`) and
//! signed, so S3 checks the bytes it stored.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The temporary credentials of one submission.
#[derive(Clone, Debug)]
pub(crate) struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// A signed `PUT`: where to send it and the headers to send with the body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SignedPut {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
}

/// Where the notary service's bucket lives.
pub(crate) const REGION: &str = "us-west-2";

/// Signs `PUT {endpoint}/{bucket}/{key}` (path style, for a custom
/// endpoint) or `PUT https://{bucket}.s3.{REGION}.amazonaws.com/{key}`
/// (virtual-hosted, AWS's own) at `now` (seconds since the Unix epoch).
pub(crate) fn sign_put(
    endpoint: Option<&str>,
    bucket: &str,
    key: &str,
    body: &[u8],
    credentials: &Credentials,
    now: u64,
) -> SignedPut {
    let encoded_key: String = key.split('/').map(uri_encode).collect::<Vec<_>>().join("/");
    let (url, host, path) = match endpoint {
        Some(endpoint) => {
            let endpoint = endpoint.trim_end_matches('/');
            let host = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
            let host = host.split('/').next().unwrap_or(host).to_string();
            let path = format!("/{}/{encoded_key}", uri_encode(bucket));
            (format!("{endpoint}{path}"), host, path)
        }
        None => {
            let host = format!("{bucket}.s3.{REGION}.amazonaws.com");
            let path = format!("/{encoded_key}");
            (format!("https://{host}{path}"), host, path)
        }
    };
    let (date, stamp) = amz_date(now);
    let payload_hash = hex(&Sha256::digest(body));
    // Lower-case names, sorted: the canonical order.
    let signed: [(&'static str, String); 4] = [
        ("host", host),
        ("x-amz-content-sha256", payload_hash.clone()),
        ("x-amz-date", stamp.clone()),
        ("x-amz-security-token", credentials.session_token.clone()),
    ];
    let names = signed.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(";");
    let canonical_headers: String = signed
        .iter()
        .map(|(name, value)| format!("{name}:{}\n", value.trim()))
        .collect();
    let canonical_request = format!("PUT\n{path}\n\n{canonical_headers}\n{names}\n{payload_hash}");
    let scope = format!("{date}/{REGION}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", credentials.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    for part in [REGION, "s3", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={names}, Signature={signature}",
        credentials.access_key_id
    );
    let [_host, content_hash, date_header, token] = signed;
    SignedPut {
        url,
        headers: vec![content_hash, date_header, token, ("authorization", authorization)],
    }
}

/// `YYYYMMDD` and `YYYYMMDDTHHMMSSZ` in UTC.
fn amz_date(now: u64) -> (String, String) {
    let at = time::OffsetDateTime::from_unix_timestamp(now as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let date = format!("{:04}{:02}{:02}", at.year(), at.month() as u8, at.day());
    let stamp = format!("{date}T{:02}{:02}{:02}Z", at.hour(), at.minute(), at.second());
    (date, stamp)
}

/// RFC 3986 percent-encoding of one path segment (unreserved characters
/// stay), as SigV4 wants it.
fn uri_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: "session/token+1".into(),
        }
    }

    #[test]
    fn aws_hosted_and_custom_endpoints() {
        // 2013-05-24T00:00:00Z, the date of AWS's published examples.
        let put = sign_put(
            None,
            "notary-submissions-prod",
            "prod/a b/x.dmg",
            b"",
            &credentials(),
            1_369_353_600,
        );
        assert_eq!(
            put.url,
            "https://notary-submissions-prod.s3.us-west-2.amazonaws.com/prod/a%20b/x.dmg"
        );
        assert_eq!(put.headers[1], ("x-amz-date", "20130524T000000Z".to_string()));
        assert_eq!(
            put.headers[0].1,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let auth = &put.headers[3].1;
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-west-2/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="
            ),
            "{auth}"
        );
        let custom = sign_put(Some("https://127.0.0.1:8443/"), "b", "k", b"x", &credentials(), 0);
        assert_eq!(custom.url, "https://127.0.0.1:8443/b/k");
        assert_eq!(custom.headers[1].1, "19700101T000000Z");
        // Same inputs, same signature; another body, another one.
        assert_eq!(
            custom,
            sign_put(Some("https://127.0.0.1:8443"), "b", "k", b"x", &credentials(), 0)
        );
        assert_ne!(
            custom,
            sign_put(Some("https://127.0.0.1:8443"), "b", "k", b"y", &credentials(), 0)
        );
    }
}
