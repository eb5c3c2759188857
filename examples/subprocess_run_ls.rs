//! Seed 002, recipe 12-7 "Spawning a subprocess", ported to `tripod::subprocess`.
//!
//! ```python
//! import subprocess
//! results = subprocess.run(['ls', '-l'], stdout=subprocess.PIPE)
//! print(results.stdout)
//! ```
//!
//! Runs `ls -l` with its stdout captured, prints the output and the exit code that the
//! returned `CompletedProcess` carries.

use tripod::subprocess::{self, Stdio};

fn main() -> Result<(), subprocess::Error> {
    let results = subprocess::run(["ls", "-l"]).stdout(Stdio::Piped).call()?;
    println!("{}", results.stdout_str());
    println!("args: {:?}", results.args);
    println!("returncode: {}", results.returncode);
    Ok(())
}
