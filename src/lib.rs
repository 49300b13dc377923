//! helm-wharf: Helm CLI plugins for publishing charts.
//!
//! All domain logic lives in this library; the binaries in `src/bin/` only
//! parse arguments and call into it. Modules are named after the Helm
//! packages that own the same concepts: [`cli`] is `pkg/cli` (the settings
//! Helm hands to plugins), [`helmpath`], [`repo`], [`chart`], [`provenance`],
//! [`getter`], [`registry`] (OCI), and the commands live in [`cmd`] as in Helm 4's `pkg/cmd`.
//! Ports of the Go libraries Helm's output depends on sit beside them:
//! [`yaml`] (yaml.v2 through sigs.k8s.io/yaml), [`json`] (encoding/json),
//! [`semver`] (Masterminds/semver), [`gosort`] (sort.Sort), [`strconv`],
//! [`gotime`], [`gobase64`] and [`urlutil`] (net/url as Helm joins URLs).

pub mod chart;
pub mod cli;
pub mod cmd;
mod fileutil;
mod getter;
mod go;
pub mod net;
mod parallel;
pub mod provenance;
pub mod registry;
pub mod repo;

/// mimalloc for every binary of the pack, declared once here. Indexing a
/// large repository allocates millions of small strings from several threads
/// at once; where page faults are expensive, the system allocator's habit of
/// returning memory and faulting it in again cost more than the parsing, and
/// the large-index case of `scripts/bench-idx.py` reached its goal only with
/// mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
