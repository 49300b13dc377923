//! Chart metadata (`pkg/chart/metadata.go`, `dependency.go`).
//!
//! These are the fields an index entry repeats from `Chart.yaml`. Decoding
//! follows Helm's lenient rules (see [`crate::go::unmarshal`]), and [`Metadata::validate`]
//! both checks and rewrites the strings exactly like Helm's `Validate`: Helm
//! indexes the sanitised text, so a multi-line description becomes one line.

use thiserror::Error;
use unicode_general_category::{get_general_category, GeneralCategory as G};

use crate::cli::output::clip;
use crate::go::semver;
use crate::go::unmarshal::{match_field, Ctx, DecodeError, Shape};
use crate::go::yaml::Value;

/// A maintainer entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// A dependency entry. `name` and `repository` are always serialised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub import_values: Vec<Value>,
    pub alias: String,
}

/// The `Chart.yaml` fields that Helm copies into index entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub home: String,
    pub sources: Vec<String>,
    pub version: String,
    pub description: String,
    pub keywords: Vec<String>,
    /// `None` marks a null item, which validation refuses.
    pub maintainers: Vec<Option<Maintainer>>,
    pub icon: String,
    pub api_version: String,
    pub condition: String,
    pub tags: String,
    pub app_version: String,
    pub deprecated: bool,
    /// Unique keys; serialisers order them.
    pub annotations: Vec<(String, String)>,
    pub kube_version: String,
    /// `None` marks a null item, which validation refuses.
    pub dependencies: Vec<Option<Dependency>>,
    pub chart_type: String,
}

/// Helm's `ValidationError`; the text follows Helm's wording.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("validation: {0}")]
pub struct ValidationError(pub String);

impl ValidationError {
    /// The one validation error Helm tolerates when loading an index
    /// (`ignoreSkippableChartValidationError`, helm#12748).
    pub fn is_duplicate_dependency(&self) -> bool {
        self.0
            .starts_with("more than one dependency with name or alias")
    }
}

/// JSON names of the metadata fields, in Go struct order.
pub const FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// JSON names of the maintainer fields, in Go struct order.
pub const MAINTAINER_FIELDS: &[&str] = &["name", "email", "url"];
/// JSON names of the dependency fields, in Go struct order.
pub const DEPENDENCY_FIELDS: &[&str] = &[
    "name",
    "version",
    "repository",
    "condition",
    "tags",
    "enabled",
    "import-values",
    "alias",
];

static MAINTAINER: Shape = Shape::Struct(&[
    ("name", Shape::Str),
    ("email", Shape::Str),
    ("url", Shape::Str),
]);
static DEPENDENCY: Shape = Shape::Struct(&[
    ("name", Shape::Str),
    ("version", Shape::Str),
    ("repository", Shape::Str),
    ("condition", Shape::Str),
    ("tags", Shape::List(&Shape::Str)),
    ("enabled", Shape::Other),
    ("import-values", Shape::Other),
    ("alias", Shape::Str),
]);
/// `chart.Metadata` as sigs.k8s.io/yaml sees it, for where a NaN or an
/// infinity may stand (`keywords: [.inf]` is the keyword "+Inf").
pub static METADATA_SHAPE: Shape = Shape::Struct(&[
    ("name", Shape::Str),
    ("home", Shape::Str),
    ("sources", Shape::List(&Shape::Str)),
    ("version", Shape::Str),
    ("description", Shape::Str),
    ("keywords", Shape::List(&Shape::Str)),
    ("maintainers", Shape::List(&MAINTAINER)),
    ("icon", Shape::Str),
    ("apiVersion", Shape::Str),
    ("condition", Shape::Str),
    ("tags", Shape::Str),
    ("appVersion", Shape::Str),
    ("deprecated", Shape::Other),
    ("annotations", Shape::MapOf(&Shape::Str)),
    ("kubeVersion", Shape::Str),
    ("dependencies", Shape::List(&DEPENDENCY)),
    ("type", Shape::Str),
]);
/// `chart.Requirements` (requirements.yaml of v1 charts).
pub static REQUIREMENTS_SHAPE: Shape = Shape::Struct(&[("dependencies", Shape::List(&DEPENDENCY))]);

fn set(slot: &mut String, v: Option<String>) {
    if let Some(s) = v {
        *slot = s;
    }
}

impl Metadata {
    /// Decodes a whole document into `self`, as `yaml.Unmarshal(data, md)`
    /// does on an existing struct: present keys overwrite, others stay.
    pub fn decode_into(&mut self, v: Value, ctx: Ctx) -> Result<(), DecodeError> {
        let Some(entries) = ctx.object(v, "Metadata", "chart.Metadata")? else {
            return Ok(());
        };
        for (k, val) in entries {
            match match_field(&k, FIELDS) {
                Some(f) => self.decode_field(f, val, ctx)?,
                None => ctx.unknown(&k)?,
            }
        }
        Ok(())
    }

    /// Decodes one known field (`f` is its canonical JSON name).
    pub fn decode_field(&mut self, f: &str, v: Value, ctx: Ctx) -> Result<(), DecodeError> {
        match f {
            "name" => set(&mut self.name, ctx.string(v, f)?),
            "home" => set(&mut self.home, ctx.string(v, f)?),
            "sources" => self.sources = ctx.strings(v, f)?.unwrap_or_default(),
            "version" => set(&mut self.version, ctx.string(v, f)?),
            "description" => set(&mut self.description, ctx.string(v, f)?),
            "keywords" => self.keywords = ctx.strings(v, f)?.unwrap_or_default(),
            "maintainers" => self.maintainers = decode_list(v, f, ctx, decode_maintainer)?,
            "icon" => set(&mut self.icon, ctx.string(v, f)?),
            "apiVersion" => set(&mut self.api_version, ctx.string(v, f)?),
            "condition" => set(&mut self.condition, ctx.string(v, f)?),
            "tags" => set(&mut self.tags, ctx.string(v, f)?),
            "appVersion" => set(&mut self.app_version, ctx.string(v, f)?),
            "deprecated" => {
                if let Some(b) = ctx.bool(&v, f)? {
                    self.deprecated = b;
                }
            }
            "annotations" => {
                let mut m = Some(std::mem::take(&mut self.annotations));
                ctx.string_map(v, f, &mut m)?;
                self.annotations = m.unwrap_or_default();
            }
            "kubeVersion" => set(&mut self.kube_version, ctx.string(v, f)?),
            "dependencies" => self.dependencies = decode_list(v, f, ctx, decode_dependency)?,
            "type" => set(&mut self.chart_type, ctx.string(v, f)?),
            _ => {}
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate` (v4.1.4 rules, which also refuse the names
    /// `.` and `..`): sanitises strings in place, then checks.
    pub fn validate(&mut self) -> Result<(), ValidationError> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            sanitize_in_place(s);
        }
        self.sources.iter_mut().for_each(sanitize_in_place);
        self.keywords.iter_mut().for_each(sanitize_in_place);

        let err = |s: String| Err(ValidationError(s));
        if self.api_version.is_empty() {
            return err("chart.metadata.apiVersion is required".into());
        }
        if self.name.is_empty() {
            return err("chart.metadata.name is required".into());
        }
        if self.name == "." || self.name == ".." {
            return err(format!(
                "chart.metadata.name {:?} is not allowed",
                clip(&self.name)
            ));
        }
        if self.name != go_base(&self.name) {
            return err(format!(
                "chart.metadata.name {:?} is invalid",
                clip(&self.name)
            ));
        }
        if self.version.is_empty() {
            return err("chart.metadata.version is required".into());
        }
        if semver::Version::parse(&self.version).is_err() {
            return err(format!(
                "chart.metadata.version {:?} is invalid",
                clip(&self.version)
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return err("chart.metadata.type must be application or library".into());
        }
        for m in &mut self.maintainers {
            let Some(m) = m else {
                return err("maintainers must not contain empty or null nodes".into());
            };
            sanitize_in_place(&mut m.name);
            sanitize_in_place(&mut m.email);
            sanitize_in_place(&mut m.url);
        }
        let mut seen: Vec<String> = Vec::new();
        for d in &mut self.dependencies {
            let Some(d) = d else {
                return err("dependencies must not contain empty or null nodes".into());
            };
            sanitize_in_place(&mut d.name);
            sanitize_in_place(&mut d.version);
            sanitize_in_place(&mut d.repository);
            sanitize_in_place(&mut d.condition);
            d.tags.iter_mut().for_each(sanitize_in_place);
            let alias_ok = d
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !d.alias.is_empty() && !alias_ok {
                return err(format!(
                    "dependency {:?} has disallowed characters in the alias",
                    clip(&d.name)
                ));
            }
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if seen.contains(key) {
                return err(format!(
                    "more than one dependency with name or alias {:?}",
                    clip(key)
                ));
            }
            seen.push(key.clone());
        }
        Ok(())
    }
}

fn decode_list<T>(
    v: Value,
    field: &str,
    ctx: Ctx,
    item: fn(Value, Ctx) -> Result<Option<T>, DecodeError>,
) -> Result<Vec<Option<T>>, DecodeError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items.into_iter().map(|i| item(i, ctx)).collect(),
        other => Err(DecodeError::Type {
            found: match other {
                Value::Map(_) => "object",
                Value::String(_) => "string",
                Value::Bool(_) => "bool",
                _ => "number",
            },
            field: field.to_string(),
            want: "array",
        }),
    }
}

fn decode_maintainer(v: Value, ctx: Ctx) -> Result<Option<Maintainer>, DecodeError> {
    let Some(entries) = ctx.object(v, "maintainers", "chart.Maintainer")? else {
        return Ok(None);
    };
    let mut m = Maintainer::default();
    for (k, val) in entries {
        match match_field(&k, MAINTAINER_FIELDS) {
            Some("name") => set(&mut m.name, ctx.string(val, "name")?),
            Some("email") => set(&mut m.email, ctx.string(val, "email")?),
            Some(_) => set(&mut m.url, ctx.string(val, "url")?),
            None => ctx.unknown(&k)?,
        }
    }
    Ok(Some(m))
}

fn decode_dependency(v: Value, ctx: Ctx) -> Result<Option<Dependency>, DecodeError> {
    let Some(entries) = ctx.object(v, "dependencies", "chart.Dependency")? else {
        return Ok(None);
    };
    let mut d = Dependency::default();
    for (k, val) in entries {
        match match_field(&k, DEPENDENCY_FIELDS) {
            Some("name") => set(&mut d.name, ctx.string(val, "name")?),
            Some("version") => set(&mut d.version, ctx.string(val, "version")?),
            Some("repository") => set(&mut d.repository, ctx.string(val, "repository")?),
            Some("condition") => set(&mut d.condition, ctx.string(val, "condition")?),
            Some("tags") => d.tags = ctx.strings(val, "tags")?.unwrap_or_default(),
            Some("enabled") => {
                if let Some(b) = ctx.bool(&val, "enabled")? {
                    d.enabled = b;
                }
            }
            Some("import-values") => {
                d.import_values = match val {
                    Value::Null => Vec::new(),
                    Value::Seq(items) => items,
                    other => {
                        return Err(DecodeError::Type {
                            found: "non-array",
                            field: format!("import-values ({})", other.kind_name()),
                            want: "[]interface {}",
                        })
                    }
                }
            }
            Some(_) => set(&mut d.alias, ctx.string(val, "alias")?),
            None => ctx.unknown(&k)?,
        }
    }
    Ok(Some(d))
}

/// Go's `filepath.Base` on Unix.
fn go_base(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Helm's `sanitizeString`: Unicode spaces become ' ', non-printable runes go.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if is_print(c) {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

fn sanitize_in_place(s: &mut String) {
    // Nearly every string is plain printable ASCII: skip the rebuild then.
    if s.bytes().all(|b| (0x21..0x7f).contains(&b) || b == b' ') {
        return;
    }
    *s = sanitize(s);
}

/// Go's `unicode.IsPrint` for a rune that is not a space: letters, marks,
/// numbers, punctuation and symbols.
fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::unmarshal::Origin;

    const YAML: Ctx = Ctx {
        origin: Origin::Yaml,
        strict: false,
    };

    fn md(pairs: Vec<(&str, Value)>) -> Metadata {
        let v = Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        let mut m = Metadata::default();
        m.decode_into(v, YAML).unwrap();
        m
    }

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn sanitizes_like_helm() {
        assert_eq!(sanitize("a\nb\tc\u{a0}d\u{200b}e\u{1}f"), "a b c def");
        assert_eq!(sanitize("multi\nline\n"), "multi line ");
        assert_eq!(sanitize("Ünïcødé 日本"), "Ünïcødé 日本");
    }

    #[test]
    fn coerces_and_validates() {
        let mut m = md(vec![
            ("apiVersion", s("v2")),
            ("Name", s("demo")),
            ("version", Value::Float(1.0)),
            ("appVersion", Value::Float(1.1)),
            ("description", s("line one\nline two\n")),
            ("unknown", s("ignored")),
        ]);
        m.validate().unwrap();
        assert_eq!(m.name, "demo");
        assert_eq!(m.version, "1");
        assert_eq!(m.app_version, "1.1");
        assert_eq!(m.description, "line one line two ");
    }

    #[test]
    fn rejects_what_helm_rejects() {
        let base = || {
            vec![
                ("apiVersion", s("v2")),
                ("name", s("demo")),
                ("version", s("1.0.0")),
            ]
        };
        let mut bad_version = base();
        bad_version[2] = ("version", s("one"));
        let mut slash = base();
        slash[1] = ("name", s("a/b"));
        let mut dot = base();
        dot[1] = ("name", s(".."));
        let mut ty = base();
        ty.push(("type", s("plugin")));
        let mut null_maint = base();
        null_maint.push(("maintainers", Value::Seq(vec![Value::Null])));
        let mut alias = base();
        alias.push((
            "dependencies",
            Value::Seq(vec![Value::Map(vec![
                ("name".into(), s("x")),
                ("alias".into(), s("bad alias")),
            ])]),
        ));
        for case in [bad_version, slash, dot, ty, null_maint, alias] {
            assert!(md(case.clone()).validate().is_err(), "{case:?}");
        }
        assert!(md(base()).validate().is_ok());
    }

    #[test]
    fn duplicate_dependency_is_recognised() {
        let dep = Value::Map(vec![("name".into(), s("x"))]);
        let mut m = md(vec![
            ("apiVersion", s("v2")),
            ("name", s("demo")),
            ("version", s("1.0.0")),
            ("dependencies", Value::Seq(vec![dep.clone(), dep])),
        ]);
        let e = m.validate().unwrap_err();
        assert!(e.is_duplicate_dependency());
    }

    #[test]
    fn type_mismatch_is_an_error() {
        let v = Value::Map(vec![("keywords".into(), s("notalist"))]);
        assert!(Metadata::default().decode_into(v, YAML).is_err());
        let v = Value::Map(vec![("name".into(), Value::Seq(vec![]))]);
        assert!(Metadata::default().decode_into(v, YAML).is_err());
    }
}
