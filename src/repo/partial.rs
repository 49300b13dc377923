//! The entries of a large previous index that a few archives need, without
//! parsing the whole file.
//!
//! `helm idx build DIR` reads `DIR/index.yaml` only to reuse the entries of
//! archives whose digest it already holds. When the folder has a few
//! archives and the index is large (a repository built with `--merge`),
//! parsing it all costs more than everything else the build does. Here the
//! entries are found by their `digest:` line and only those are parsed, as
//! the items of a small index of their own. It works on the block form
//! Helm and this pack write (items at two spaces, fields at four); on
//! anything else, or when a parsed entry does not carry the digest it was
//! found by, it answers `None` and the caller parses the whole file, so the
//! result is never other than a full parse would give.

use std::collections::HashSet;

use super::index::IndexFile;
use super::load::{load_index, Strictness};

const DIGEST_LINE: &[u8] = b"\n    digest: ";
const ITEM_START: &[u8] = b"\n  - ";

/// The entries of the index `data` whose digest is one of `digests`, as an
/// index of their own; `None` when that cannot be told without a full parse.
pub fn entries_with_digests(data: &[u8], digests: &[String]) -> Option<IndexFile> {
    let wanted: HashSet<&[u8]> = digests.iter().map(|d| d.as_bytes()).collect();
    if wanted.is_empty() || !data.starts_with(b"apiVersion: ") || data.contains(&b'\r') {
        return None;
    }
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut found: HashSet<&[u8]> = HashSet::new();
    let mut at = 0;
    while let Some(i) = find(&data[at..], DIGEST_LINE) {
        let start = at + i + DIGEST_LINE.len();
        let end = start + data[start..].iter().position(|b| *b == b'\n')?;
        at = end;
        let value = &data[start..end];
        if !wanted.contains(value) {
            continue;
        }
        let item = item_around(data, start)?;
        if items.last() != Some(&item) {
            items.push(item);
        }
        found.insert(value);
    }
    if found.is_empty() {
        return Some(IndexFile::new(String::new()));
    }
    let mut text = String::from("apiVersion: v1\nentries:\n  reused:\n");
    for (s, e) in &items {
        text.push_str(std::str::from_utf8(&data[*s..*e]).ok()?);
    }
    let loaded = load_index(text.as_bytes(), "", Strictness::Lenient).ok()?;
    let index = loaded.index;
    // Every entry parsed must be one that was looked for, and each digest
    // found must be in one: otherwise the cut was not where it seemed.
    let parsed: HashSet<&str> = index
        .entries
        .values()
        .flatten()
        .map(|cv| cv.digest.as_str())
        .collect();
    let all_wanted = parsed.iter().all(|d| wanted.contains(d.as_bytes()));
    let all_found = found
        .iter()
        .all(|d| std::str::from_utf8(d).is_ok_and(|d| parsed.contains(d)));
    let count: usize = index.entries.values().map(Vec::len).sum();
    (all_wanted && all_found && count == items.len()).then_some(index)
}

/// The list item (`  - ` to the line before the next item, chart key or
/// top-level key) holding position `pos`, every line of it indented.
fn item_around(data: &[u8], pos: usize) -> Option<(usize, usize)> {
    let before = &data[..pos];
    let start = rfind(before, ITEM_START)? + 1;
    let mut end = pos;
    loop {
        let next = end + data[end..].iter().position(|b| *b == b'\n')? + 1;
        end = next;
        let line = &data[next..];
        // A field (four spaces), or a nested line deeper still, goes on.
        if line.starts_with(b"    ") {
            continue;
        }
        break;
    }
    let item = &data[start..end];
    // The item's other lines are all fields or deeper: only its first line
    // is at two spaces.
    let ok = item
        .split(|b| *b == b'\n')
        .skip(1)
        .all(|l| l.is_empty() || l.starts_with(b"    "));
    ok.then_some((start, end))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "apiVersion: v1\nentries:\n  a:\n  - apiVersion: v2\n    created: \"2024-01-01T00:00:00Z\"\n    description: |-\n      one\n      two\n    digest: aaa\n    name: a\n    urls:\n    - a-1.0.0.tgz\n    version: 1.0.0\n  - apiVersion: v2\n    digest: bbb\n    name: a\n    version: 2.0.0\n  b:\n  - apiVersion: v2\n    digest: ccc\n    name: b\n    version: 1.0.0\ngenerated: \"2024-01-01T00:00:00Z\"\n";

    fn digests(i: &IndexFile) -> Vec<String> {
        let mut d: Vec<String> = i
            .entries
            .values()
            .flatten()
            .map(|c| c.digest.clone())
            .collect();
        d.sort();
        d
    }

    #[test]
    fn only_the_wanted_entries_are_parsed_and_they_equal_a_full_parse() {
        let want = vec!["aaa".to_string(), "ccc".to_string(), "zzz".to_string()];
        let part = entries_with_digests(INDEX.as_bytes(), &want).unwrap();
        assert_eq!(digests(&part), ["aaa", "ccc"]);
        let full = load_index(INDEX.as_bytes(), "", Strictness::Lenient)
            .unwrap()
            .index;
        let a_full = full.entries["a"]
            .iter()
            .find(|c| c.digest == "aaa")
            .unwrap();
        let a_part = part
            .entries
            .values()
            .flatten()
            .find(|c| c.digest == "aaa")
            .unwrap();
        assert_eq!(a_part, a_full);
        assert!(entries_with_digests(INDEX.as_bytes(), &["zzz".into()])
            .unwrap()
            .entries
            .is_empty());
    }

    #[test]
    fn other_forms_fall_back_to_a_full_parse() {
        let json = r#"{"apiVersion":"v1","entries":{}}"#;
        assert!(entries_with_digests(json.as_bytes(), &["aaa".into()]).is_none());
        let crlf = INDEX.replace('\n', "\r\n");
        assert!(entries_with_digests(crlf.as_bytes(), &["aaa".into()]).is_none());
        // An item whose fields are not at four spaces.
        let odd = INDEX.replace(
            "  - apiVersion: v2\n    digest: ccc",
            "  -   apiVersion: v2\n    digest: ccc",
        );
        assert!(entries_with_digests(odd.as_bytes(), &["ccc".into()]).is_none());
        // An alias into another entry cannot be parsed alone.
        let alias = INDEX
            .replace("    name: a\n    urls", "    name: &n a\n    urls")
            .replace(
                "    digest: bbb\n    name: a",
                "    digest: bbb\n    name: *n",
            );
        assert!(entries_with_digests(alias.as_bytes(), &["bbb".into()]).is_none());
    }
}
