//! Tests for `tripod::subprocess`, checking behaviours CPython's `test_subprocess.py`
//! checks: run/call/check_output, capture and input, check errors with output, timeouts
//! that kill, communicate with large data, poll/wait/kill/terminate, spawn errors, cwd
//! and env.
#![cfg(unix)]

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use tripod::subprocess::{self, Error, Popen, Stdio, signal};

const SIXTEEN_MIB: usize = 16 * 1024 * 1024;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Popen>();
    send_sync::<subprocess::CompletedProcess>();
    send_sync::<Error>();
    send_sync::<subprocess::Run>();
    send_sync::<subprocess::PopenBuilder>();
}

#[test]
fn run_true_false_and_exit_codes() {
    assert_eq!(subprocess::run(["true"]).call().unwrap().returncode, 0);
    assert_eq!(subprocess::run(["false"]).call().unwrap().returncode, 1);
    let done = subprocess::run(["sh", "-c", "exit 42"]).call().unwrap();
    assert_eq!(done.returncode, 42);
    assert!(!done.success());
    assert_eq!(done.args, ["sh", "-c", "exit 42"]);
}

#[test]
fn run_captures_stdout_and_stderr_separately() {
    let done = subprocess::run(["sh", "-c", "echo out; echo err >&2"])
        .capture_output(true)
        .call()
        .unwrap();
    assert_eq!(done.stdout, b"out\n");
    assert_eq!(done.stderr, b"err\n");
    assert_eq!(done.stdout_str(), "out\n");
    assert_eq!(done.stderr_str(), "err\n");
}

#[test]
fn output_not_captured_is_empty() {
    let done = subprocess::run(["sh", "-c", "echo to-null"])
        .stdout(Stdio::Null)
        .call()
        .unwrap();
    assert!(done.stdout.is_empty());
    assert_eq!(done.returncode, 0);
}

#[test]
fn run_echo_args_are_passed_verbatim() {
    let done = subprocess::run(["echo", "a b", "$HOME", "*"])
        .capture_output(true)
        .call()
        .unwrap();
    assert_eq!(done.stdout_str(), "a b $HOME *\n");
}

#[test]
fn input_goes_to_stdin_through_cat() {
    let done = subprocess::run(["cat"])
        .input("pear\napple\n")
        .capture_output(true)
        .call()
        .unwrap();
    assert_eq!(done.stdout, b"pear\napple\n");
    // Without input (and stdin null) cat sees end of file at once.
    let done = subprocess::run(["cat"])
        .stdin(Stdio::Null)
        .capture_output(true)
        .call()
        .unwrap();
    assert!(done.stdout.is_empty());
}

#[test]
fn stderr_merged_into_stdout_keeps_order() {
    let done = subprocess::run(["sh", "-c", "echo 1; echo 2 >&2; echo 3"])
        .stdout(Stdio::Piped)
        .stderr(Stdio::Stdout)
        .call()
        .unwrap();
    assert_eq!(done.stdout, b"1\n2\n3\n");
    assert!(done.stderr.is_empty());
}

#[test]
fn stdout_to_a_file_with_stderr_merged() {
    let path = std::env::temp_dir().join(format!("tripod-subprocess-{}.txt", std::process::id()));
    let file = File::create(&path).unwrap();
    let done = subprocess::run(["sh", "-c", "echo out; echo err >&2"])
        .stdout(file)
        .stderr(Stdio::Stdout)
        .call()
        .unwrap();
    assert_eq!(done.returncode, 0);
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(written, "out\nerr\n");
}

#[test]
fn stdio_stdout_for_stdin_or_stdout_is_refused() {
    let err = Popen::new(["true"])
        .stdout(Stdio::Stdout)
        .spawn()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = Popen::new(["true"])
        .stdin(Stdio::Stdout)
        .spawn()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn check_error_carries_returncode_and_output() {
    let err = subprocess::run(["sh", "-c", "echo partial; echo why >&2; exit 3"])
        .capture_output(true)
        .check(true)
        .call()
        .unwrap_err();
    let Error::CalledProcess(e) = err else {
        panic!("expected CalledProcess, got {err:?}")
    };
    assert_eq!(e.returncode, 3);
    assert_eq!(e.stdout, b"partial\n");
    assert_eq!(e.stderr, b"why\n");
    assert_eq!(
        e.to_string(),
        "Command '['sh', '-c', 'echo partial; echo why >&2; exit 3']' returned non-zero exit status 3."
    );
    // check(true) with success is fine.
    assert!(subprocess::run(["true"]).check(true).call().is_ok());
}

#[test]
fn check_error_for_a_signal_names_it() {
    let err = subprocess::run(["sh", "-c", "kill -9 $$"])
        .check(true)
        .call()
        .unwrap_err();
    let Error::CalledProcess(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.returncode, -9);
    assert_eq!(
        e.to_string(),
        "Command '['sh', '-c', 'kill -9 $$']' died with SIGKILL (signal 9)."
    );
}

#[test]
fn call_check_call_and_check_output() {
    assert_eq!(subprocess::call(["sh", "-c", "exit 5"]).unwrap(), 5);
    assert!(subprocess::check_call(["true"]).is_ok());
    assert!(matches!(
        subprocess::check_call(["false"]),
        Err(Error::CalledProcess(e)) if e.returncode == 1
    ));
    assert_eq!(subprocess::check_output(["echo", "hi"]).unwrap(), b"hi\n");
    let Err(Error::CalledProcess(e)) =
        subprocess::check_output(["sh", "-c", "echo so-far; exit 1"])
    else {
        panic!("expected CalledProcess")
    };
    assert_eq!(e.stdout, b"so-far\n");
}

#[test]
fn timeout_kills_the_child_fast_with_a_typed_error() {
    let start = Instant::now();
    let err = subprocess::run(["sleep", "10"])
        .timeout(ms(150))
        .call()
        .unwrap_err();
    let elapsed = start.elapsed();
    let Error::Timeout(e) = err else {
        panic!("expected Timeout, got {err:?}")
    };
    assert!(
        elapsed >= ms(150),
        "returned before the timeout: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "did not kill: {elapsed:?}"
    );
    assert_eq!(e.timeout, ms(150));
    assert_eq!(e.args, ["sleep", "10"]);
    assert_eq!(
        e.to_string(),
        "Command '['sleep', '10']' timed out after 0.15 seconds"
    );
}

#[test]
fn timeout_error_carries_the_output_so_far() {
    // The child prints, then sleeps past the timeout. run() cannot be told when the child
    // has printed, so no single timeout is sure to come after the prints on a loaded
    // machine: try growing timeouts until one does. Whatever was printed before the kill
    // is in the pipes, which the kill closes, so it is all read before the error returns:
    // each attempt's output is a prefix of the full output.
    let mut timeout = Duration::from_millis(100);
    loop {
        let err = subprocess::run([
            "sh",
            "-c",
            "echo before; echo err-before >&2; exec sleep 10",
        ])
        .capture_output(true)
        .timeout(timeout)
        .call()
        .unwrap_err();
        let Error::Timeout(e) = err else {
            panic!("{err:?}")
        };
        assert!(b"before\n".starts_with(&e.stdout), "{:?}", e.stdout);
        assert!(b"err-before\n".starts_with(&e.stderr), "{:?}", e.stderr);
        if e.stdout == b"before\n" && e.stderr == b"err-before\n" {
            break;
        }
        assert!(timeout < Duration::from_secs(5), "the shell never printed");
        timeout *= 2;
    }
}

#[test]
fn timeout_not_reached_returns_normally() {
    let done = subprocess::run(["echo", "quick"])
        .capture_output(true)
        .timeout(Duration::from_secs(10))
        .call()
        .unwrap();
    assert_eq!(done.stdout, b"quick\n");
}

#[test]
fn communicate_large_data_both_ways_does_not_deadlock() {
    // Reads all of stdin while writing 16 MiB to stdout and to stderr: with sequential
    // write-then-read this deadlocks once the pipe buffers (64 KiB) fill.
    let script = format!(
        "head -c {n} /dev/zero; head -c {n} /dev/zero >&2; wc -c >&2",
        n = SIXTEEN_MIB
    );
    let mut p = Popen::new(["sh", "-c", &script])
        .stdin(Stdio::Piped)
        .stdout(Stdio::Piped)
        .stderr(Stdio::Piped)
        .spawn()
        .unwrap();
    let input = vec![b'x'; SIXTEEN_MIB];
    let (out, err) = p
        .communicate(&input, Some(Duration::from_secs(60)))
        .unwrap();
    assert_eq!(out.len(), SIXTEEN_MIB);
    assert!(out.iter().all(|&b| b == 0));
    let (zeros, count) = err.split_at(SIXTEEN_MIB);
    assert!(zeros.iter().all(|&b| b == 0));
    assert_eq!(
        String::from_utf8_lossy(count).trim(),
        SIXTEEN_MIB.to_string()
    );
    assert_eq!(p.returncode(), Some(0));
}

#[test]
fn run_with_large_output_and_input() {
    let input = vec![b'y'; 4 * 1024 * 1024];
    let done = subprocess::run(["cat"])
        .input(input.clone())
        .capture_output(true)
        .call()
        .unwrap();
    assert_eq!(done.stdout, input);
}

#[test]
fn a_child_that_does_not_read_its_input_is_fine() {
    // Python ignores the broken pipe when the child exits without reading.
    let done = subprocess::run(["true"])
        .input(vec![b'z'; 1024 * 1024])
        .call()
        .unwrap();
    assert_eq!(done.returncode, 0);
}

#[test]
fn communicate_timeout_then_again_keeps_all_output() {
    let mut p = Popen::new(["sh", "-c", "echo first; read line; echo \"got $line\""])
        .stdin(Stdio::Piped)
        .stdout(Stdio::Piped)
        .spawn()
        .unwrap();
    // Keep our own handle on stdin so communicate does not close it: the child blocks in
    // `read` until we write, so the timeout is certain.
    let mut stdin = p.stdin.take().unwrap();
    let Err(Error::Timeout(e)) = p.communicate(b"", Some(ms(100))) else {
        panic!("expected a timeout")
    };
    assert_eq!(e.timeout, ms(100));
    assert_eq!(p.returncode(), None, "communicate's timeout does not kill");
    stdin.write_all(b"second\n").unwrap();
    drop(stdin);
    // More input after communication started is refused, as in Python.
    assert!(matches!(
        p.communicate(b"more", None),
        Err(Error::Io(e)) if e.kind() == ErrorKind::InvalidInput
    ));
    let (out, _) = p.communicate(b"", None).unwrap();
    assert_eq!(out, b"first\ngot second\n");
    assert_eq!(p.returncode(), Some(0));
}

#[test]
fn communicate_input_without_a_stdin_pipe_is_an_error() {
    let mut p = Popen::new(["true"]).stdin(Stdio::Null).spawn().unwrap();
    assert!(matches!(
        p.communicate(b"data", None),
        Err(Error::Io(e)) if e.kind() == ErrorKind::InvalidInput
    ));
    assert_eq!(p.wait().unwrap(), 0);
}

#[test]
fn popen_pipes_can_be_used_directly() {
    let mut p = Popen::new(["tr", "a-z", "A-Z"])
        .stdin(Stdio::Piped)
        .stdout(Stdio::Piped)
        .spawn()
        .unwrap();
    let mut stdin = p.stdin.take().unwrap();
    stdin.write_all(b"shout").unwrap();
    drop(stdin);
    let mut out = String::new();
    p.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert_eq!(out, "SHOUT");
    assert_eq!(p.wait().unwrap(), 0);
}

#[test]
fn poll_is_none_while_running_then_kill_gives_minus_nine() {
    let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    assert!(p.pid() > 0);
    assert_eq!(p.poll().unwrap(), None);
    assert_eq!(p.returncode(), None);
    p.kill().unwrap();
    assert_eq!(p.wait().unwrap(), -9);
    assert_eq!(p.poll().unwrap(), Some(-9));
    assert_eq!(p.returncode(), Some(-9));
    // Signalling a reaped child does nothing (its pid may belong to someone else now).
    p.terminate().unwrap();
    assert_eq!(p.returncode(), Some(-9));
}

#[test]
fn terminate_gives_minus_fifteen() {
    let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    p.terminate().unwrap();
    assert_eq!(p.wait().unwrap(), -15);
}

#[test]
fn send_signal_delivers_the_given_signal() {
    let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    p.send_signal(signal::SIGUSR1).unwrap();
    assert_eq!(p.wait().unwrap(), -signal::SIGUSR1);
    // A trapped signal lets the child decide its exit status.
    let mut p = Popen::new([
        "sh",
        "-c",
        "trap 'exit 7' TERM; echo ready; while :; do sleep 0.01; done",
    ])
    .stdout(Stdio::Piped)
    .spawn()
    .unwrap();
    let mut ready = [0u8; 6];
    p.stdout.as_mut().unwrap().read_exact(&mut ready).unwrap();
    assert_eq!(&ready, b"ready\n");
    p.terminate().unwrap();
    assert_eq!(p.wait().unwrap(), 7);
}

#[test]
fn wait_timeout_returns_none_then_the_status() {
    let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    let start = Instant::now();
    assert_eq!(p.wait_timeout(ms(100)).unwrap(), None);
    assert!(start.elapsed() >= ms(100));
    p.kill().unwrap();
    assert_eq!(p.wait_timeout(Duration::from_secs(10)).unwrap(), Some(-9));
    let mut q = Popen::new(["sh", "-c", "exit 3"]).spawn().unwrap();
    assert_eq!(
        q.wait_deadline(Instant::now() + Duration::from_secs(10))
            .unwrap(),
        Some(3)
    );
}

#[test]
fn missing_program_is_a_typed_error_naming_it() {
    let err = subprocess::run(["tripod-no-such-program"])
        .call()
        .unwrap_err();
    let Error::Spawn(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.program(), "tripod-no-such-program");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("'tripod-no-such-program'"), "{e}");
    assert!(matches!(
        subprocess::call(["/nonexistent/dir/prog"]),
        Err(Error::Spawn(e)) if e.kind() == ErrorKind::NotFound
    ));
    // Not executable.
    let err = Popen::new(["/etc/passwd"]).spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

#[test]
fn empty_argument_list_is_a_spawn_error() {
    let err = Popen::new(Vec::<String>::new()).spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn missing_cwd_is_a_spawn_error() {
    let err = subprocess::run(["true"])
        .cwd("/nonexistent/tripod/dir")
        .call()
        .unwrap_err();
    assert!(matches!(err, Error::Spawn(e) if e.kind() == ErrorKind::NotFound));
}

#[test]
fn cwd_sets_the_working_directory() {
    let dir = std::env::temp_dir().canonicalize().unwrap();
    let done = subprocess::run(["pwd", "-P"])
        .cwd(&dir)
        .capture_output(true)
        .call()
        .unwrap();
    assert_eq!(done.stdout_str().trim_end(), dir.to_str().unwrap());
}

#[test]
fn env_set_remove_and_clear() {
    let done = subprocess::run(["sh", "-c", "echo \"$FRUIT/${HOME-nohome}\""])
        .env("FRUIT", "orange")
        .env_remove("HOME")
        .capture_output(true)
        .call()
        .unwrap();
    assert_eq!(done.stdout, b"orange/nohome\n");
    let done = subprocess::run(["env"])
        .env_clear()
        .envs([("A", "1"), ("B", "2")])
        .capture_output(true)
        .call()
        .unwrap();
    let mut lines: Vec<_> = done.stdout_str().lines().map(str::to_owned).collect();
    lines.sort();
    assert_eq!(lines, ["A=1", "B=2"]);
}

#[test]
fn check_returncode_and_display() {
    let done = subprocess::run(["false"]).call().unwrap();
    assert_eq!(
        done.to_string(),
        "CompletedProcess(args=['false'], returncode=1)"
    );
    let err = done.check_returncode().unwrap_err();
    assert_eq!(err.returncode, 1);
    assert_eq!(
        err.to_string(),
        "Command '['false']' returned non-zero exit status 1."
    );
}

#[test]
fn dropping_a_running_popen_does_not_kill_it() {
    // The child outlives the handle: it writes to a file after we drop the Popen.
    let path = std::env::temp_dir().join(format!("tripod-drop-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let p = Popen::new([
        "sh",
        "-c",
        "read x; echo done > \"$1\"",
        "sh",
        path.to_str().unwrap(),
    ])
    .stdin(Stdio::Piped)
    .spawn()
    .unwrap();
    // Dropping closes its stdin: `read` returns and the child finishes on its own.
    drop(p);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&path)
        .map(|s| s != "done\n")
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "child did not finish after drop");
        std::thread::sleep(ms(5));
    }
    std::fs::remove_file(&path).unwrap();
}
