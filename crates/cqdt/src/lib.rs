//! The cqdt binary's library part: configuration, start-up and the commands, so integration
//! tests can run the real server in-process on a random port.

pub mod cli;
pub mod config;
pub mod filestore;
pub mod server;
