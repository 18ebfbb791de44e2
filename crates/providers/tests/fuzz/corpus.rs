//! The fuzz corpus: every parser has a folder under `tests/fuzz-corpus/`;
//! an input that makes a parser panic is saved there and the test fails;
//! every file there is replayed by `every_saved_input_replays_without_a_panic`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub fn folder(parser: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus").join(parser)
}

/// Runs `parse` on `input`; on a panic, saves the input and returns an error
/// naming the saved file.
pub fn run(parser: &str, input: &[u8], parse: impl FnOnce(&[u8])) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| parse(input))) {
        Ok(()) => Ok(()),
        Err(_) => {
            let dir = folder(parser);
            let name = format!("crash-{}.bin", &hex::encode(Sha256::digest(input))[..16]);
            let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(&name), input));
            Err(format!("{parser} panicked; input saved as tests/fuzz-corpus/{parser}/{name} ({saved:?})"))
        }
    }
}

/// Every file of a parser's folder (none when the folder does not exist).
pub fn saved_inputs(parser: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(folder(parser)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|entry| entry.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().map(|path| (path.clone(), std::fs::read(&path).expect("corpus file is readable"))).collect()
}

/// Splits `input` into `n` fields at its first `n - 1` newlines (the last
/// field keeps the rest, newlines included); missing fields are empty.
pub fn fields(input: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut rest = input;
    for _ in 1..n {
        match rest.iter().position(|&b| b == b'\n') {
            Some(at) => {
                out.push(&rest[..at]);
                rest = &rest[at + 1..];
            }
            None => {
                out.push(rest);
                rest = &[];
            }
        }
    }
    out.push(rest);
    out
}
