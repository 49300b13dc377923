//! The little XML that S3 and Azure answer in: listings (a sequence of
//! records of leaf elements) and error bodies. A hostile store may answer
//! anything: the input is capped before it gets here, depth is bounded, and
//! whatever does not parse is an error, not a guess.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Deeper than any listing; a bound on what a crafted answer can nest.
const MAX_DEPTH: usize = 32;

/// One listing page: the records named `record` (their leaf elements by
/// name, nested ones flattened, so `Properties/Content-Length` is
/// `Content-Length`), and the leaves outside any record.
#[derive(Debug, Default)]
pub struct Page {
    pub records: Vec<HashMap<String, String>>,
    pub top: HashMap<String, String>,
}

pub fn page(xml: &[u8], record: &str) -> Result<Page, String> {
    let mut r = Reader::from_reader(xml);
    r.config_mut().trim_text(false);
    let mut out = Page::default();
    let mut stack: Vec<String> = Vec::new();
    let mut current: Option<HashMap<String, String>> = None;
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.len() >= MAX_DEPTH {
                    return Err("nested too deeply".into());
                }
                if name == record && current.is_none() {
                    current = Some(HashMap::new());
                }
                stack.push(name);
                text.clear();
            }
            Ok(Event::End(_)) => {
                let name = stack.pop().ok_or("unbalanced element")?;
                if name == record {
                    if let Some(rec) = current.take() {
                        out.records.push(rec);
                    }
                } else {
                    let value = std::mem::take(&mut text);
                    match &mut current {
                        Some(rec) => {
                            rec.entry(name).or_insert(value);
                        }
                        None => {
                            out.top.entry(name).or_insert(value);
                        }
                    }
                }
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match &mut current {
                    Some(rec) => {
                        rec.entry(name).or_default();
                    }
                    None => {
                        out.top.entry(name).or_default();
                    }
                }
            }
            Ok(Event::Text(t)) => {
                let s = t.decode().map_err(|e| format!("not valid XML: {e}"))?;
                text.push_str(&s);
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| format!("not valid XML: {e}"))?
                {
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|e| format!("not valid XML: {e}"))?;
                    let c = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("not valid XML: unknown entity &{name};"))?;
                    text.push_str(c);
                }
            }
            Ok(Event::CData(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("not valid XML: {e}")),
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err("not valid XML: the answer ends inside an element".into());
    }
    Ok(out)
}

/// The text of the first element named `name`, if the body is XML.
pub fn first_text(xml: &[u8], name: &str) -> Option<String> {
    let p = page(xml, "\u{0}").ok()?;
    p.top.get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_top_level_leaves_are_read_and_bad_xml_is_refused() {
        let xml = br#"<?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated>
<Contents><Key>a&amp;b.tgz</Key><Size>3</Size><ETag>&quot;x&quot;</ETag></Contents>
<Contents><Key>c</Key><Size>4</Size></Contents><NextContinuationToken>t1</NextContinuationToken></ListBucketResult>"#;
        let p = page(xml, "Contents").unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.records[0]["Key"], "a&b.tgz");
        assert_eq!(p.records[0]["ETag"], "\"x\"");
        assert_eq!(p.top["NextContinuationToken"], "t1");
        assert!(page(b"<a><b></a>", "b").is_err());
        assert!(page(b"<a><b>", "b").is_err());
        let deep = "<a>".repeat(100);
        assert!(page(deep.as_bytes(), "b").is_err());
    }
}
