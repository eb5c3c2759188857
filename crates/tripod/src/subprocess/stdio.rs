//! [`Stdio`]: where a child's standard streams go.

use std::fs::File;

/// Where a child's stdin, stdout or stderr goes (Python's `PIPE`, `DEVNULL`, `STDOUT`, a
/// file, or `None` for inherit).
///
/// ```
/// use tripod::subprocess::{Popen, Stdio};
///
/// let mut p = Popen::new(["sh", "-c", "echo out; echo err >&2"])
///     .stdout(Stdio::Piped)
///     .stderr(Stdio::Stdout) // 2>&1
///     .spawn()
///     .unwrap();
/// let (out, err) = p.communicate(b"", None).unwrap();
/// assert_eq!(out, b"out\nerr\n");
/// assert!(err.is_empty());
/// ```
#[derive(Debug, Default)]
pub enum Stdio {
    /// The child shares the parent's stream (Python's default, `None`).
    #[default]
    Inherit,
    /// A new pipe to the parent: [`Popen::stdin`](super::Popen::stdin) and friends, or
    /// captured by [`communicate`](super::Popen::communicate) (Python's `PIPE`).
    Piped,
    /// `/dev/null` (Python's `DEVNULL`).
    Null,
    /// For stderr only: the same place as stdout, `2>&1` (Python's `STDOUT`). Given for
    /// stdin or stdout, [`spawn`](super::PopenBuilder::spawn) fails with
    /// [`io::ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput).
    Stdout,
    /// An open file (Python's file object or descriptor).
    File(File),
}

impl From<File> for Stdio {
    fn from(file: File) -> Self {
        Stdio::File(file)
    }
}
