// STUB (temporary, replaced by the real loader)
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    pub strict: bool,
}
#[derive(Debug, thiserror::Error)]
#[error("stub")]
pub struct Error;
pub fn load(_text: &str, _opts: LoadOptions) -> Result<super::Value, Error> {
    Err(Error)
}
