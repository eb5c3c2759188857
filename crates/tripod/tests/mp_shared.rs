//! Shared values and shared memory across processes: `Value`, `Array`, `RawValue`,
//! `RawArray` and `shared_memory::SharedMemory`, with children started by
//! `tripod::multiprocessing::Process`.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use tripod::multiprocessing::connection::{Connection, Pipe};
use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
use tripod::multiprocessing::{Array, OwnerDied, Process, RawArray, RawValue, Value};

const LONG: Duration = Duration::from_secs(20);

/// Polls `done` until it holds or a generous deadline passes.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

// ---------------------------------------------------------------------------------------
// Value and Array

fn increment(counter: Value<u64>, times: u32) {
    for _ in 0..times {
        *counter.lock().unwrap() += 1;
    }
}
tripod::task!(increment);

#[test]
fn a_counter_incremented_under_its_lock_by_several_processes_is_exact() {
    let counter = Value::new(0u64).unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Process::new(increment, (counter.clone(), 20_000))
                .start()
                .unwrap()
        })
        .collect();
    increment(counter.clone(), 20_000);
    for child in children {
        child.join().unwrap();
    }
    assert_eq!(counter.get(), 100_000);
    assert!(!counter.get_lock().locked());
}

fn fill_row(table: Array<u32>, raw: RawArray<u16>, row: usize, width: usize) {
    for col in 0..width {
        table.set(row * width + col, (row * 100 + col) as u32);
        raw.set(row * width + col, (row + col) as u16);
    }
    table.lock().unwrap()[row * width] += 1_000_000;
}
tripod::task!(fill_row);

#[test]
fn arrays_are_written_by_children() {
    let (rows, width) = (3, 5);
    let table = Array::<u32>::zeroed(rows * width).unwrap();
    let raw = RawArray::<u16>::zeroed(rows * width).unwrap();
    let children: Vec<_> = (0..rows)
        .map(|row| {
            Process::new(fill_row, (table.clone(), raw.clone(), row, width))
                .start()
                .unwrap()
        })
        .collect();
    for child in children {
        child.join().unwrap();
    }
    let expected: Vec<u32> = (0..rows * width)
        .map(|i| {
            let (row, col) = (i / width, i % width);
            (row * 100 + col) as u32 + if col == 0 { 1_000_000 } else { 0 }
        })
        .collect();
    assert_eq!(table.to_vec(), expected);
    let expected_raw: Vec<u16> = (0..rows * width)
        .map(|i| (i / width + i % width) as u16)
        .collect();
    assert_eq!(raw.to_vec(), expected_raw);
}

fn publish(flag: RawValue<u64>, data: RawArray<u64>) {
    data.copy_from_slice(&[1, 2, 3]);
    flag.set(1); // a release: the data above is visible to whoever sees the flag
}
tripod::task!(publish);

#[test]
fn a_raw_value_publishes_a_raw_array() {
    let flag = RawValue::new(0u64).unwrap();
    let data = RawArray::<u64>::zeroed(3).unwrap();
    let child = Process::new(publish, (flag.clone(), data.clone()))
        .start()
        .unwrap();
    wait_until("the child raised the flag", || flag.get() == 1);
    assert_eq!(data.to_vec(), [1, 2, 3]);
    child.join().unwrap();
}

/// Takes the lock, leaves the value half-updated, tells the parent, and waits to be
/// killed.
fn die_holding(value: Value<[u64; 2]>, ready: Connection) {
    let mut guard = value.lock().unwrap();
    guard[0] = 1; // the update would set both to 1
    ready.send(&()).unwrap();
    // Waiting to be killed while holding the lock.
    std::thread::sleep(Duration::from_secs(60));
    guard[1] = 1;
}
tripod::task!(die_holding);

#[test]
fn a_lock_owner_killed_mid_update_surfaces_as_owner_died() {
    let value = Value::new([0u64; 2]).unwrap();
    let (parent_end, child_end) = Pipe(true);
    let child = Process::new(die_holding, (value.clone(), child_end))
        .start()
        .unwrap();
    parent_end.recv::<()>().unwrap();
    assert!(value.get_lock().locked());
    assert!(value.try_lock().is_err());
    child.kill().unwrap();
    assert_eq!(child.join().unwrap_err().signal(), Some(9));

    let died = value.lock().unwrap_err();
    let mut guard = died.into_guard();
    assert_eq!(*guard, [1, 0], "the dead owner's half update is there");
    guard[1] = 1; // repair
    drop(guard);
    // Only the first acquirer is told; the lock works as before.
    assert_eq!(*value.lock().unwrap(), [1, 1]);
    assert_eq!(value.get(), [1, 1]);
}

#[test]
fn get_and_set_carry_on_after_an_owner_died() {
    let value = Value::new(5i32).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| std::mem::forget(value.lock().unwrap()));
    });
    assert_eq!(value.get(), 5);
    value.set(6);
    assert_eq!(*value.lock().unwrap_or_else(OwnerDied::into_guard), 6);
}

#[test]
fn values_and_arrays_are_send_sync_clone_debug() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug>() {}
    check::<Value<u64>>();
    check::<Array<f64>>();
    check::<RawValue<[u8; 3]>>();
    check::<RawArray<i16>>();
    check::<SharedMemory>();
    let v = Value::new(1u8).unwrap();
    assert!(format!("{v:?}").contains("u8"));
    assert_eq!(format!("{:?}", RawValue::new(3u8).unwrap()), "RawValue(3)");
}

// ---------------------------------------------------------------------------------------
// SharedMemory

/// Attaches by name, checks what the parent wrote, writes its answer after it.
fn answer_by_name(name: String) -> Result<(), String> {
    let shm = SharedMemory::attach(&name).map_err(|e| e.to_string())?;
    let mut question = [0u8; 5];
    shm.read(0, &mut question).unwrap();
    assert_eq!(&question, b"ping?");
    shm.write(5, b"pong!").unwrap();
    Ok(())
}
tripod::task!(answer_by_name);

fn answer_by_handle(shm: SharedMemory) -> usize {
    let mut question = [0u8; 5];
    shm.read(0, &mut question).unwrap();
    assert_eq!(&question, b"ping?");
    shm.write(10, b"by handle").unwrap();
    shm.size()
}
tripod::task!(answer_by_handle);

#[test]
fn shared_memory_by_name_and_by_handle_is_written_both_ways() {
    let shm = SharedMemory::create(100).unwrap();
    shm.write(0, b"ping?").unwrap();
    Process::new(answer_by_name, (shm.name().to_owned(),))
        .start()
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    let size = Process::new(answer_by_handle, (shm.clone(),))
        .start()
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(size, 100);
    let mut back = [0u8; 19];
    shm.read(0, &mut back).unwrap();
    assert_eq!(&back, b"ping?pong!by handle");
    shm.unlink().unwrap();
}

fn attach_kind(name: String) -> Option<String> {
    SharedMemory::attach(&name)
        .err()
        .map(|e| format!("{:?}: {e}", e.kind()))
}
tripod::task!(attach_kind);

fn read_all(shm: SharedMemory) -> Vec<u8> {
    shm.to_vec()
}
tripod::task!(read_all);

#[test]
fn after_unlink_the_name_fails_while_handles_still_read() {
    let shm = SharedMemory::create(8).unwrap();
    shm.write(0, b"survives").unwrap();
    let attached = SharedMemory::attach(shm.name()).unwrap();
    shm.unlink().unwrap();
    let err = Process::new(attach_kind, (shm.name().to_owned(),))
        .start()
        .unwrap()
        .join()
        .unwrap()
        .expect("attach after unlink fails");
    assert!(err.starts_with("Unlinked:"), "{err}");
    assert!(err.contains("was unlinked"), "{err}");
    // Existing users, here and in a child that gets the handle, still read it.
    assert_eq!(attached.to_vec(), b"survives");
    let child = Process::new(read_all, (attached.clone(),)).start().unwrap();
    assert_eq!(child.join().unwrap(), b"survives");
    assert_eq!(
        shm.unlink().unwrap_err().kind(),
        SharedMemoryErrorKind::Unlinked
    );
}

fn create_and_return_name() -> String {
    let shm = SharedMemory::create(16).unwrap();
    shm.name().to_owned()
}
tripod::task!(create_and_return_name);

#[test]
fn a_name_does_not_outlive_its_creator() {
    let name = Process::new(create_and_return_name, ())
        .start()
        .unwrap()
        .join()
        .unwrap();
    let err = SharedMemory::attach(&name).unwrap_err();
    assert_eq!(err.kind(), SharedMemoryErrorKind::NotFound);
    assert!(err.to_string().contains("exited or unlinked"), "{err}");
}

#[test]
fn bad_input_gives_typed_errors() {
    use SharedMemoryErrorKind::*;
    assert_eq!(SharedMemory::create(0).unwrap_err().kind(), InvalidSize);
    assert_eq!(
        SharedMemory::create(usize::MAX).unwrap_err().kind(),
        InvalidSize
    );
    for name in ["", "psm_1234", "tripod_1_2", "tripod_1_2_zzzzzzzzzzzzzzzz"] {
        assert_eq!(
            SharedMemory::attach(name).unwrap_err().kind(),
            NotFound,
            "{name}"
        );
    }
    // A well-formed name whose nonce does not match the descriptor it points at.
    let shm = SharedMemory::create(10).unwrap();
    let mut parts: Vec<&str> = shm.name().split('_').collect();
    let wrong = format!("{:016x}", u64::from_str_radix(parts[3], 16).unwrap() ^ 1);
    parts[3] = &wrong;
    assert_eq!(
        SharedMemory::attach(&parts.join("_")).unwrap_err().kind(),
        NotFound
    );
    // A descriptor that is not shared memory at all (stdin of this process).
    let stdin = format!("tripod_{}_0_{}", std::process::id(), parts[3]);
    assert_eq!(SharedMemory::attach(&stdin).unwrap_err().kind(), NotFound);

    let mut buf = [0u8; 4];
    assert_eq!(shm.read(7, &mut buf).unwrap_err().kind(), OutOfRange);
    assert_eq!(
        shm.read(usize::MAX, &mut buf).unwrap_err().kind(),
        OutOfRange
    );
    assert_eq!(shm.write(10, b"x").unwrap_err().kind(), OutOfRange);
    shm.read(6, &mut buf).unwrap();
    shm.write(10, b"").unwrap();
    shm.unlink().unwrap();

    let raw = RawArray::new(&[1u8]).unwrap();
    assert_eq!(raw.get(1), None);
    assert!(std::panic::catch_unwind(|| raw.set(1, 0)).is_err());
}

/// Touches every page of a large block, reports its name, and waits to be killed.
fn hold_large(report: Connection, attach_to: Option<String>) {
    let shm = match attach_to {
        Some(name) => SharedMemory::attach(&name).unwrap(),
        None => SharedMemory::create(LARGE).unwrap(),
    };
    let page = vec![0xA5u8; 4096];
    for offset in (0..LARGE).step_by(page.len()) {
        shm.write(offset, &page).unwrap();
    }
    report.send(&shm.name().to_owned()).unwrap();
    // Waiting to be killed while holding the memory.
    std::thread::sleep(Duration::from_secs(60));
}
tripod::task!(hold_large);

const LARGE: usize = 32 << 20;

/// Whether any process's descriptors or mappings still refer to the memfd `label`.
fn anyone_holds(label: &str) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in procs.flatten() {
        let dir = entry.path();
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        if let Ok(fds) = std::fs::read_dir(dir.join("fd")) {
            for fd in fds.flatten() {
                if std::fs::read_link(fd.path())
                    .is_ok_and(|link| link.to_string_lossy().contains(label))
                {
                    return true;
                }
            }
        }
        if std::fs::read_to_string(dir.join("maps")).is_ok_and(|maps| maps.contains(label)) {
            return true;
        }
    }
    false
}

fn shmem_kib() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("Shmem:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn shared_memory_is_freed_after_every_user_crashed() {
    let (from_creator, creator_end) = Pipe(true);
    let creator = Process::new(hold_large, (creator_end, None))
        .start()
        .unwrap();
    let name: String = from_creator.recv().unwrap();
    let (from_user, user_end) = Pipe(true);
    let user = Process::new(hold_large, (user_end, Some(name.clone())))
        .start()
        .unwrap();
    assert_eq!(from_user.recv::<String>().unwrap(), name);
    // The memfd's label carries the name's nonce: `memfd:tripod-shm-NONCE`.
    let nonce = name.rsplit('_').next().unwrap();
    let label = format!("memfd:tripod-shm-{nonce}");
    assert!(anyone_holds(&label));
    let before = shmem_kib();

    creator.kill().unwrap();
    user.kill().unwrap();
    assert!(creator.join().is_err() && user.join().is_err());
    // Nothing in this process ever held it; once no process refers to the memfd the
    // kernel has freed it (a killed process's files and mappings go before it is reaped,
    // so this holds at once; the loop only guards against a slow /proc).
    wait_until("no process holds the shared memory", || {
        !anyone_holds(&label)
    });
    assert_eq!(
        SharedMemory::attach(&name).unwrap_err().kind(),
        SharedMemoryErrorKind::NotFound
    );
    // For the record (other processes on the machine move this figure too).
    eprintln!(
        "Shmem: {before} kB with the block, {} kB after both holders were killed",
        shmem_kib()
    );
}
