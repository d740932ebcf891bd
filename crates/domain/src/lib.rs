//! Pure rules and types of cqdt. No I/O, no async: time and randomness come in as arguments.
//!
//! Architecture invariant: this crate depends on no I/O, database or web crate.

pub mod agency;
pub mod audit;
pub mod calendar;
pub mod document;
pub mod dossier;
pub mod error;
pub mod files;
pub mod ids;
pub mod policy;
pub mod procedure;
pub mod text;

pub use error::{DomainError, ErrorCode};
