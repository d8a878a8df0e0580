//! App Store Connect API keys and the JSON Web Tokens made from them.
//!
//! A key is three things Apple's "Users and Access → Integrations" page
//! gives: the issuer ID (a UUID for the team), the key ID (10 characters)
//! and `AuthKey_<KEYID>.p8`, a PKCS#8 PEM P-256 private key that can be
//! downloaded once. Each request carries a fresh token (ES256, 15 minutes,
//! audience `appstoreconnect-v1`), so waiting for a verdict never outlives
//! one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use p256::pkcs8::DecodePrivateKey;

use super::NotaryError;

/// How long a token is valid; Apple refuses more than 20 minutes.
const LIFETIME_SECONDS: u64 = 15 * 60;

/// An App Store Connect API key. `Debug` shows the IDs, never the key.
pub struct ApiKey {
    issuer: String,
    key_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("issuer", &self.issuer)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl ApiKey {
    /// A key from its IDs and the text of its `.p8` file.
    pub fn new(issuer: &str, key_id: &str, p8_pem: &str) -> Result<Self, NotaryError> {
        let bad = |reason: String| NotaryError::ApiKey { reason };
        let issuer = issuer.trim();
        let key_id = key_id.trim();
        if issuer.is_empty() || !issuer.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(bad(format!(
                "the issuer ID {issuer:?} is not one; copy it from App Store Connect (Users and Access → Integrations), e.g. 57246542-96fe-1a63-e053-0824d011072a"
            )));
        }
        if key_id.is_empty() || !key_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad(format!(
                "the key ID {key_id:?} is not one; it is the 10 characters in AuthKey_<KEY ID>.p8"
            )));
        }
        if !p8_pem.contains("-----BEGIN PRIVATE KEY-----") {
            return Err(bad(
                "the key is not a PKCS#8 PEM private key (\"-----BEGIN PRIVATE KEY-----\"); give the AuthKey_<KEY ID>.p8 file App Store Connect let you download"
                    .into(),
            ));
        }
        // The parser's message could quote key bytes: say what is wrong in our words.
        let key = SigningKey::from_pkcs8_pem(p8_pem.trim()).map_err(|_| {
            bad("the .p8 file is not a P-256 (ES256) private key; App Store Connect API keys are P-256".into())
        })?;
        Ok(Self {
            issuer: issuer.to_string(),
            key_id: key_id.to_string(),
            key,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// A token issued at `now` (seconds since the Unix epoch).
    pub fn token(&self, now: u64) -> String {
        let header = serde_json::json!({"alg": "ES256", "kid": self.key_id, "typ": "JWT"});
        let claims = serde_json::json!({
            "iss": self.issuer,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
            "aud": "appstoreconnect-v1",
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // JWS wants the raw 64-byte r || s, not DER.
        let signature: Signature = self.key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};
    use p256::pkcs8::EncodePrivateKey;

    use super::*;

    fn p8() -> String {
        let key = SigningKey::from_slice(&[7; 32]).unwrap();
        key.to_pkcs8_pem(Default::default()).unwrap().to_string()
    }

    #[test]
    fn token_is_an_es256_jwt_with_apples_claims() {
        let key = ApiKey::new(" 69a6de7e-1234-47e3-e053-5b8c7c11a4d1\n", "2X9R4HXF34", &p8()).unwrap();
        let token = key.token(1_700_000_000);
        let parts: Vec<_> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let json = |part: &str| -> serde_json::Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        assert_eq!(
            json(parts[0]),
            serde_json::json!({"alg": "ES256", "kid": "2X9R4HXF34", "typ": "JWT"})
        );
        assert_eq!(
            json(parts[1]),
            serde_json::json!({"iss": "69a6de7e-1234-47e3-e053-5b8c7c11a4d1", "iat": 1_700_000_000u64,
                "exp": 1_700_000_900u64, "aud": "appstoreconnect-v1"})
        );
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let verifying = VerifyingKey::from(&SigningKey::from_slice(&[7; 32]).unwrap());
        verifying
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
        assert!(!format!("{key:?}").contains("key:"), "{key:?}");
    }

    #[test]
    fn bad_keys_are_refused_with_what_to_give() {
        let err = |issuer: &str, id: &str, pem: &str| ApiKey::new(issuer, id, pem).unwrap_err().to_string();
        assert!(err("", "2X9R4HXF34", &p8()).contains("issuer ID"));
        assert!(err("abc", "2X9R/4HXF34", &p8()).contains("AuthKey_<KEY ID>.p8"));
        assert!(err("abc", "2X9R4HXF34", "not a key").contains("BEGIN PRIVATE KEY"));
        let rsa_like = "-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEA\n-----END PRIVATE KEY-----\n";
        assert!(err("abc", "2X9R4HXF34", rsa_like).contains("P-256"));
    }
}
