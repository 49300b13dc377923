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
pub mod decode;
pub mod fileutil;
pub mod getter;
pub mod gobase64;
pub mod gosort;
pub mod gotime;
pub mod helmpath;
pub mod json;
pub mod parallel;
pub mod provenance;
pub mod registry;
pub mod repo;
pub mod semver;
pub mod strconv;
pub mod urlutil;
pub mod yaml;

#[cfg(test)]
mod test_support;
