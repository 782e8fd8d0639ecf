//! The files of a published cluster trace as given on the command line: files, folders of
//! shards (read in name order), gzip (by magic number, not name) and `.tar.gz` archives (each
//! member a file), read line by line with the line counted and the bytes read on disk shown
//! to the progress bar.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

use crate::input::InputError;

/// Every file under `inputs`: folders are walked, their files sorted by path.
pub fn files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for input in inputs {
        walk(input, &mut out)?;
    }
    Ok(out)
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let meta = std::fs::metadata(path).map_err(|e| whole(path, e.to_string()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| whole(path, e.to_string()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| whole(path, e.to_string()))?;
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden {
            walk(&entry, out)?;
        }
    }
    Ok(())
}

pub fn whole(path: &Path, message: String) -> InputError {
    InputError {
        file: path.to_path_buf(),
        line: None,
        field: None,
        message,
    }
}

/// Bytes read from disk so far, across every file of an import.
#[derive(Clone, Default)]
pub struct Counter(Rc<Cell<u64>>);

impl Counter {
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

struct Counted<R> {
    inner: R,
    count: Counter,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.set(self.count.0.get() + n as u64);
        Ok(n)
    }
}

/// One text stream of an input: a file, or a member of an archive (which holds the table its
/// archive's name says); `path` is what errors name.
pub struct Stream<'a> {
    pub path: PathBuf,
    pub reader: Box<dyn BufRead + 'a>,
}

/// Calls `each` with every text stream of the file at `path`.
pub fn streams(
    path: &Path,
    count: &Counter,
    each: &mut dyn FnMut(Stream) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let file = File::open(path).map_err(|e| whole(path, e.to_string()))?;
    let mut raw = BufReader::with_capacity(
        1 << 20,
        Counted {
            inner: file,
            count: count.clone(),
        },
    );
    let gzip = raw
        .fill_buf()
        .map_err(|e| whole(path, e.to_string()))?
        .starts_with(&[0x1f, 0x8b]);
    let name = path.to_string_lossy().into_owned();
    let tar = name.ends_with(".tar.gz") || name.ends_with(".tgz") || name.ends_with(".tar");
    if !tar {
        let reader: Box<dyn BufRead> = match gzip {
            true => Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(raw))),
            false => Box::new(raw),
        };
        return each(Stream {
            path: path.to_path_buf(),
            reader,
        });
    }
    let inner: Box<dyn Read> = match gzip {
        true => Box::new(MultiGzDecoder::new(raw)),
        false => Box::new(raw),
    };
    let mut archive = tar::Archive::new(inner);
    let broken = |e: io::Error| whole(path, format!("cannot read the archive: {e}"));
    for entry in archive.entries().map_err(broken)? {
        let entry = entry.map_err(broken)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry.path().map_err(broken)?.to_string_lossy().into_owned();
        each(Stream {
            path: path.join(&member),
            reader: Box::new(BufReader::with_capacity(1 << 20, entry)),
        })?;
    }
    Ok(())
}

/// What is called with each line and its number.
pub type EachLine<'a> = dyn FnMut(usize, &[u8]) -> Result<(), InputError> + 'a;

/// Calls `each` with every line of `stream` (without its end of line) and its number; blank
/// lines are skipped.
pub fn lines(stream: &mut Stream, each: &mut EachLine) -> Result<(), InputError> {
    let mut buf = Vec::with_capacity(4096);
    let mut line = 0usize;
    loop {
        buf.clear();
        let n = stream
            .reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| whole(&stream.path, format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let mut text = buf.as_slice();
        while let [rest @ .., b'\n' | b'\r'] = text {
            text = rest;
        }
        if !text.is_empty() {
            each(line, text)?;
        }
    }
}
