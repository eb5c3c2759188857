//! Seed 000 "process communication", first part, ported to `tripod::subprocess`.
//!
//! ```python
//! import subprocess
//! print('$ nslookup www.python.org')
//! r = subprocess.call(['nslookup', 'www.python.org'])
//! print('Exit code:', r)
//! ```
//!
//! There is no outside network here (and often no `nslookup`), so this calls a local
//! program instead, `uname -a`: like the seed, the child writes straight to our terminal
//! (its streams are inherited) and `call` returns its exit code. A missing program is a
//! typed error naming it, shown at the end.

use tripod::subprocess::{self, Error};

fn main() -> Result<(), Error> {
    println!("$ uname -a");
    let r = subprocess::call(["uname", "-a"])?;
    println!("Exit code: {r}");

    println!("$ nslookup www.python.org");
    match subprocess::call(["nslookup", "www.python.org"]) {
        Ok(code) => println!("Exit code: {code} (offline: the lookup itself fails)"),
        Err(Error::Spawn(e)) => println!("not run: {e}"),
        Err(other) => return Err(other),
    }
    Ok(())
}
