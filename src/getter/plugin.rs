//! Getter plugins (`pkg/getter/plugingetter.go`): a URL whose scheme no
//! built-in getter serves is fetched by the installed Helm plugin that
//! declares the scheme, run exactly as Helm runs it, so that `helm idx
//! merge s3://...` and `helm ocipush migrate gs://...` work with the
//! pack's own `sync-getter` and with any other getter plugin the user has.
//!
//! Helm 3's legacy form (`downloaders: [{command, protocols}]`) and Helm
//! 4's (`type: getter/v1`, `runtimeConfig.protocolCommands`) are both read.
//! The command is relative to the plugin's folder (Helm joins the two),
//! split on spaces, and run as `COMMAND ARGS... CERT KEY CA URL`; the file
//! is its standard output, read with the same cap as any download.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Body, GetError, Getter, GetterOptions};
use crate::go::yaml::{self, LoadOptions, Value};
use crate::net::SafeUrl;

/// The most a plugin.yaml may hold.
const MAX_PLUGIN_YAML: u64 = 1 << 20;
/// Plugins looked at, at most: a bound on a crafted plugins folder.
const MAX_PLUGINS: usize = 1000;
/// What is kept of a plugin's error output for the message.
const MAX_STDERR: usize = 4096;

/// A plugin's command for one scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PluginCommand {
    pub name: String,
    pub dir: PathBuf,
    pub program: String,
    pub args: Vec<String>,
}

fn field<'a>(map: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn string(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The command `plugin.yaml` (text) declares for `scheme`, if any.
pub(super) fn command_for(text: &str, dir: &Path, scheme: &str) -> Option<PluginCommand> {
    let v = yaml::load(text, LoadOptions::default()).ok()?;
    let top = v.as_map()?;
    let name = string(field(top, "name")).unwrap_or_default();
    let mut found: Option<(String, Vec<String>)> = None;
    if let Some(Value::Seq(ds)) = field(top, "downloaders") {
        for d in ds {
            let Some(m) = d.as_map() else { continue };
            if strings(field(m, "protocols")).iter().any(|p| p == scheme) {
                if let Some(c) = string(field(m, "command")) {
                    found = Some((c, Vec::new()));
                    break;
                }
            }
        }
    }
    if found.is_none() && string(field(top, "type")).as_deref() == Some("getter/v1") {
        let rc = field(top, "runtimeConfig").and_then(Value::as_map)?;
        if let Some(Value::Seq(pcs)) = field(rc, "protocolCommands") {
            for pc in pcs {
                let Some(m) = pc.as_map() else { continue };
                if !strings(field(m, "protocols")).iter().any(|p| p == scheme) {
                    continue;
                }
                if let Some(Value::Seq(cmds)) = field(m, "platformCommand") {
                    if let Some(c) = cmds.iter().filter_map(Value::as_map).next() {
                        if let Some(cmd) = string(field(c, "command")) {
                            found = Some((cmd, strings(field(c, "args"))));
                            break;
                        }
                    }
                }
            }
        }
    }
    let (command, extra) = found?;
    let mut parts = command
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let program = parts.next()?;
    let mut args: Vec<String> = parts.collect();
    args.extend(extra);
    Some(PluginCommand {
        name,
        dir: dir.to_path_buf(),
        program,
        args,
    })
}

/// The installed plugin that serves `scheme`, from `plugins` (Helm's
/// plugins folder), in name order as Helm loads them.
pub(super) fn find(plugins: &Path, scheme: &str) -> Option<PluginCommand> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(plugins)
        .ok()?
        .flatten()
        .take(MAX_PLUGINS)
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs.into_iter().find_map(|d| {
        let text = crate::fileutil::read_regular(&d.join("plugin.yaml"), MAX_PLUGIN_YAML).ok()?;
        command_for(&String::from_utf8_lossy(&text), &d, scheme)
    })
}

/// Runs the plugin that serves the URL's scheme.
pub(super) struct PluginGetter;

impl Getter for PluginGetter {
    fn get(&self, url: &SafeUrl, o: &GetterOptions, kind: Body) -> Result<Vec<u8>, GetError> {
        let scheme = url.scheme();
        let settings = crate::cli::EnvSettings::from_env();
        let Some(p) = find(&settings.plugins_directory, &scheme) else {
            return Err(GetError::Scheme {
                url: url.clone(),
                scheme,
            });
        };
        let path_text = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let program = p.dir.join(&p.program);
        crate::debug!(
            "fetching {url} with the getter plugin {} ({})",
            p.name,
            program.display()
        );
        let mut c = Command::new(&program);
        c.args(&p.args)
            .arg(path_text(&o.cert_file))
            .arg(path_text(&o.key_file))
            .arg(path_text(&o.ca_file))
            .arg(url.expose())
            .env("HELM_PLUGIN_NAME", &p.name)
            .env("HELM_PLUGIN_DIR", &p.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if o.has_credentials() {
            c.env("HELM_PLUGIN_USERNAME", &o.username)
                .env("HELM_PLUGIN_PASSWORD", o.password.expose());
        }
        let fetch_err = |cause: String| GetError::Fetch {
            url: url.clone(),
            cause,
        };
        let mut child = c.spawn().map_err(|e| {
            fetch_err(format!(
                "cannot run the getter plugin {}: {}",
                p.name,
                crate::cli::output::io_words(&e)
            ))
        })?;
        let mut stderr = child.stderr.take().expect("piped");
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut stderr).take(MAX_STDERR as u64).read_to_end(&mut buf);
            // Drain the rest so the plugin never blocks on a full pipe.
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            buf
        });
        let deadline = Instant::now() + crate::net::DOWNLOAD_TIMEOUT;
        let stdout = child.stdout.take().expect("piped");
        let body = crate::net::read_body(stdout, kind.limit(), deadline);
        if body.is_err() {
            let _ = child.kill();
        }
        let status = wait_until(&mut child, deadline);
        let err_text = err_reader.join().unwrap_or_default();
        let data = match body {
            Ok(d) => d,
            Err(crate::net::BodyError::TooLarge) => {
                return Err(GetError::TooLarge {
                    url: url.clone(),
                    what: kind.what(),
                    limit: kind.limit(),
                })
            }
            Err(crate::net::BodyError::TimedOut) => {
                return Err(fetch_err("the getter plugin did not finish in time".into()))
            }
            Err(crate::net::BodyError::Io(e)) => {
                return Err(fetch_err(crate::cli::output::io_words(&e)))
            }
        };
        match status {
            Some(s) if s.success() => Ok(data),
            _ => {
                let text = String::from_utf8_lossy(&err_text);
                let line = text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("no message");
                // A plugin has only its exit code and its words to say that
                // the file is not there, which callers treat apart (an
                // optional `.prov`); these are the words getters use.
                let lower = line.to_ascii_lowercase();
                if [
                    "does not exist",
                    "not found",
                    "nosuchkey",
                    "no such key",
                    "404",
                ]
                .iter()
                .any(|w| lower.contains(w))
                {
                    return Err(GetError::Status {
                        url: url.clone(),
                        status: reqwest::StatusCode::NOT_FOUND,
                    });
                }
                Err(fetch_err(format!(
                    "the getter plugin {} failed: {}",
                    p.name,
                    crate::cli::output::clip(line)
                )))
            }
        }
    }
}

fn wait_until(
    child: &mut std::process::Child,
    deadline: Instant,
) -> Option<std::process::ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_manifest_forms_name_their_command() {
        let d = Path::new("/p/s3");
        let legacy = "name: s3\ncommand: x\ndownloaders:\n- command: \"bin/helm-s3 download\"\n  protocols: [\"s3\"]\n";
        let c = command_for(legacy, d, "s3").unwrap();
        assert_eq!(
            (c.program.as_str(), c.args.clone()),
            ("bin/helm-s3", vec!["download".to_string()])
        );
        assert!(command_for(legacy, d, "gs").is_none());
        let v1 = "apiVersion: v1\ntype: getter/v1\nname: g\nruntime: subprocess\nconfig:\n  protocols: [gs]\nruntimeConfig:\n  protocolCommands:\n  - protocols: [gs]\n    platformCommand:\n    - command: bin/g\n      args: [get]\n";
        let c = command_for(v1, d, "gs").unwrap();
        assert_eq!(
            (c.program.as_str(), c.args.clone()),
            ("bin/g", vec!["get".to_string()])
        );
        assert!(command_for("{{{", d, "gs").is_none());
    }
}
