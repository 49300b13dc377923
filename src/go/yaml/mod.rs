//! YAML as Helm reads and writes it.
//!
//! Helm never talks to a YAML library directly: it goes through
//! sigs.k8s.io/yaml, which decodes with yaml.v2 (YAML 1.1 scalar resolution)
//! into JSON-able data, and encodes by marshalling to JSON first and then
//! emitting that with yaml.v2's libyaml-derived emitter. Byte-identical index
//! files need both halves reproduced exactly, so this module owns them:
//! [`load`] parses into a [`Value`] with yaml.v2's resolution rules and its
//! limits against hostile input, and [`Emitter`] writes yaml.v2's exact layout.

mod emit;
mod load;
mod quick;
mod resolve;
mod sorter;
mod value;

pub use emit::Emitter;
pub use load::{load, Error, LoadOptions};
pub use quick::load_sequence as load_emitted_sequence;
pub use sorter::sort_natural;
pub use value::Value;
