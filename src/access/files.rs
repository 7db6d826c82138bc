//! Daily access-log files (placeholder until the file reader lands).

use crate::scan::input::InputError;
use std::path::PathBuf;

pub fn discover(_paths: &[PathBuf], _prefix: &str) -> Result<Vec<Vec<PathBuf>>, InputError> {
    Ok(Vec::new())
}

/// Placeholder until the file reader lands.
pub struct LineReader;

impl LineReader {
    pub fn new(_files: Vec<PathBuf>) -> Self {
        LineReader
    }
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, InputError> {
        Ok(None)
    }
}

/// Placeholder until the follower lands.
pub struct DailyFollower;

impl DailyFollower {
    pub fn start(_dir: &std::path::Path, _prefix: &str) -> std::io::Result<Self> {
        Ok(DailyFollower)
    }
    pub fn poll(&mut self, _out: &mut dyn FnMut(&[u8])) -> std::io::Result<()> {
        Ok(())
    }
}
