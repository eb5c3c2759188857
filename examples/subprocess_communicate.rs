//! Seed 000 "process communication", second part, ported to `tripod::subprocess`.
//!
//! ```python
//! import subprocess
//! print('$ nslookup')
//! p = subprocess.Popen(['nslookup'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
//!                      stderr=subprocess.PIPE)
//! output, err = p.communicate(b'set q=mx\npython.org\nexit\n')
//! print('Exit code:', p.returncode)
//! print('Output:', output.decode('utf-8'))
//! print('Error:', err.decode('utf-8'))
//! ```
//!
//! `nslookup` needs the network, so a small interactive `sh` script plays it: it reads
//! commands line by line like nslookup's prompt, answers on stdout, complains on stderr,
//! and stops at `exit`. The same input goes in through `communicate`, which writes stdin
//! and reads stdout and stderr at once, then waits for the exit.

use std::time::Duration;

use tripod::subprocess::{self, Popen, Stdio};

/// A stand-in for interactive nslookup: `set q=TYPE`, then names to look up, then `exit`.
const FAKE_NSLOOKUP: &str = r#"
qtype=A
while read -r line; do
    case "$line" in
        "set q="*) qtype="${line#set q=}" ;;
        exit) exit 0 ;;
        *.*) echo "$line  $qtype record: (offline, nothing to look up)"
             echo "** server can't find $line: network unreachable" >&2 ;;
        *) echo "unknown command: $line" >&2 ;;
    esac
done
"#;

fn main() -> Result<(), subprocess::Error> {
    println!("$ nslookup   (played by sh)");
    let mut p = Popen::new(["sh", "-c", FAKE_NSLOOKUP])
        .stdin(Stdio::Piped)
        .stdout(Stdio::Piped)
        .stderr(Stdio::Piped)
        .spawn()?;
    let (output, err) = p.communicate(
        b"set q=mx\npython.org\nexit\n",
        Some(Duration::from_secs(10)),
    )?;
    println!("Exit code: {:?}", p.returncode());
    println!("Output: {}", String::from_utf8_lossy(&output));
    println!("Error: {}", String::from_utf8_lossy(&err));
    Ok(())
}
