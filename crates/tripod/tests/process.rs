//! Child processes: tripod::multiprocessing::Process with each start method.
//!
//! The tasks live in this file and are registered with `tripod::task!`: that the children
//! find them proves the child entry runs under libtest, before its `main`.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use tripod::multiprocessing::{
    Process, ProcessErrorKind, StartMethod, current_process, getpid, getppid, parent_process,
};

const LONG: Duration = Duration::from_secs(30);

fn adder(a: i32, b: i32) -> i32 {
    a + b
}
tripod::task!(adder);

fn no_args() -> String {
    "nothing in".to_owned()
}
tripod::task!(no_args);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Point {
    x: f64,
    y: f64,
}

fn six(a: u8, b: String, c: Vec<u32>, d: Option<Point>, e: (bool, char), f: i128) -> String {
    format!("{a} {b} {c:?} {d:?} {e:?} {f}")
}
tripod::task!(six);

fn sleeper() {
    std::thread::sleep(Duration::from_secs(60));
}
tripod::task!(sleeper);

fn panicker(message: String) -> u32 {
    panic!("{message}")
}
tripod::task!(panicker);

/// A value whose decoding always fails.
#[derive(Debug)]
struct Undecodable;

impl Serialize for Undecodable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(7)
    }
}

impl<'de> Deserialize<'de> for Undecodable {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(de::Error::custom("Undecodable refuses to be decoded"))
    }
}

fn takes_undecodable(_: Undecodable) -> u8 {
    1
}
tripod::task!(takes_undecodable);

/// A byte buffer encoded as one byte string (postcard copies it in one go, where a
/// `Vec<u8>` would go through serde one element at a time).
#[derive(Debug, PartialEq)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// Checks a large buffer and answers with another of `reply_len` bytes.
fn big(data: Bytes, reply_len: usize) -> Bytes {
    let sum: u64 = data.0.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    let mut reply = vec![0u8; reply_len];
    if let Some(first) = reply.first_mut() {
        *first = (sum % 251) as u8;
    }
    if let Some(last) = reply.last_mut() {
        *last = data.0.len().to_le_bytes()[0] ^ 0x5a;
    }
    Bytes(reply)
}
tripod::task!(big);

fn who_am_i() -> (String, u32, bool, Option<(u32, String)>, u32) {
    let me = current_process();
    assert_eq!(me.pid(), getpid());
    (
        me.name().to_owned(),
        me.pid(),
        me.daemon(),
        parent_process().map(|p| (p.pid(), p.name().to_owned())),
        getppid(),
    )
}
tripod::task!(who_am_i);

/// Starts a daemon grandchild that sleeps, returns its pid, and then sleeps itself.
fn parent_of_daemon(report: std::path::PathBuf) {
    let grandchild = Process::new(sleeper, ())
        .daemon(true)
        .start()
        .expect("start the grandchild");
    std::fs::write(&report, grandchild.pid().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(60));
}
tripod::task!(parent_of_daemon);

/// Starts a non-daemon grandchild with the `Fork` method (which inherits this child's
/// control socket), reports its pid, then sleeps.
fn parent_of_forked_sleeper(report: std::path::PathBuf) {
    // SAFETY: this child has a single thread when it forks.
    let method = unsafe { StartMethod::fork() };
    let grandchild = Process::new(sleeper, ())
        .start_method(method)
        .start()
        .expect("start the grandchild");
    std::fs::write(&report, grandchild.pid().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(60));
}
tripod::task!(parent_of_forked_sleeper);

/// A result whose encoding panics (in the child, after the task returned).
#[derive(Debug)]
struct PanicsWhenEncoded;

impl Serialize for PanicsWhenEncoded {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("PanicsWhenEncoded was encoded")
    }
}

impl<'de> Deserialize<'de> for PanicsWhenEncoded {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u8::deserialize(d).map(|_| PanicsWhenEncoded)
    }
}

fn result_that_panics_when_encoded() -> PanicsWhenEncoded {
    PanicsWhenEncoded
}
tripod::task!(result_that_panics_when_encoded);

fn undecodable_result() -> Undecodable {
    Undecodable
}
tripod::task!(undecodable_result);

#[allow(dead_code)]
fn not_registered(x: u8) -> u8 {
    x
}

/// The tests of this file run one at a time. `StartMethod::Fork` copies the parent with
/// whatever locks its other threads hold at that moment (see `StartMethod::fork`): with
/// libtest running tests on parallel threads, a test thread panicking or printing while
/// another forks could leave the child waiting forever on a lock. Serialising the tests
/// leaves only threads that hold no std lock when a child is forked.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn all_methods() -> Vec<StartMethod> {
    // SAFETY: the tests run one at a time (`serial`), so when a child is forked the other
    // threads (libtest's, idle test threads, tripod's monitors) hold no std lock the child
    // could need; glibc's malloc has fork handlers for the allocator's locks.
    vec![StartMethod::Spawn, StartMethod::ForkServer, unsafe {
        StartMethod::fork()
    }]
}

#[test]
fn returns_the_value() {
    let _serial = serial();
    for method in all_methods() {
        let p = Process::new(adder, (2, 2))
            .start_method(method)
            .start()
            .unwrap();
        assert!(p.pid() > 0);
        assert_eq!(p.join().unwrap(), 4, "{method:?}");
    }
}

#[test]
fn a_child_that_returned_has_exit_code_zero_after_the_join() {
    let _serial = serial();
    for method in all_methods() {
        let p = Process::new(adder, (1, 2))
            .start_method(method)
            .start()
            .unwrap();
        assert!(p.join_timeout(Duration::from_secs(10)), "{method:?}");
        assert!(!p.is_alive(), "{method:?}");
        // For a fork server's child the status arrives after the end: asked for here.
        assert_eq!(p.exitcode(), Some(0), "{method:?}");
        assert_eq!(p.exitcode(), Some(0), "{method:?}");
        assert_eq!(p.join().unwrap(), 3, "{method:?}");
    }
}

#[test]
fn arguments_of_several_types_and_arities() {
    let _serial = serial();
    let p = Process::new(no_args, ()).start().unwrap();
    assert_eq!(p.join().unwrap(), "nothing in");
    let args = (
        7u8,
        "seven".to_owned(),
        vec![1u32, 2, 3],
        Some(Point { x: 1.5, y: -2.0 }),
        (true, 'é'),
        -(1i128 << 100),
    );
    let expected = six(
        args.0,
        args.1.clone(),
        args.2.clone(),
        args.3.clone(),
        args.4,
        args.5,
    );
    let p = Process::new(six, args).start().unwrap();
    assert_eq!(p.join().unwrap(), expected);
}

#[test]
fn sigkill_gives_minus_nine_and_join_returns() {
    let _serial = serial();
    for method in all_methods() {
        let p = Process::new(sleeper, ())
            .start_method(method)
            .start()
            .unwrap();
        assert!(p.is_alive());
        assert_eq!(p.exitcode(), None);
        p.kill().unwrap();
        assert!(p.join_timeout(LONG));
        assert_eq!(p.exitcode(), Some(-9), "{method:?}");
        let err = p.join().unwrap_err();
        assert_eq!(err.kind(), ProcessErrorKind::Died);
        assert_eq!((err.exitcode(), err.signal()), (Some(-9), Some(9)));
        assert!(err.to_string().contains("SIGKILL"), "{err}");
    }
}

#[test]
fn terminate_gives_minus_fifteen() {
    let _serial = serial();
    let p = Process::new(sleeper, ()).start().unwrap();
    p.terminate().unwrap();
    let err = p.join().unwrap_err();
    assert_eq!(err.exitcode(), Some(-15));
    assert!(err.to_string().contains("SIGTERM"), "{err}");
}

#[test]
fn a_panic_reaches_join() {
    let _serial = serial();
    for method in all_methods() {
        let p = Process::new(panicker, ("the child gave up".to_owned(),))
            .start_method(method)
            .start()
            .unwrap();
        let err = p.join().unwrap_err();
        assert_eq!(err.kind(), ProcessErrorKind::Panicked);
        assert_eq!(err.panic().unwrap().message(), "the child gave up");
        assert_eq!(err.exitcode(), Some(1));
    }
}

#[test]
fn undecodable_argument_is_a_typed_error_and_the_child_exits() {
    let _serial = serial();
    let p = Process::new(takes_undecodable, (Undecodable,))
        .start()
        .unwrap();
    let err = p.join().unwrap_err();
    assert_eq!(err.kind(), ProcessErrorKind::Decode);
    assert!(
        err.to_string()
            .contains("the child could not decode its arguments"),
        "{err}"
    );
    // postcard keeps the type but not the custom message of the failing Deserialize.
    assert!(err.to_string().contains("Undecodable"), "{err}");
    assert_eq!(err.exitcode(), Some(1));
}

#[test]
fn unregistered_task_is_a_clear_error_in_the_parent() {
    let _serial = serial();
    let err = Process::new(not_registered, (1,)).start().unwrap_err();
    assert_eq!(err.kind(), ProcessErrorKind::NotRegistered);
    let message = err.to_string();
    assert!(message.contains("not_registered"), "{message}");
    assert!(message.contains("tripod::task!"), "{message}");
}

fn large_payloads_both_ways_with(method: StartMethod) {
    const SIZE: usize = 256 << 20;
    let started = Instant::now();
    let mut data = vec![1u8; SIZE];
    data[SIZE - 1] = 3;
    let p = Process::new(big, (Bytes(data), SIZE))
        .start_method(method)
        .start()
        .unwrap();
    let reply = p.join().unwrap();
    assert_eq!(reply.0.len(), SIZE);
    assert_eq!(reply.0[0], ((SIZE / 4096) % 251) as u8);
    assert_eq!(reply.0[SIZE - 1], SIZE.to_le_bytes()[0] ^ 0x5a);
    assert!(started.elapsed() < LONG, "took {:?}", started.elapsed());
}

#[test]
fn large_payloads_both_ways() {
    let _serial = serial();
    large_payloads_both_ways_with(StartMethod::Spawn);
}

#[test]
fn large_payloads_both_ways_fork_server() {
    let _serial = serial();
    large_payloads_both_ways_with(StartMethod::ForkServer);
}

#[test]
fn large_payloads_both_ways_fork() {
    let _serial = serial();
    // SAFETY: as in `all_methods`.
    large_payloads_both_ways_with(unsafe { StartMethod::fork() });
}

#[test]
fn join_timeout_on_a_sleeping_child() {
    let _serial = serial();
    let p = Process::new(sleeper, ()).start().unwrap();
    assert!(!p.join_timeout(Duration::from_millis(50)));
    assert!(p.is_alive());
    p.kill().unwrap();
    assert!(p.join_timeout(LONG));
    assert!(!p.is_alive());
    assert!(p.join().is_err());
}

#[test]
fn name_pid_and_parent_inside_the_child() {
    let _serial = serial();
    for method in all_methods() {
        let p = Process::new(who_am_i, ())
            .name("inspector")
            .daemon(true)
            .start_method(method)
            .start()
            .unwrap();
        let pid = p.pid();
        let (name, child_pid, daemon, parent, ppid) = p.join().unwrap();
        assert_eq!(name, "inspector");
        assert_eq!(child_pid, pid);
        assert!(daemon);
        assert_eq!(parent, Some((getpid(), "MainProcess".to_owned())));
        if !matches!(method, StartMethod::ForkServer) {
            assert_eq!(ppid, getpid(), "{method:?}");
        }
    }
    assert_eq!(current_process().name(), "MainProcess");
    assert!(parent_process().is_none());
}

#[test]
fn default_names_count_up() {
    let _serial = serial();
    let a = Process::new(no_args, ()).start().unwrap();
    let b = Process::new(no_args, ()).start().unwrap();
    let number = |name: &str| {
        name.strip_prefix("Process-")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(number(b.name()) > number(a.name()));
    a.join().unwrap();
    b.join().unwrap();
}

/// Whether process `pid` is gone (or a zombie, which nothing here can reap: its parent
/// was killed and it was handed to init).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn daemon_children_die_when_their_parent_is_killed() {
    let _serial = serial();
    for method in [StartMethod::Spawn, StartMethod::ForkServer] {
        let report = std::env::temp_dir().join(format!(
            "tripod-daemon-{}-{}",
            getpid(),
            matches!(method, StartMethod::Spawn)
        ));
        let _ = std::fs::remove_file(&report);
        tripod::multiprocessing::set_start_method(StartMethod::Spawn);
        let child = Process::new(parent_of_daemon, (report.clone(),))
            .start_method(method)
            .start()
            .unwrap();
        let mut grandchild = None;
        wait_until("the grandchild reports its pid", || {
            grandchild = std::fs::read_to_string(&report)
                .ok()
                .and_then(|s| s.parse::<u32>().ok());
            grandchild.is_some()
        });
        let grandchild = grandchild.unwrap();
        assert!(!gone(grandchild));
        child.kill().unwrap();
        assert_eq!(child.join().unwrap_err().exitcode(), Some(-9));
        wait_until("the daemon grandchild is gone", || gone(grandchild));
        let _ = std::fs::remove_file(&report);
    }
}

#[test]
fn no_zombie_after_dropping_a_handle() {
    let _serial = serial();
    for method in all_methods() {
        let p = Process::new(adder, (1, 1))
            .start_method(method)
            .start()
            .unwrap();
        let pid = p.pid();
        drop(p);
        wait_until("the dropped child is reaped", || {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        });
    }
}

#[test]
fn close_refuses_a_running_child() {
    let _serial = serial();
    let p = Process::new(sleeper, ()).start().unwrap();
    p.kill().unwrap();
    // Killed but maybe not yet reaped: close succeeds only once it has been.
    assert!(p.join_timeout(LONG));
    p.close().unwrap();
    let p = Process::new(sleeper, ()).start().unwrap();
    let pid = p.pid();
    let err = p.close().unwrap_err();
    assert_eq!(err.kind(), ProcessErrorKind::StillRunning);
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    wait_until("the closed child is reaped", || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    });
}

/// Reads a pid that a child writes into `report`.
fn reported_pid(report: &std::path::Path) -> u32 {
    let mut pid = None;
    wait_until("the child reports a pid", || {
        pid = std::fs::read_to_string(report)
            .ok()
            .and_then(|s| s.parse::<u32>().ok());
        pid.is_some()
    });
    pid.unwrap()
}

fn kill_by_pidfd(pidfd: &std::os::fd::OwnedFd) {
    let _ = rustix::process::pidfd_send_signal(pidfd, rustix::process::Signal::KILL);
}

#[test]
fn join_returns_when_a_killed_childs_socket_lives_on_in_a_grandchild() {
    let _serial = serial();
    let report = std::env::temp_dir().join(format!("tripod-leak-{}", getpid()));
    let _ = std::fs::remove_file(&report);
    let child = Process::new(parent_of_forked_sleeper, (report.clone(),))
        .start()
        .unwrap();
    let grandchild = reported_pid(&report);
    let _ = std::fs::remove_file(&report);
    let grandchild = rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(grandchild as i32).unwrap(),
        rustix::process::PidfdFlags::empty(),
    )
    .unwrap();
    child.kill().unwrap();
    // The forked grandchild holds a copy of the child's end of the control socket: the
    // parent sees no end of stream, but the child is dead all the same.
    let joined = child.join_timeout(Duration::from_secs(5));
    kill_by_pidfd(&grandchild);
    assert!(joined, "join waited for the grandchild");
    assert_eq!(child.join().unwrap_err().exitcode(), Some(-9));
}

/// Kills this process's fork server while two of its children run, then checks that
/// joining one and starting another child neither hang (run in a child of the test, so
/// that the fork server killed is not the one the other tests share).
fn fork_server_death_scenario() {
    let method = StartMethod::ForkServer;
    let probe = Process::new(who_am_i, ())
        .start_method(method)
        .start()
        .unwrap();
    let server = probe.join().unwrap().4;
    let a = Process::new(sleeper, ())
        .start_method(method)
        .start()
        .unwrap();
    let b = Process::new(sleeper, ())
        .start_method(method)
        .start()
        .unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(server as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    a.kill().unwrap();
    // `b` still holds a copy of the server's end of its control socket, so the server's
    // death does not show as the end of that stream.
    assert!(a.join_timeout(Duration::from_secs(5)), "join of a hung");
    // Only the dead server could have reaped `a`: its status is unknown, not invented.
    assert!(!a.is_alive());
    assert_eq!(a.exitcode(), None);
    let err = a.join().unwrap_err();
    assert_eq!((err.kind(), err.exitcode()), (ProcessErrorKind::Died, None));
    assert!(err.to_string().contains("unknown"), "{err}");
    // A new server is started for the next child.
    let c = Process::new(adder, (1, 2))
        .start_method(method)
        .start()
        .unwrap();
    assert!(c.join_timeout(Duration::from_secs(5)), "join of c hung");
    assert_eq!(c.join().unwrap(), 3);
    b.kill().unwrap();
    assert!(b.join_timeout(LONG), "join of b hung");
    // The killed server was reaped: no zombie left among this process's children.
    wait_until("the killed fork server is reaped", || gone_entirely(server));
}
tripod::task!(fork_server_death_scenario);

fn gone_entirely(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn a_killed_fork_server_does_not_hang_joins_or_starts() {
    let _serial = serial();
    let p = Process::new(fork_server_death_scenario, ())
        .start()
        .unwrap();
    let finished = p.join_timeout(LONG);
    if !finished {
        p.kill().unwrap();
    }
    assert!(finished, "the scenario hung");
    p.join().unwrap();
}

/// The children of `pid` (from `/proc/*/stat`).
fn children_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // After the command's closing parenthesis: state, then the parent's pid.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        if after.split(' ').nth(1) == Some(pid.to_string().as_str()) {
            found.push(child);
        }
    }
    found
}

/// Kills the spare child that the fork server keeps forked ahead, then starts a child:
/// the server notices, forks one at once, and reaps the dead spare (run in a child of the
/// test, whose fork server is its own).
fn killed_spare_scenario() {
    let method = StartMethod::ForkServer;
    let (_, probe, _, _, server) = Process::new(who_am_i, ())
        .start_method(method)
        .start()
        .unwrap()
        .join()
        .unwrap();
    // The probe had exited when its join returned; the server reaps it a moment later, and
    // the next spare may still be forking.
    wait_until("the server reaped the probe", || gone_entirely(probe));
    wait_until("the server has a spare", || children_of(server).len() == 1);
    let spare = children_of(server)[0];
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(spare as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    wait_until("the spare is dead", || {
        std::fs::read_to_string(format!("/proc/{spare}/stat"))
            .map_or(true, |stat| stat.contains(") Z "))
    });
    let p = Process::new(adder, (1, 2))
        .start_method(method)
        .start()
        .unwrap();
    assert_ne!(p.pid(), spare);
    assert_eq!(p.join().unwrap(), 3);
    assert!(gone_entirely(spare), "the killed spare was not reaped");
}
tripod::task!(killed_spare_scenario);

#[test]
fn a_killed_spare_of_the_fork_server_is_replaced() {
    let _serial = serial();
    let p = Process::new(killed_spare_scenario, ()).start().unwrap();
    let finished = p.join_timeout(LONG);
    if !finished {
        p.kill().unwrap();
    }
    assert!(finished, "the scenario hung");
    p.join().unwrap();
}

#[test]
fn an_undecodable_result_is_a_decode_error_in_the_parent() {
    let _serial = serial();
    for method in all_methods() {
        let err = Process::new(undecodable_result, ())
            .start_method(method)
            .start()
            .unwrap()
            .join()
            .unwrap_err();
        assert_eq!(err.kind(), ProcessErrorKind::Decode, "{method:?}");
        assert!(err.to_string().contains("result"), "{err}");
        assert_eq!(err.exitcode(), Some(0));
    }
}

#[test]
fn a_panic_while_encoding_the_result_is_a_panic_error() {
    let _serial = serial();
    for method in all_methods() {
        let err = Process::new(result_that_panics_when_encoded, ())
            .start_method(method)
            .start()
            .unwrap()
            .join()
            .unwrap_err();
        assert_eq!(err.kind(), ProcessErrorKind::Panicked, "{method:?}: {err}");
        assert_eq!(
            err.panic().unwrap().message(),
            "PanicsWhenEncoded was encoded"
        );
        assert_eq!(err.exitcode(), Some(1));
    }
    // The fork server still serves (a forked child must never return into its loop).
    let p = Process::new(adder, (2, 3))
        .start_method(StartMethod::ForkServer)
        .start()
        .unwrap();
    assert_eq!(p.join().unwrap(), 5);
}
