//! Tokenfleet core: the pure planning library behind the web app, the desktop app and the CLI.
//!
//! Plain data in, plain data out. No IO, no web or UI dependency, no panics on user input, and the
//! same input always gives the same bytes. See ARCHITECTURE.md for the codemap.

pub mod catalog;
pub mod compare;
pub mod cron;
pub mod curves;
pub mod doc;
pub mod duration;
pub mod edit;
pub mod examples;
pub mod finding;
pub mod k8s;
pub mod lint;
pub mod manifest;
pub mod optimize;
pub mod perf;
pub mod place;
pub mod plan;
pub mod share;
pub mod sim;
pub mod topology;
pub mod units;
pub mod yaml;
