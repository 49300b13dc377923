//! "Did you mean": a mistyped subcommand where a plugin also takes paths
//! (`helm ocipush migrat`) would otherwise read as a missing file.

/// The candidate within two edits of `word` (cobra's default distance),
/// if any; `word` must look like a command, not a path.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if word.is_empty() || word.contains(['/', '.']) {
        return None;
    }
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2 || c.starts_with(word))
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested_paths_are_not() {
        assert_eq!(did_you_mean("migrat", &["migrate"]), Some("migrate"));
        assert_eq!(did_you_mean("mirgate", &["migrate"]), Some("migrate"));
        assert_eq!(did_you_mean("mig", &["migrate"]), Some("migrate"));
        assert_eq!(did_you_mean("charts", &["migrate"]), None);
        assert_eq!(did_you_mean("migrat.tgz", &["migrate"]), None);
        assert_eq!(did_you_mean("./migrat", &["migrate"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
