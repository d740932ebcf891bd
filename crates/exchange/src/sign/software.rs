//! The software signer: an RSA private key held in memory with its certificate chain.

use super::{SignError, Signer, build_detached, build_pades};
use cqdt_app::{Clock, SystemClock};
use der::{Decode, Encode};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use x509_cert::Certificate;

/// A clock reading as a `SystemTime`.
pub(crate) fn clock_time(clock: &dyn Clock) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(u64::try_from(clock.now_us()).unwrap_or(0))
}

/// An RSA key and its certificate chain (signer's certificate first, then its issuers).
#[derive(Clone)]
pub struct SoftwareSigner {
    key: RsaPrivateKey,
    chain: Vec<Certificate>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subjects: Vec<String> = self
            .chain
            .iter()
            .map(|c| c.tbs_certificate.subject.to_string())
            .collect();
        f.debug_struct("SoftwareSigner")
            .field("key", &"<RSA key>")
            .field("chain", &subjects)
            .finish()
    }
}

pub(crate) fn public_key_of(cert: &Certificate) -> Result<RsaPublicKey, SignError> {
    use rsa::pkcs8::DecodePublicKey;
    let spki = cert.tbs_certificate.subject_public_key_info.to_der()?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| SignError::Key(e.to_string()))
}

impl SoftwareSigner {
    /// A signer from a key and its chain; the first certificate must hold the key's public half.
    pub fn new(key: RsaPrivateKey, chain: Vec<Certificate>) -> Result<Self, SignError> {
        let first = chain
            .first()
            .ok_or_else(|| SignError::Invalid("empty certificate chain".into()))?;
        if public_key_of(first)? != key.to_public_key() {
            return Err(SignError::Invalid(
                "the key does not match the first certificate".into(),
            ));
        }
        Ok(SoftwareSigner {
            key,
            chain,
            clock: Arc::new(SystemClock),
        })
    }

    /// Import a real certificate from a PKCS#12 file (.p12 / .pfx) and its password. Supports
    /// the PBES2/AES files of current OpenSSL and Windows and the legacy 3DES/RC2 ones. The
    /// key must be RSA; the chain is ordered signer-first whatever the file's order.
    pub fn from_pkcs12(p12: &[u8], password: &str) -> Result<Self, SignError> {
        let store = p12_keystore::KeyStore::from_pkcs12(p12, password)
            .map_err(|e| SignError::Pkcs12(e.to_string()))?;
        let (_, kc) = store
            .private_key_chain()
            .ok_or_else(|| SignError::Pkcs12("no private key in the file".into()))?;
        let key = RsaPrivateKey::from_pkcs8_der(kc.key())
            .map_err(|e| SignError::Key(format!("not an RSA key: {e}")))?;
        let mut certs = kc
            .chain()
            .iter()
            .map(|c| Certificate::from_der(c.as_der()))
            .collect::<Result<Vec<_>, _>>()?;
        // Bare certificates in the file (e.g. the CA) complete the chain.
        for (_, entry) in store.entries() {
            if let p12_keystore::KeyStoreEntry::Certificate(c) = entry {
                let cert = Certificate::from_der(c.as_der())?;
                if !certs.contains(&cert) {
                    certs.push(cert);
                }
            }
        }
        let public = key.to_public_key();
        let pos = certs
            .iter()
            .position(|c| public_key_of(c).map(|k| k == public).unwrap_or(false))
            .ok_or_else(|| SignError::Pkcs12("no certificate for the private key".into()))?;
        let leaf = certs.remove(pos);
        // Order the rest by issuer links, leaf upwards; leftovers go last.
        let mut chain = vec![leaf];
        while let Some(last) = chain.last() {
            if last.tbs_certificate.issuer == last.tbs_certificate.subject {
                break;
            }
            let issuer = last.tbs_certificate.issuer.clone();
            match certs
                .iter()
                .position(|c| c.tbs_certificate.subject == issuer)
            {
                Some(i) => chain.push(certs.remove(i)),
                None => break,
            }
        }
        chain.extend(certs);
        SoftwareSigner::new(key, chain)
    }

    /// Export key and chain as a PKCS#12 file (PBES2, AES-256, HMAC-SHA256) for the signer to
    /// take away or load into another tool.
    pub fn to_pkcs12(&self, password: &str) -> Result<Vec<u8>, SignError> {
        let key = self
            .key
            .to_pkcs8_der()
            .map_err(|e| SignError::Key(e.to_string()))?;
        let chain = self
            .chain
            .iter()
            .map(|c| {
                let der = c.to_der()?;
                p12_keystore::Certificate::from_der(&der)
                    .map_err(|e| SignError::Pkcs12(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spki = self
            .key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| SignError::Key(e.to_string()))?;
        let key_id = <Sha256 as sha2::Digest>::digest(spki.as_bytes());
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "signer",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
                key.as_bytes(),
                &key_id[..20],
                chain,
            )),
        );
        store
            .writer(password)
            .write()
            .map_err(|e| SignError::Pkcs12(e.to_string()))
    }

    /// The same signer reading the signing time from `clock` (the system clock by default).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The chain, signer's certificate first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The private key (the signing service builds an edXML signer from it).
    pub(crate) fn key(&self) -> &RsaPrivateKey {
        &self.key
    }

    /// Detached CMS signature with an explicit signing time (tests, re-signing).
    pub fn sign_detached_at(&self, content: &[u8], at: SystemTime) -> Result<Vec<u8>, SignError> {
        build_detached(content, &self.chain, at, |attrs| self.raw_sign(attrs))
    }

    fn raw_sign(&self, attrs: &[u8]) -> Result<Vec<u8>, SignError> {
        let sk = SigningKey::<Sha256>::new(self.key.clone());
        let sig = sk
            .try_sign(attrs)
            .map_err(|e| SignError::Key(e.to_string()))?;
        Ok(sig.to_vec())
    }
}

impl Signer for SoftwareSigner {
    fn certificate(&self) -> Certificate {
        // `new` guarantees a first certificate.
        self.chain[0].clone()
    }

    fn sign_detached(&self, content: &[u8]) -> Result<Vec<u8>, SignError> {
        self.sign_detached_at(content, clock_time(self.clock.as_ref()))
    }

    fn signing_time(&self) -> SystemTime {
        clock_time(self.clock.as_ref())
    }

    fn sign_pades(&self, content: &[u8]) -> Result<Vec<u8>, SignError> {
        build_pades(content, &self.chain, |attrs| self.raw_sign(attrs))
    }
}
