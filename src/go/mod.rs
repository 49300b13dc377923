//! Byte-exact ports of the Go libraries whose behaviour shows in Helm's
//! output and in what Helm accepts.
//!
//! Helm's files are defined by the Go code that writes and reads them, not by
//! a specification: an index file is whatever yaml.v2 emits after
//! `encoding/json`, a version order is Masterminds/semver's plus pdqsort's tie
//! order, a chart URL is `net/url`'s escaping. Each module here ports one such
//! library, function by function where the exact sequence of operations shows
//! in the result, and names the Go source it follows. Nothing in this layer
//! knows about charts or repositories; everything above it may use it.

pub mod base64;
pub mod json;
pub mod semver;
pub mod sort;
pub mod strconv;
pub mod tar;
pub mod time;
pub mod unmarshal;
pub mod url;
pub mod yaml;
