// STUB (temporary, replaced by the real emitter)
use std::io::{self, Write};
pub struct Emitter<W: Write> { out: W }
impl<W: Write> Emitter<W> {
    pub fn new(out: W) -> Self { Emitter { out } }
    pub fn begin_mapping(&mut self) -> io::Result<()> { Ok(()) }
    pub fn end_mapping(&mut self) -> io::Result<()> { Ok(()) }
    pub fn begin_sequence(&mut self) -> io::Result<()> { Ok(()) }
    pub fn end_sequence(&mut self) -> io::Result<()> { Ok(()) }
    pub fn str(&mut self, s: &str) -> io::Result<()> { writeln!(self.out, "{s}") }
    pub fn bool(&mut self, _b: bool) -> io::Result<()> { Ok(()) }
    pub fn int(&mut self, _i: i64) -> io::Result<()> { Ok(()) }
    pub fn uint(&mut self, _u: u64) -> io::Result<()> { Ok(()) }
    pub fn float(&mut self, _f: f64) -> io::Result<()> { Ok(()) }
    pub fn null(&mut self) -> io::Result<()> { Ok(()) }
    pub fn value(&mut self, _v: &super::Value) -> io::Result<()> { Ok(()) }
    pub fn finish(self) -> io::Result<W> { Ok(self.out) }
}
