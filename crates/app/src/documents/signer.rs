//! The signing port of documents: a detached signature over a file's bytes, for a person (the
//! signer) or for an agency (its seal). The real one will be `cqdt-exchange`'s `sign` module
//! (CMS SignedData); [`FakeSigner`] is for tests and the demo.

use async_trait::async_trait;
use cqdt_domain::ids::{AgencyId, UserId};
use sha2::{Digest, Sha256};

use crate::error::AppResult;

/// On whose behalf a signature is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignAs {
    Person {
        user: UserId,
        full_name: String,
    },
    Agency {
        agency: AgencyId,
        /// Official identifier (mã định danh).
        identifier: String,
        /// The agency's name, for its certificate.
        name: String,
    },
}

#[async_trait]
pub trait DocumentSigner: Send + Sync {
    /// A detached signature over `bytes` (stored as a `.p7s` file of the document). An error
    /// refuses the signing step; nothing is written.
    async fn sign(&self, who: &SignAs, bytes: &[u8]) -> AppResult<Vec<u8>>;
}

/// Not a signature: a text naming the signer and the SHA-256 of the content. For tests only.
#[derive(Debug, Default)]
pub struct FakeSigner;

#[async_trait]
impl DocumentSigner for FakeSigner {
    async fn sign(&self, who: &SignAs, bytes: &[u8]) -> AppResult<Vec<u8>> {
        let whom = match who {
            SignAs::Person { user, full_name } => format!("person {user} {full_name}"),
            SignAs::Agency {
                agency, identifier, ..
            } => format!("agency {agency} {identifier}"),
        };
        Ok(format!(
            "FAKE SIGNATURE (no legal value)\nsigner: {whom}\nsha256: {}\n",
            hex::encode(Sha256::digest(bytes))
        )
        .into_bytes())
    }
}

/// No signing service configured: every signing step is refused (nothing is written).
#[derive(Debug, Default)]
pub struct UnavailableSigner;

#[async_trait]
impl DocumentSigner for UnavailableSigner {
    async fn sign(&self, _who: &SignAs, _bytes: &[u8]) -> AppResult<Vec<u8>> {
        Err(
            crate::AppError::new(cqdt_domain::ErrorCode::DocumentSigningFailed)
                .with_detail("no signing service is configured"),
        )
    }
}
