//! Shell completion through Helm (`helm completion`, `helm __complete`).
//!
//! Helm completes a plugin's subcommands and flags from the `completion.yaml`
//! in the plugin's folder, and for everything else runs the executable
//! `plugin.complete` there with the words typed after `helm <plugin>`
//! (subcommands first, the word being completed last). Its answer is one
//! value per line (`VALUE` or `VALUE<TAB>DESCRIPTION`), then `:<directive>`,
//! cobra's `ShellCompDirective`. Helm 3 and 4 read both files alike.
//!
//! This module writes `completion.yaml` from a clap command tree
//! ([`completion_yaml`]) and, from the words, works out what is being
//! completed ([`request`]): a subcommand, a flag's name, a flag's value, a
//! positional argument. Flag names and clap's possible values are answered
//! here; the values only the commands know (repositories, registries, keys,
//! charts) come from the caller ([`complete`]).

use std::fmt::Write as _;

use clap::{Arg, Command};

/// cobra's `ShellCompDirective` bits.
pub mod directive {
    /// The values given, or file names when there are none.
    pub const DEFAULT: u32 = 0;
    /// An error: the shell offers nothing.
    pub const ERROR: u32 = 1;
    /// No space after the value (it continues, as `oci://HOST` does).
    pub const NO_SPACE: u32 = 2;
    /// No file names when there are no values.
    pub const NO_FILE_COMP: u32 = 4;
    /// The values are file extensions to offer files of.
    pub const FILTER_FILE_EXT: u32 = 8;
    /// Offer folders only.
    pub const FILTER_DIRS: u32 = 16;
}

/// The most values one answer holds; the rest are left out.
pub const MAX_VALUES: usize = 500;

/// The `completion.yaml` Helm reads for the plugin `name` whose command line
/// is `cmd`: every visible subcommand and flag, recursively. A command
/// without subcommands has no `commands` key, since only there does Helm
/// ask `plugin.complete` for values.
pub fn completion_yaml(name: &str, cmd: &Command) -> String {
    let mut cmd = cmd.clone();
    cmd.build();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The subcommands and flags of helm {name}, for Helm's shell completion.\n\
         # Generated from the command line of helm-{name}; do not edit. Regenerate with:\n\
         #   target/release/helm-{name} __completion-yaml > plugins/{name}/completion.yaml"
    );
    write_command(&mut out, &cmd, name, 0);
    out
}

fn write_command(out: &mut String, cmd: &Command, name: &str, depth: usize) {
    let pad = "  ".repeat(depth);
    let (first, rest) = if depth == 0 {
        (String::new(), String::new())
    } else {
        (format!("{}- ", "  ".repeat(depth - 1)), pad.clone())
    };
    let _ = writeln!(out, "{first}name: {}", yaml_scalar(name));
    let flags = flag_names(cmd);
    if !flags.is_empty() {
        let _ = writeln!(out, "{rest}flags:");
        for f in flags {
            let _ = writeln!(out, "{rest}- {}", yaml_scalar(&f));
        }
    }
    let subs: Vec<&Command> = visible_subcommands(cmd).collect();
    if !subs.is_empty() {
        let _ = writeln!(out, "{rest}commands:");
        for s in subs {
            if s.get_name() == "help" {
                // clap's `help` takes subcommand names, not flags of its own.
                let _ = writeln!(out, "{rest}- name: {}", yaml_scalar("help"));
                continue;
            }
            write_command(out, s, s.get_name(), depth + 1);
        }
    }
}

/// The one-letter flags of Helm's own global flags (`-n`, `--namespace`).
/// Helm adds its global flags to a plugin's, and a second flag of the same
/// letter makes it panic, for every completion; Helm takes `-n` before a
/// plugin sees it anyway.
const HELM_SHORTS: &[char] = &['n'];

/// The flag names of `cmd` as Helm wants them: Helm pairs the n-th
/// one-letter name with the n-th long one, so the long names that have a
/// short one come first, in the order of their short names, then the other
/// long names; the short names follow, a short name without a long one
/// last.
fn flag_names(cmd: &Command) -> Vec<String> {
    let mut paired_long = Vec::new();
    let mut paired_short = Vec::new();
    let mut long_only = Vec::new();
    let mut short_only = Vec::new();
    for a in visible_flags(cmd) {
        let short = a.get_short().filter(|c| !HELM_SHORTS.contains(c));
        match (a.get_long(), short) {
            (Some(l), Some(s)) => {
                paired_long.push(l.to_string());
                paired_short.push(s.to_string());
            }
            (Some(l), None) => long_only.push(l.to_string()),
            (None, Some(s)) => short_only.push(s.to_string()),
            (None, None) => {}
        }
    }
    paired_long
        .into_iter()
        .chain(long_only)
        .chain(paired_short)
        .chain(short_only)
        .collect()
}

fn visible_flags(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set())
}

fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

/// A double-quoted YAML scalar (JSON's escapes are YAML's). Helm reads the
/// file as YAML 1.1, where a plain `y`, `yes` or `n` is a boolean: the flag
/// `--yes` would become a flag named "true".
fn yaml_scalar(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// What the word being completed is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A subcommand's name, or the first positional argument.
    Subcommand,
    /// A flag's name.
    FlagName,
    /// The value of the flag whose clap id is `id`.
    FlagValue { id: String },
    /// The positional argument whose clap id is `id`; `index` counts the
    /// positional words before it in this command.
    Positional { id: String, index: usize },
    /// Nothing can be typed here (past the last positional argument).
    Nothing,
}

/// The words typed, understood against the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The subcommands typed, from the plugin's own command down.
    pub path: Vec<String>,
    pub target: Target,
    /// The word being completed, without a `--flag=` before it.
    pub word: String,
    /// What each value must start with: `--flag=` when flag and value are
    /// typed as one word.
    pub prefix: String,
    /// The flags typed before (clap id, value if it takes one).
    pub given: Vec<(String, Option<String>)>,
}

impl Request {
    /// Whether the flag `id` was typed.
    pub fn has(&self, id: &str) -> bool {
        self.given.iter().any(|(g, _)| g == id)
    }

    /// The last value typed for the flag `id`.
    pub fn value_of(&self, id: &str) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(g, _)| g == id)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// The values of one answer, and cobra's directive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// Each `VALUE` or `VALUE\tDESCRIPTION`.
    pub values: Vec<String>,
    pub directive: u32,
}

impl Answer {
    pub fn new(values: Vec<String>, directive: u32) -> Self {
        Answer { values, directive }
    }

    /// No values: the shell completes file names.
    pub fn files() -> Self {
        Answer::new(Vec::new(), directive::DEFAULT)
    }

    /// No values and no file names.
    pub fn none() -> Self {
        Answer::new(Vec::new(), directive::NO_FILE_COMP)
    }

    /// The lines `plugin.complete` prints: one per value (values holding a
    /// line break are left out), at most [`MAX_VALUES`], then the directive.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for v in self
            .values
            .iter()
            .filter(|v| !v.is_empty() && !v.contains(['\n', '\r']))
            .take(MAX_VALUES)
        {
            out.push_str(v);
            out.push('\n');
        }
        let _ = writeln!(out, ":{}", self.directive);
        out
    }
}

fn takes_value(a: &Arg) -> bool {
    a.get_action().takes_values()
}

fn find_long<'c>(cmd: &'c Command, name: &str) -> Option<&'c Arg> {
    cmd.get_arguments().find(|a| {
        !a.is_positional()
            && a.get_long_and_visible_aliases()
                .is_some_and(|l| l.contains(&name))
    })
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| {
        !a.is_positional()
            && a.get_short_and_visible_aliases()
                .is_some_and(|s| s.contains(&c))
    })
}

fn find_subcommand<'c>(cmd: &'c Command, name: &str) -> Option<&'c Command> {
    cmd.get_subcommands()
        .find(|s| s.get_name() == name || s.get_all_aliases().any(|a| a == name))
}

/// The positional argument the `index`-th positional word fills.
fn positional_at(cmd: &Command, index: usize) -> Option<&Arg> {
    let mut positionals: Vec<&Arg> = cmd.get_positionals().collect();
    positionals.sort_by_key(|a| a.get_index().unwrap_or(usize::MAX));
    let mut before = 0usize;
    for a in positionals {
        let max = a.get_num_args().map_or(1, |r| r.max_values());
        if index < before.saturating_add(max) {
            return Some(a);
        }
        before = before.saturating_add(max);
    }
    None
}

/// Works out from `words` (those after `helm <plugin>`, the word being
/// completed last) which command they are in and what is completed.
pub fn request(root: &Command, words: &[String]) -> Request {
    let mut root = root.clone();
    root.build();
    let (last, before) = match words.split_last() {
        Some((l, b)) => (l.clone(), b),
        None => (String::new(), &[][..]),
    };
    let mut cmd = &root;
    let mut path = Vec::new();
    let mut given = Vec::new();
    let mut positional = 0usize;
    let mut only_positional = false;
    // The flag whose value the next word is.
    let mut pending: Option<String> = None;
    for w in before {
        if let Some(id) = pending.take() {
            given.push((id, Some(w.clone())));
            continue;
        }
        if !only_positional && w == "--" {
            only_positional = true;
        } else if !only_positional && w.starts_with("--") {
            let (name, inline) = match w[2..].split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (&w[2..], None),
            };
            if let Some(a) = find_long(cmd, name) {
                let id = a.get_id().to_string();
                if takes_value(a) && inline.is_none() {
                    pending = Some(id);
                } else {
                    given.push((id, inline));
                }
            }
        } else if !only_positional && w.starts_with('-') && w.len() > 1 {
            for (i, c) in w.char_indices().skip(1) {
                let Some(a) = find_short(cmd, c) else {
                    break;
                };
                let id = a.get_id().to_string();
                if takes_value(a) {
                    let rest = &w[i + c.len_utf8()..];
                    if rest.is_empty() {
                        pending = Some(id);
                    } else {
                        let v = rest.strip_prefix('=').unwrap_or(rest);
                        given.push((id, Some(v.to_string())));
                    }
                    break;
                }
                given.push((id, None));
            }
        } else if positional == 0 && !only_positional {
            match find_subcommand(cmd, w) {
                Some(sub) => {
                    cmd = sub;
                    path.push(sub.get_name().to_string());
                }
                None => positional += 1,
            }
        } else {
            positional += 1;
        }
    }
    let mut word = last;
    let mut prefix = String::new();
    let target = if let Some(id) = pending {
        Target::FlagValue { id }
    } else if !only_positional && word.starts_with("--") && word.contains('=') {
        let (name, value) = word[2..].split_once('=').unwrap_or_default();
        match find_long(cmd, name).filter(|a| takes_value(a)) {
            Some(a) => {
                let id = a.get_id().to_string();
                prefix = format!("--{name}=");
                word = value.to_string();
                Target::FlagValue { id }
            }
            None => Target::Nothing,
        }
    } else if !only_positional && word.starts_with('-') {
        Target::FlagName
    } else if positional == 0 && !only_positional && cmd.has_subcommands() {
        Target::Subcommand
    } else {
        match positional_at(cmd, positional) {
            Some(a) => Target::Positional {
                id: a.get_id().to_string(),
                index: positional,
            },
            None => Target::Nothing,
        }
    };
    Request {
        path,
        target,
        word,
        prefix,
        given,
    }
}

/// The answer for `words` (see [`request`]): subcommand and flag names and
/// clap's possible values from `root`; every other value from `values`,
/// whose answer's values are then kept only where they start with the word
/// typed (and carry the `--flag=` typed with it).
pub fn complete(root: &Command, words: &[String], values: &dyn Fn(&Request) -> Answer) -> Answer {
    let req = request(root, words);
    let mut built = root.clone();
    built.build();
    let mut cmd = &built;
    for p in &req.path {
        match find_subcommand(cmd, p) {
            Some(s) => cmd = s,
            None => return Answer::none(),
        }
    }
    let mut answer = match &req.target {
        Target::Nothing => return Answer::none(),
        Target::FlagName => {
            let longs = visible_flags(cmd)
                .filter_map(|a| a.get_long().map(|l| with_help(format!("--{l}"), a)));
            let shorts = visible_flags(cmd)
                .filter_map(|a| a.get_short().map(|s| with_help(format!("-{s}"), a)));
            let names = if req.word.starts_with("--") {
                longs.collect()
            } else {
                longs.chain(shorts).collect()
            };
            Answer::new(names, directive::NO_FILE_COMP)
        }
        Target::Subcommand => {
            let mut subs: Vec<String> = visible_subcommands(cmd)
                .map(|s| match s.get_about() {
                    Some(about) => format!("{}\t{}", s.get_name(), first_line(&about.to_string())),
                    None => s.get_name().to_string(),
                })
                .collect();
            let first = positional_at(cmd, 0).map(|a| a.get_id().to_string());
            match first {
                Some(id) => {
                    let more = values(&Request {
                        target: Target::Positional { id, index: 0 },
                        ..req.clone()
                    });
                    subs.extend(more.values);
                    Answer::new(subs, more.directive)
                }
                None => Answer::new(subs, directive::NO_FILE_COMP),
            }
        }
        Target::FlagValue { id } => {
            let arg = cmd.get_arguments().find(|a| a.get_id() == id.as_str());
            let possible: Vec<String> = arg
                .map(|a| a.get_possible_values())
                .unwrap_or_default()
                .iter()
                .filter(|p| !p.is_hide_set())
                .map(|p| p.get_name().to_string())
                .collect();
            if possible.is_empty() {
                values(&req)
            } else {
                Answer::new(possible, directive::NO_FILE_COMP)
            }
        }
        Target::Positional { .. } => values(&req),
    };
    if answer.directive & directive::FILTER_FILE_EXT == 0 {
        answer
            .values
            .retain(|v| v.split('\t').next().unwrap_or("").starts_with(&req.word));
    }
    if !req.prefix.is_empty() {
        for v in &mut answer.values {
            v.insert_str(0, &req.prefix);
        }
    }
    answer
}

fn with_help(name: String, a: &Arg) -> String {
    match a.get_help() {
        Some(h) => format!("{name}\t{}", first_line(&h.to_string())),
        None => name,
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{value_parser, ArgAction};

    fn cli() -> Command {
        Command::new("helm demo")
            .arg(
                Arg::new("debug")
                    .long("debug")
                    .global(true)
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("quiet")
                    .short('q')
                    .long("quiet")
                    .global(true)
                    .action(ArgAction::SetTrue),
            )
            .subcommand(
                Command::new("sign")
                    .about("Sign charts")
                    .arg(Arg::new("charts").num_args(1..).required(true))
                    .arg(Arg::new("key").long("key"))
                    .arg(
                        Arg::new("output")
                            .short('o')
                            .long("output")
                            .value_parser(["table", "json"]),
                    )
                    .arg(
                        Arg::new("n")
                            .long("n")
                            .value_parser(value_parser!(u8))
                            .hide(true),
                    ),
            )
            .subcommand(
                Command::new("copy")
                    .arg(Arg::new("src").required(true))
                    .arg(Arg::new("dst").required(true)),
            )
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn yaml_lists_subcommands_and_flags_with_shorts_paired() {
        let y = completion_yaml("demo", &cli());
        assert!(
            y.starts_with("# The subcommands and flags of helm demo"),
            "{y}"
        );
        let body: String = y
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            body,
            "name: \"demo\"\nflags:\n- \"quiet\"\n- \"help\"\n- \"debug\"\n- \"q\"\n- \"h\"\ncommands:\n\
             - name: \"sign\"\n  flags:\n  - \"output\"\n  - \"quiet\"\n  - \"help\"\n  - \"key\"\n  - \"debug\"\n  - \"o\"\n  - \"q\"\n  - \"h\"\n\
             - name: \"copy\"\n  flags:\n  - \"quiet\"\n  - \"help\"\n  - \"debug\"\n  - \"q\"\n  - \"h\"\n\
             - name: \"help\""
        );
    }

    #[test]
    fn words_are_placed() {
        let r = request(&cli(), &words(&["sign", "--key", ""]));
        assert_eq!(r.path, ["sign"]);
        assert_eq!(r.target, Target::FlagValue { id: "key".into() });
        let r = request(&cli(), &words(&["sign", "-q", "--key=a", "x.tgz", "y"]));
        assert_eq!(
            r.target,
            Target::Positional {
                id: "charts".into(),
                index: 1
            }
        );
        assert_eq!(r.value_of("key"), Some("a"));
        assert!(r.has("quiet"));
        let r = request(&cli(), &words(&["copy", "a", "b"]));
        assert_eq!(
            r.target,
            Target::Positional {
                id: "dst".into(),
                index: 1
            }
        );
        let r = request(&cli(), &words(&["copy", "a", "b", ""]));
        assert_eq!(r.target, Target::Nothing);
        let r = request(&cli(), &words(&["sign", "-oj"]));
        assert_eq!(r.target, Target::FlagName);
        let r = request(&cli(), &words(&["sign", "--", "-x"]));
        assert!(matches!(r.target, Target::Positional { .. }));
        let r = request(&cli(), &words(&[""]));
        assert_eq!(r.target, Target::Subcommand);
        let r = request(&cli(), &words(&[]));
        assert_eq!(r.target, Target::Subcommand);
    }

    #[test]
    fn names_and_possible_values_are_answered_here() {
        let none = |_: &Request| Answer::files();
        let a = complete(&cli(), &words(&["sign", "--o"]), &none);
        assert_eq!(a.values, ["--output"]);
        assert_eq!(a.directive, directive::NO_FILE_COMP);
        let a = complete(&cli(), &words(&["sign", "-o", ""]), &none);
        assert_eq!(a.values, ["table", "json"]);
        let a = complete(&cli(), &words(&["sign", "--output=j"]), &none);
        assert_eq!(a.values, ["--output=json"]);
        let a = complete(&cli(), &words(&["s"]), &none);
        assert_eq!(a.values, ["sign\tSign charts"]);
    }

    #[test]
    fn other_values_come_from_the_caller_filtered_by_the_word() {
        let keys = |r: &Request| match &r.target {
            Target::FlagValue { id } if id == "key" => {
                Answer::new(words(&["alice@example.com", "bob@example.com"]), 4)
            }
            _ => Answer::files(),
        };
        let a = complete(&cli(), &words(&["sign", "--key", "b"]), &keys);
        assert_eq!(a.values, ["bob@example.com"]);
        let a = complete(&cli(), &words(&["sign", "--key=a"]), &keys);
        assert_eq!(a.values, ["--key=alice@example.com"]);
        let a = complete(&cli(), &words(&["sign", ""]), &keys);
        assert_eq!(a, Answer::files());
    }

    #[test]
    fn rendering_drops_line_breaks_and_ends_with_the_directive() {
        let a = Answer::new(words(&["a", "b\nc", "", "d\tD"]), 4);
        assert_eq!(a.render(), "a\nd\tD\n:4\n");
        let many = Answer::new((0..MAX_VALUES + 5).map(|i| i.to_string()).collect(), 0);
        assert_eq!(many.render().lines().count(), MAX_VALUES + 1);
    }
}
