//! `multiprocessing.shared_memory`: a block created here, attached by name in a child,
//! read back (the example of Python's documentation, with the second handle in a child).
//!
//! ```python
//! from multiprocessing import shared_memory
//! shm_a = shared_memory.SharedMemory(create=True, size=10)
//! buffer = shm_a.buf
//! buffer[:4] = bytearray([22, 33, 44, 55])
//! shm_b = shared_memory.SharedMemory(shm_a.name)   # in another process
//! bytes(shm_b.buf[:5])                              # b'\x16!,7\x00'
//! shm_b.buf[4] = 99
//! bytes(shm_a.buf[:5])                              # b'\x16!,7c'
//! shm_b.close(); shm_a.close(); shm_a.unlink()
//! ```
//!
//! The memory is a memfd: if every process holding it crashed, the kernel would still
//! free it; there is no resource tracker and nothing in `/dev/shm` to leak.

use tripod::multiprocessing::Process;
use tripod::multiprocessing::shared_memory::SharedMemory;

/// Attaches by name, shows the first bytes, and writes the fifth.
fn other_process(name: String) -> Vec<u8> {
    let shm_b = SharedMemory::attach(&name).unwrap();
    let mut first = [0u8; 5];
    shm_b.read(0, &mut first).unwrap();
    shm_b.write(4, &[99]).unwrap();
    shm_b.close();
    first.to_vec()
}
tripod::task!(other_process);

fn main() {
    let shm_a = SharedMemory::create(10).unwrap();
    shm_a.write(0, &[22, 33, 44, 55]).unwrap();
    let seen = Process::new(other_process, (shm_a.name().to_owned(),))
        .start()
        .unwrap()
        .join()
        .unwrap();
    println!("{}", bytes_repr(&seen));
    let mut back = [0u8; 5];
    shm_a.read(0, &mut back).unwrap();
    println!("{}", bytes_repr(&back));
    assert_eq!(seen, [22, 33, 44, 55, 0]);
    assert_eq!(back, [22, 33, 44, 55, 99]);
    shm_a.unlink().unwrap();
    shm_a.close();
}

/// Python's `repr` of a `bytes` value.
fn bytes_repr(bytes: &[u8]) -> String {
    let body: String = bytes
        .iter()
        .map(|&b| std::ascii::escape_default(b).to_string())
        .collect();
    format!("b'{body}'")
}
