//! A legacy `plugin.yaml` read as Helm 4 reads it (`loadMetadataLegacy`,
//! `MetadataLegacy.Validate`, `fromMetadataLegacy`) and written back as
//! `yaml.Marshal(plugin.Metadata)`.

use super::PluginError;
use crate::chart::sanitize;
use crate::go::semver::Version;
use crate::go::yaml::{self, Emitter, LoadOptions, Value};

/// One `platformCommand` entry (`os`, `arch`, `command`, `args`).
#[derive(Debug, Clone, PartialEq)]
struct PlatformCommand {
    os: String,
    arch: String,
    command: String,
    /// `None` is Go's nil slice (`Args: null`), `Some(vec![])` an empty one.
    args: Option<Vec<String>>,
}

/// The plugin metadata Helm 4 builds from a legacy `plugin.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    usage: String,
    description: String,
    ignore_flags: bool,
    platform_command: Vec<PlatformCommand>,
    /// Hook name → commands, `None` when the plugin has no hooks.
    platform_hooks: Option<Vec<(String, Vec<PlatformCommand>)>>,
    /// (protocols, command) per downloader: a plugin with any is a getter.
    downloaders: Vec<(Vec<String>, String)>,
}

/// Parses and validates a legacy `plugin.yaml`, as Helm 4 does before it
/// packages, signs or installs a plugin. Scalars that yaml.v2 resolves to
/// booleans or floats are refused where Helm expects text (yaml.v3 would keep
/// their spelling, which this loader does not retain).
pub fn parse_legacy(text: &str) -> Result<Metadata, PluginError> {
    let doc = yaml::load(text, LoadOptions::default())?;
    let top: &[(String, Value)] = match &doc {
        Value::Map(m) => m,
        Value::Null => &[],
        other => {
            return Err(invalid(format!(
                "expected a mapping, got {}",
                other.kind_name()
            )))
        }
    };
    let field = |k: &str| top.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v);
    if let Some(v) = field("apiVersion") {
        let v = text_of(v, "apiVersion")?;
        if !v.is_empty() {
            return Err(PluginError::ApiVersion(v));
        }
    }
    let s = |k: &str| {
        field(k)
            .map(|v| text_of(v, k))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    let name = s("name")?;
    let version = s("version")?;
    let usage = sanitize(&s("usage")?);
    let description = s("description")?;
    let command = s("command")?;
    let ignore_flags = match field("ignoreFlags") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("ignoreFlags: must be true or false".into())),
    };
    let platform_command = match field("platformCommand") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => commands(v, "platformCommand")?,
    };
    let platform_hooks = match field("platformHooks") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => entries(v, "platformHooks")?
            .iter()
            .map(|(k, v)| Ok((k.clone(), commands(v, &format!("platformHooks.{k}"))?)))
            .collect::<Result<_, PluginError>>()?,
    };
    let hooks: Vec<(String, String)> = match field("hooks") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => entries(v, "hooks")?
            .iter()
            .map(|(k, v)| Ok((k.clone(), text_of(v, &format!("hooks.{k}"))?)))
            .collect::<Result<_, PluginError>>()?,
    };
    let downloaders = match field("downloaders") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Seq(items)) => items
            .iter()
            .enumerate()
            .map(|(i, d)| downloader(d, i))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("downloaders: must be a list".into())),
    };

    // MetadataLegacy.Validate.
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid(format!(
            "invalid plugin name {name:?}: must contain only a-z, A-Z, 0-9, _ and -"
        )));
    }
    if !version.is_empty() && !strict_semver(&version) {
        return Err(invalid(format!(
            "invalid plugin version {version:?}: must be valid semver"
        )));
    }
    if !platform_command.is_empty() && !command.is_empty() {
        return Err(invalid("both platformCommand and command are set".into()));
    }
    if !platform_hooks.is_empty() && !hooks.is_empty() {
        return Err(invalid("both platformHooks and hooks are set".into()));
    }
    for (i, (protocols, command)) in downloaders.iter().enumerate() {
        if command.is_empty() {
            return Err(invalid(format!("downloader {i} has empty command")));
        }
        if protocols.is_empty() {
            return Err(invalid(format!("downloader {i} has no protocols")));
        }
        if let Some(j) = protocols.iter().position(String::is_empty) {
            return Err(invalid(format!(
                "downloader {i} has empty protocol at index {j}"
            )));
        }
    }

    // fromMetadataLegacy / buildLegacyRuntimeConfig.
    let platform_command = if platform_command.is_empty() && !command.is_empty() {
        vec![PlatformCommand {
            os: String::new(),
            arch: String::new(),
            command,
            args: None,
        }]
    } else {
        platform_command
    };
    let platform_hooks = if !platform_hooks.is_empty() {
        Some(platform_hooks)
    } else if !hooks.is_empty() {
        Some(
            hooks
                .into_iter()
                .map(|(k, cmd)| {
                    let run = PlatformCommand {
                        os: String::new(),
                        arch: String::new(),
                        command: "sh".into(),
                        args: Some(vec!["-c".into(), cmd]),
                    };
                    (k, vec![run])
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Metadata {
        name,
        version,
        usage,
        description,
        ignore_flags,
        platform_command,
        platform_hooks,
        downloaders,
    })
}

impl Metadata {
    /// `cli/v1`, or `getter/v1` for a plugin with downloaders (Helm 4 then
    /// drops its command).
    pub fn plugin_type(&self) -> &'static str {
        if self.downloaders.is_empty() {
            "cli/v1"
        } else {
            "getter/v1"
        }
    }

    /// `NAME-VERSION.tgz`: the name Helm 4 gives the tarball when it stores
    /// it, installs it from a registry and checks its provenance there.
    pub fn tarball_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    /// `yaml.Marshal(plugin.Metadata)` (sigs.k8s.io/yaml), the first part
    /// of the plugin's `.prov`.
    pub fn to_yaml(&self) -> Vec<u8> {
        let s = |v: &str| Value::String(v.to_owned());
        let strs = |v: &[String]| Value::Seq(v.iter().map(|x| s(x)).collect());
        let cmd = |c: &PlatformCommand| {
            Value::Map(vec![
                ("OperatingSystem".into(), s(&c.os)),
                ("Architecture".into(), s(&c.arch)),
                ("Command".into(), s(&c.command)),
                ("Args".into(), c.args.as_deref().map_or(Value::Null, strs)),
            ])
        };
        let cmds = |v: &[PlatformCommand]| {
            if v.is_empty() {
                Value::Null
            } else {
                Value::Seq(v.iter().map(cmd).collect())
            }
        };
        let config = if self.downloaders.is_empty() {
            Value::Map(vec![
                ("Usage".into(), s("")),
                ("ShortHelp".into(), s(&self.usage)),
                ("LongHelp".into(), s(&self.description)),
                ("IgnoreFlags".into(), Value::Bool(self.ignore_flags)),
            ])
        } else {
            let protocols: Vec<String> = self
                .downloaders
                .iter()
                .flat_map(|(p, _)| p.clone())
                .collect();
            Value::Map(vec![("Protocols".into(), strs(&protocols))])
        };
        let protocol_commands = if self.downloaders.is_empty() {
            Value::Null
        } else {
            Value::Seq(
                self.downloaders
                    .iter()
                    .map(|(protocols, command)| {
                        let run = PlatformCommand {
                            os: String::new(),
                            arch: String::new(),
                            command: command.clone(),
                            args: None,
                        };
                        Value::Map(vec![
                            ("Protocols".into(), strs(protocols)),
                            ("PlatformCommand".into(), Value::Seq(vec![cmd(&run)])),
                        ])
                    })
                    .collect(),
            )
        };
        let hooks = match &self.platform_hooks {
            None => Value::Null,
            Some(h) => Value::Map(h.iter().map(|(k, v)| (k.clone(), cmds(v))).collect()),
        };
        let doc = Value::Map(vec![
            ("APIVersion".into(), s("legacy")),
            ("Name".into(), s(&self.name)),
            ("Type".into(), s(self.plugin_type())),
            ("Runtime".into(), s("subprocess")),
            ("Version".into(), s(&self.version)),
            ("SourceURL".into(), s("")),
            ("Config".into(), config),
            (
                "RuntimeConfig".into(),
                Value::Map(vec![
                    ("PlatformCommand".into(), cmds(&self.platform_command)),
                    ("PlatformHooks".into(), hooks),
                    ("ProtocolCommands".into(), protocol_commands),
                ]),
            ),
        ]);
        let mut e = Emitter::via_json(Vec::new());
        // Writing to memory cannot fail.
        e.value(&doc).expect("in-memory YAML");
        e.finish().expect("in-memory YAML")
    }
}

fn invalid(msg: String) -> PluginError {
    PluginError::Invalid(msg)
}

/// A scalar Go decodes into a `string` field, with yaml.v3's spelling where
/// the loader kept it.
fn text_of(v: &Value, what: &str) -> Result<String, PluginError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Uint(u) => Ok(u.to_string()),
        other => Err(invalid(format!(
            "{what}: expected a string, got {} (quote it)",
            other.kind_name()
        ))),
    }
}

fn entries<'a>(v: &'a Value, what: &str) -> Result<&'a [(String, Value)], PluginError> {
    v.as_map()
        .ok_or_else(|| invalid(format!("{what}: must be a mapping")))
}

fn string_list(v: &Value, what: &str) -> Result<Vec<String>, PluginError> {
    match v {
        Value::Seq(items) => items.iter().map(|x| text_of(x, what)).collect(),
        Value::Null => Ok(Vec::new()),
        _ => Err(invalid(format!("{what}: must be a list"))),
    }
}

fn commands(v: &Value, what: &str) -> Result<Vec<PlatformCommand>, PluginError> {
    let Value::Seq(items) = v else {
        return Err(invalid(format!("{what}: must be a list")));
    };
    items
        .iter()
        .map(|item| {
            let m = entries(item, what)?;
            let get = |k: &str| m.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v);
            let text = |k: &str| {
                get(k)
                    .map(|v| text_of(v, &format!("{what}.{k}")))
                    .transpose()
                    .map(Option::unwrap_or_default)
            };
            Ok(PlatformCommand {
                os: text("os")?,
                arch: text("arch")?,
                command: text("command")?,
                args: match get("args") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(string_list(v, &format!("{what}.args"))?),
                },
            })
        })
        .collect()
}

fn downloader(v: &Value, i: usize) -> Result<(Vec<String>, String), PluginError> {
    let what = format!("downloaders[{i}]");
    let m = entries(v, &what)?;
    let get = |k: &str| m.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v);
    let protocols = get("protocols")
        .map(|v| string_list(v, &format!("{what}.protocols")))
        .transpose()?
        .unwrap_or_default();
    let command = get("command")
        .map(|v| text_of(v, &format!("{what}.command")))
        .transpose()?
        .unwrap_or_default();
    Ok((protocols, command))
}

/// Masterminds `StrictNewVersion`: `MAJOR.MINOR.PATCH[-PRE][+BUILD]`, no
/// `v`, no leading zeros.
fn strict_semver(v: &str) -> bool {
    if v.starts_with('v') || Version::parse(v).is_err() {
        return false;
    }
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && (p.len() == 1 || !p.starts_with('0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plugin behind tests/fixtures/prov/helm4.1.4-plugin-rsa, and the
    /// first part of the `.prov` Helm 4.1.4 wrote for it.
    #[test]
    fn metadata_as_helm_4_signs_it() {
        let md = parse_legacy(
            "name: hello\nversion: 0.2.0\nusage: say hello\ndescription: test plugin\ncommand: \"$HELM_PLUGIN_DIR/hello.sh\"\n",
        )
        .unwrap();
        let want = "APIVersion: legacy\nConfig:\n  IgnoreFlags: false\n  LongHelp: test plugin\n  ShortHelp: say hello\n  Usage: \"\"\nName: hello\nRuntime: subprocess\nRuntimeConfig:\n  PlatformCommand:\n  - Architecture: \"\"\n    Args: null\n    Command: $HELM_PLUGIN_DIR/hello.sh\n    OperatingSystem: \"\"\n  PlatformHooks: null\n  ProtocolCommands: null\nSourceURL: \"\"\nType: cli/v1\nVersion: 0.2.0\n";
        assert_eq!(String::from_utf8(md.to_yaml()).unwrap(), want);
        assert_eq!(md.tarball_name(), "hello-0.2.0.tgz");
    }

    #[test]
    fn hooks_become_sh_dash_c() {
        let md = parse_legacy("name: x\nversion: 1.0.0\nhooks:\n  install: echo hi\n").unwrap();
        let y = String::from_utf8(md.to_yaml()).unwrap();
        assert!(
            y.contains("  PlatformHooks:\n    install:\n    - Architecture: \"\"\n      Args:\n      - -c\n      - echo hi\n      Command: sh\n"),
            "{y}"
        );
    }

    #[test]
    fn refusals_follow_helm() {
        for (text, want) in [
            ("name: a b\n", "invalid plugin name"),
            ("name: a\nversion: \"1.0\"\n", "must be valid semver"),
            ("name: a\nversion: v1.0.0\n", "must be valid semver"),
            (
                "name: a\ncommand: x\nplatformCommand: [{command: z}]\n",
                "both platformCommand",
            ),
            (
                "name: a\nhooks: {install: x}\nplatformHooks: {install: [{command: z}]}\n",
                "both platformHooks",
            ),
            (
                "name: a\ndownloaders: [{command: x}]\n",
                "downloader 0 has no protocols",
            ),
            ("apiVersion: v1\nname: a\n", "apiVersion \"v1\""),
            ("name: a\nusage: yes\n", "usage: expected a string"),
            ("- a\n", "expected a mapping"),
        ] {
            let e = parse_legacy(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn usage_is_sanitised_and_getters_typed() {
        let md = parse_legacy(
            "name: g\nversion: 0.1.0\nusage: \"a\\tb\\u0007c\"\ndownloaders:\n- command: bin/g\n  protocols: [gs, s3]\n",
        )
        .unwrap();
        assert_eq!(md.usage, "a bc");
        assert_eq!(md.plugin_type(), "getter/v1");
        let y = String::from_utf8(md.to_yaml()).unwrap();
        assert!(y.contains("Config:\n  Protocols:\n  - gs\n  - s3\n"), "{y}");
        assert!(y.contains("  ProtocolCommands:\n  - PlatformCommand:\n    - Architecture: \"\"\n      Args: null\n      Command: bin/g\n"), "{y}");
    }
}
