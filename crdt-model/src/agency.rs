//! Agencies: key pairs, profiles, and domain-separated signing and verification.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ids::AgencyId;

/// A text in Simplified Chinese and English.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Text {
    /// 简体中文.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Text {
    /// Builds a bilingual text.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The text in the given language (`"zh"` or anything else for English),
    /// falling back to the other language when one is empty.
    pub fn get(&self, lang: &str) -> &str {
        let (first, second) = if lang == "zh" {
            (&self.zh, &self.en)
        } else {
            (&self.en, &self.zh)
        };
        if first.is_empty() { second } else { first }
    }
}

/// How an agency presents itself in its catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyProfile {
    /// The agency's key.
    pub id: AgencyId,
    /// Display name, e.g. 深圳市机关事务管理局 / Shenzhen Government Affairs Administration.
    pub name: Text,
    /// City, e.g. 深圳 / Shenzhen.
    pub city: Text,
}

/// An agency's secret signing key. Never serialised by this crate.
///
/// An agency is named by its first key for ever; after a key rotation its
/// current key signs on behalf of that id (see [`AgencyKey::acting_for`]).
pub struct AgencyKey {
    key: SigningKey,
    agency: Option<AgencyId>,
}

impl std::fmt::Debug for AgencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AgencyKey({} key {})",
            self.id().short(),
            self.public().short()
        )
    }
}

impl Clone for AgencyKey {
    fn clone(&self) -> Self {
        Self {
            key: SigningKey::from_bytes(&self.secret()),
            agency: self.agency,
        }
    }
}

impl AgencyKey {
    /// Generates a new key from a cryptographically secure RNG (the caller's:
    /// this crate never touches the OS).
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self {
            key: SigningKey::generate(rng),
            agency: None,
        }
    }

    /// Rebuilds a key from its 32 secret bytes.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(secret),
            agency: None,
        }
    }

    /// This key, signing for `agency` (whose first key it replaced). Acting
    /// for its own public key is the same as not acting for anyone.
    pub fn acting_for(mut self, agency: AgencyId) -> Self {
        self.agency = (agency != self.public()).then_some(agency);
        self
    }

    /// The 32 secret bytes (to store in a 0600 file).
    pub fn secret(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The id of the agency this key signs for: its first public key.
    pub fn id(&self) -> AgencyId {
        self.agency.unwrap_or_else(|| self.public())
    }

    /// This key's own public key (differs from [`AgencyKey::id`] after a
    /// rotation). It is also the node's libp2p identity.
    pub fn public(&self) -> AgencyId {
        AgencyId(self.key.verifying_key().to_bytes())
    }

    /// Signs `msg` under a domain tag, so a signature made for one purpose
    /// can never be replayed as another.
    pub fn sign(&self, domain: &str, msg: &[u8]) -> [u8; 64] {
        self.key.sign(&tagged(domain, msg)).to_bytes()
    }
}

/// Builds the bytes actually signed: `tongchou/<domain>\0<msg>`.
pub(crate) fn tagged(domain: &str, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(domain.len() + msg.len() + 10);
    out.extend_from_slice(b"tongchou/");
    out.extend_from_slice(domain.as_bytes());
    out.push(0);
    out.extend_from_slice(msg);
    out
}

/// Errors from signature verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The public key is not a valid or is a weak (small-order) ed25519 key.
    #[error("signer key is invalid or weak")]
    BadKey,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// Parses a public key, refusing weak keys.
pub(crate) fn verifying_key(id: &AgencyId) -> Result<VerifyingKey, VerifyError> {
    let vk = VerifyingKey::from_bytes(id.as_bytes()).map_err(|_| VerifyError::BadKey)?;
    if vk.is_weak() {
        return Err(VerifyError::BadKey);
    }
    Ok(vk)
}

/// Strictly verifies one domain-tagged signature.
pub fn verify(id: &AgencyId, domain: &str, msg: &[u8], sig: &[u8; 64]) -> Result<(), VerifyError> {
    let vk = verifying_key(id)?;
    vk.verify_strict(&tagged(domain, msg), &Signature::from_bytes(sig))
        .map_err(|_| VerifyError::BadSignature)
}

/// Verifies many `(signer, tagged message, signature)` triples at once.
///
/// Returns one result per item. Uses ed25519 batch verification and only
/// falls back to one-by-one strict checks when the batch fails, to name the
/// culprits.
pub(crate) fn verify_many(items: &[(AgencyId, Vec<u8>, [u8; 64])]) -> Vec<Result<(), VerifyError>> {
    let mut keys = Vec::with_capacity(items.len());
    let mut results = vec![Ok(()); items.len()];
    let mut idx = Vec::with_capacity(items.len());
    for (i, (id, _, _)) in items.iter().enumerate() {
        match verifying_key(id) {
            Ok(k) => {
                keys.push(k);
                idx.push(i);
            }
            Err(e) => results[i] = Err(e),
        }
    }
    let msgs: Vec<&[u8]> = idx.iter().map(|&i| items[i].1.as_slice()).collect();
    let sigs: Vec<Signature> = idx
        .iter()
        .map(|&i| Signature::from_bytes(&items[i].2))
        .collect();
    // Batch verification only pays off for several signatures; below that,
    // strict single verification is cheaper.
    if idx.len() >= 4 && ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
        return results;
    }
    for (n, &i) in idx.iter().enumerate() {
        results[i] = keys[n]
            .verify_strict(msgs[n], &sigs[n])
            .map_err(|_| VerifyError::BadSignature);
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_with_domain_separation() {
        let k = AgencyKey::from_secret(&[3; 32]);
        let sig = k.sign("change", b"hello");
        assert!(verify(&k.id(), "change", b"hello", &sig).is_ok());
        assert_eq!(
            verify(&k.id(), "roster", b"hello", &sig),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(&k.id(), "change", b"hellO", &sig),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn batch_names_the_bad_item() {
        let a = AgencyKey::from_secret(&[1; 32]);
        let b = AgencyKey::from_secret(&[2; 32]);
        let good = (a.id(), tagged("x", b"1"), a.sign("x", b"1"));
        let forged = (a.id(), tagged("x", b"2"), b.sign("x", b"2"));
        let res = verify_many(&[good.clone(), forged, good]);
        assert!(res[0].is_ok() && res[2].is_ok());
        assert_eq!(res[1], Err(VerifyError::BadSignature));
    }
}
