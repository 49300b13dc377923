// STUB (temporary)
pub fn natural_less(a: &str, b: &str) -> bool { a < b }
