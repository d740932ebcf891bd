//! Typed identifiers (UUIDv7 underneath). Generation is the caller's business (the app layer's
//! `Ids` port), so the domain stays deterministic.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s.trim()).ok().map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    AgencyId,
    UserId,
    GrantId,
    ApiKeyId,
    AuditId,
    ProcedureId,
    DossierId,
    DraftId,
    FileId,
    DocumentId
);
