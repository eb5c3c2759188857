//! The tour: a walk through tripod, one Python module at a time (threads, then processes),
//! ending with its main act: a CPU-heavy job on a pool of processes, with a progress bar.
//!
//! `cargo run --release --example tour` runs every part and prints what each part does,
//! with the Python it replaces; the small parts take under a second together, the main
//! act a few seconds (about 7 s on 2 cores). Each part is a small function; the seed
//! examples in `examples/` show every feature at more length.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tripod::futures::{ReturnWhen, ThreadPoolExecutor, as_completed, wait};
use tripod::multiprocessing::connection::{Connection, Pipe};
use tripod::multiprocessing::{AsyncOptions, Pool, Process, cpu_count, current_process, getpid};
use tripod::queue::{Queue, TryGetError};
use tripod::sched::Scheduler;
use tripod::subprocess::{self, Error as SubprocessError};
use tripod::threading::{
    Barrier, Condition, Event, Lock, Semaphore, Thread, Timer, active_count, current_thread,
};

fn main() {
    // The tour panics on purpose to show panics arriving as values; print those panics in
    // one line, as Python's threading.excepthook would, instead of the default report.
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        println!(
            "  (a panic in {}: {})",
            thread.name().unwrap_or("a thread"),
            info.payload_as_str().unwrap_or("non-string payload")
        );
    }));
    // Python waits for non-daemon threads at exit; `tripod::main` does the same.
    tripod::main(|| {
        let start = Instant::now();
        threads();
        locks();
        gil_free();
        synchronisation();
        queues();
        executors();
        scheduling();
        subprocesses();
        processes();
        process_pool();
        println!(
            "\nThe tour took {:.2} s. Every seed scenario has an example of its own: ls examples/",
            start.elapsed().as_secs_f64()
        );
    });
}

fn heading(title: &str, python: &str) {
    println!("\n== {title}  (Python: {python})");
}

/// `threading.Thread`: names, return values, panics as values.
fn threads() {
    heading("Threads", "threading.Thread, current_thread");
    println!("running in {}", current_thread().name());
    let go = Arc::new(Event::new());
    let t = Thread::new({
        let go = Arc::clone(&go);
        move || {
            go.wait();
            println!("  {} counts to 5", current_thread().name());
            (1..=5u64).sum::<u64>()
        }
    })
    .name("LoopThread")
    .start()
    .expect("start a thread");
    println!(
        "started {} (alive: {}, active threads: {})",
        t.name(),
        t.is_alive(),
        active_count()
    );
    go.set();
    let name = t.name().to_owned();
    println!("{name} returned {} to its joiner", t.join().unwrap());
    let bad = Thread::new(|| -> u32 { panic!("a bug in the thread") })
        .start()
        .unwrap();
    let err = bad.join().unwrap_err();
    println!("a panicking thread hands its joiner a typed error: {err}");
}

/// `threading.Lock`: the seed's bank balance, kept right by a lock that owns the data.
fn locks() {
    heading("Lock", "with lock: balance = balance + n");
    let balance = Arc::new(Lock::new(0i64));
    let workers: Vec<_> = [5, 8]
        .into_iter()
        .map(|n| {
            let balance = Arc::clone(&balance);
            Thread::new(move || {
                for _ in 0..100_000 {
                    let mut b = balance.acquire();
                    *b += n;
                    *b -= n;
                }
            })
            .start()
            .unwrap()
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    println!(
        "two threads x 100000 changes under the lock: balance = {}",
        *balance.acquire()
    );
    let held = balance.acquire();
    let other = Arc::clone(&balance);
    let tried = Thread::new(move || other.try_acquire().is_some())
        .start()
        .unwrap()
        .join()
        .unwrap();
    drop(held);
    println!("acquire(blocking=False) while held elsewhere got the lock: {tried}");
}

fn count_primes(range: std::ops::Range<u64>) -> usize {
    range
        .filter(|&n| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0))
        .count()
}

/// No GIL: CPU-bound work on N threads runs N times as fast.
fn gil_free() {
    heading("No GIL", "CPU-bound threads that really run in parallel");
    const LIMIT: u64 = 1_500_000;
    let n = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let t0 = Instant::now();
    let one = count_primes(0..LIMIT);
    let single = t0.elapsed();
    let t0 = Instant::now();
    let chunk = LIMIT.div_ceil(n);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            Thread::new(move || count_primes(i * chunk..((i + 1) * chunk).min(LIMIT)))
                .start()
                .unwrap()
        })
        .collect();
    let many: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let parallel = t0.elapsed();
    assert_eq!(one, many);
    println!(
        "{one} primes below {LIMIT}: 1 thread {:.0} ms, {n} threads {:.0} ms, speedup {:.2}x",
        single.as_secs_f64() * 1e3,
        parallel.as_secs_f64() * 1e3,
        single.as_secs_f64() / parallel.as_secs_f64()
    );
}

/// Event, Condition, Semaphore, Barrier, Timer.
fn synchronisation() {
    heading(
        "Synchronisation",
        "Event, Condition, Semaphore, Barrier, Timer",
    );
    let green = Arc::new(Event::new());
    let car = {
        let green = Arc::clone(&green);
        Thread::new(move || green.wait_timeout(Duration::from_secs(10)))
            .start()
            .unwrap()
    };
    green.set();
    println!("a car waited for the green light: {}", car.join().unwrap());

    let items = Arc::new(Condition::new(Vec::new()));
    let consumer = {
        let items = Arc::clone(&items);
        Thread::new(move || {
            let mut g = items.acquire();
            g.wait_for(|v: &Vec<u32>| !v.is_empty());
            g.pop()
        })
        .start()
        .unwrap()
    };
    {
        let mut g = items.acquire();
        g.push(42);
        g.notify(1);
    }
    println!(
        "a Condition handed {:?} from producer to consumer",
        consumer.join().unwrap()
    );

    let sem = Arc::new(Semaphore::new(3));
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(9));
    let handles: Vec<_> = (0..9)
        .map(|_| {
            let (sem, inside, most, barrier) = (
                Arc::clone(&sem),
                Arc::clone(&inside),
                Arc::clone(&most),
                Arc::clone(&barrier),
            );
            Thread::new(move || {
                let arrival = barrier.wait().expect("barrier not broken");
                let _permit = sem.acquire();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::yield_now();
                inside.fetch_sub(1, Ordering::SeqCst);
                arrival
            })
            .start()
            .unwrap()
        })
        .collect();
    let mut arrivals: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    arrivals.sort_unstable();
    println!(
        "9 threads met at a Barrier (arrival indexes {arrivals:?}), then at most {} at once held a Semaphore(3)",
        most.load(Ordering::SeqCst)
    );

    let timer = Timer::new(Duration::from_millis(20), || "hello, world")
        .start()
        .unwrap();
    let cancelled = Timer::new(Duration::from_secs(3600), || "never")
        .start()
        .unwrap();
    cancelled.cancel();
    println!(
        "a Timer said {:?}; a cancelled one said {:?}",
        timer.join().unwrap(),
        cancelled.join().unwrap()
    );
}

/// `queue.Queue`: producers, consumers, task_done and join, shutdown.
fn queues() {
    heading("Queues", "queue.Queue with task_done / join, shutdown");
    let q: Queue<u64> = Queue::new(100);
    let total = Arc::new(AtomicUsize::new(0));
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let (q, total) = (q.clone(), Arc::clone(&total));
            Thread::new(move || {
                // After shutdown, get drains what is left, then reports ShutDown.
                while let Ok(item) = q.get() {
                    total.fetch_add(item as usize, Ordering::Relaxed);
                    q.task_done().expect("one task_done per get");
                }
            })
            .start()
            .unwrap()
        })
        .collect();
    for i in 1..=10_000 {
        q.put(i).expect("queue open");
    }
    q.join();
    println!(
        "3 consumers processed 10000 items, join() returned, sum = {}",
        total.load(Ordering::Relaxed)
    );
    q.shutdown(false);
    for c in consumers {
        c.join().unwrap();
    }
    println!(
        "after shutdown: put is refused ({}), get says {:?}",
        q.put(1).is_err(),
        q.try_get().map_err(|e| matches!(e, TryGetError::ShutDown))
    );
}

/// `concurrent.futures`: submit, map, wait, as_completed, panics as values.
fn executors() {
    heading(
        "Executors",
        "concurrent.futures.ThreadPoolExecutor, wait, as_completed",
    );
    let pool = ThreadPoolExecutor::new(4);
    let doubled: Vec<String> = pool
        .map(|s: &str| s.repeat(2), ["A", "B", "C", "D"])
        .map(Result::unwrap)
        .collect();
    println!("pool.map keeps input order: {doubled:?}");

    let futures: Vec<_> = (0..10u64).map(|i| pool.submit(move || i * i)).collect();
    let done = wait(&futures, None, ReturnWhen::AllCompleted);
    let squares: u64 = done.done.iter().map(|f| f.result().unwrap()).sum();
    println!(
        "wait(ALL_COMPLETED): {} done, {} not done, sum of squares {squares}",
        done.done.len(),
        done.not_done.len()
    );
    let order: Vec<u64> = as_completed(&futures, Some(Duration::from_secs(10)))
        .map(|f| f.unwrap().result().unwrap())
        .collect();
    println!("as_completed yielded {} results", order.len());
    let bad = pool.submit(|| -> u32 { panic!("task failed") });
    println!(
        "a panicking task is that task's error ({}); the pool still serves: {}",
        bad.result().unwrap_err(),
        pool.submit(|| "ok").result().unwrap()
    );
}

/// `sched.scheduler`: events by time, then priority.
fn scheduling() {
    heading("Scheduler", "sched.scheduler enter / enterabs / run");
    let s = Scheduler::new();
    let log = Arc::new(Lock::new(Vec::new()));
    for (delay_ms, priority, name) in [(30, 1, "third"), (10, 2, "second"), (10, 1, "first")] {
        let log = Arc::clone(&log);
        s.enter(Duration::from_millis(delay_ms), priority, move || {
            log.acquire().push(name)
        });
    }
    let dropped = s.enter(Duration::from_millis(20), 1, || unreachable!("cancelled"));
    s.cancel(dropped).expect("the event is queued");
    println!("{} events queued, one cancelled", s.queue().len());
    s.run();
    println!("ran in order: {:?}", *log.acquire());
}

/// `subprocess`: run with captured output, check, and timeout as typed errors.
fn subprocesses() {
    heading("Subprocesses", "subprocess.run, check=True, timeout=");
    match subprocess::run(["echo", "hello from a child process"])
        .capture_output(true)
        .call()
    {
        Ok(done) => println!(
            "run(['echo', ...]) exited {} and printed {:?}",
            done.returncode,
            done.stdout_str().trim_end()
        ),
        Err(e) => println!("echo could not run: {e}"),
    }
    if let Err(e) = subprocess::run(["false"]).check(true).call() {
        println!("check=True: {e}");
    }
    match subprocess::run(["sleep", "10"])
        .timeout(Duration::from_millis(100))
        .call()
    {
        Err(SubprocessError::Timeout(e)) => println!("timeout=0.1: {e} (the child was killed)"),
        other => println!("unexpected: {other:?}"),
    }
}

/// A task a child process runs: a plain fn, registered by name.
fn adder(a: i32, b: i32) -> i32 {
    a + b
}
tripod::task!(adder);

/// A child that reports who it is and echoes over a pipe until the parent hangs up.
fn echo(conn: Connection) -> usize {
    conn.send(&format!(
        "child {} (pid {})",
        current_process().name(),
        getpid()
    ))
    .expect("the parent listens");
    let mut echoed = 0;
    while let Ok(word) = conn.recv::<String>() {
        conn.send(&word.to_uppercase()).expect("the parent listens");
        echoed += 1;
    }
    echoed
}
tripod::task!(echo);

fn panics_in_child() -> u32 {
    // The parent prints the error; keep the child's own panic report out of the tour.
    std::panic::set_hook(Box::new(|_| {}));
    panic!("a bug in the child process")
}
tripod::task!(panics_in_child);

/// `multiprocessing`: Rust functions in child processes, values back through join, pipes.
fn processes() {
    heading("Processes", "multiprocessing.Process, Pipe, os.getpid");
    let p = Process::new(adder, (2, 2))
        .name("adder")
        .start()
        .expect("start a child process");
    let pid = p.pid();
    println!(
        "Process(target=adder, args=(2, 2)) ran as pid {pid} (we are {}) and join() returned {}",
        getpid(),
        p.join().expect("the child returned a value")
    );

    let (parent_end, child_end) = Pipe(true);
    let child = Process::new(echo, (child_end,))
        .start()
        .expect("start a child process");
    println!("over the pipe: {}", parent_end.recv::<String>().unwrap());
    for word in ["ping", "pong"] {
        parent_end.send(&word).unwrap();
        println!(
            "  sent {word:?}, the child echoed {:?}",
            parent_end.recv::<String>().unwrap()
        );
    }
    drop(parent_end);
    println!(
        "we hung up; the child saw EOF and returned {} echoes",
        child.join().unwrap()
    );

    let err = Process::new(panics_in_child, ())
        .start()
        .expect("start a child process")
        .join()
        .unwrap_err();
    println!("a panic in a child process reaches join() as a typed error: {err}");
}

#[path = "support/primes.rs"]
mod primes;

/// The main act: a CPU-heavy job on a process pool, with a progress bar, against the same
/// job on one process.
fn process_pool() {
    heading(
        "Process pool, the main act",
        "with Pool() as pool: sum(pool.starmap(count_primes, chunks, 1))",
    );
    const BOUND: u64 = 20_000_000;
    const CHUNK: u64 = 100_000;
    // pi(20_000_000): the number of primes below 20 million.
    const PRIMES_BELOW_BOUND: u64 = 1_270_607;
    let chunks: Vec<(u64, u64)> = (0..BOUND)
        .step_by(CHUNK as usize)
        .map(|lo| (lo, (lo + CHUNK).min(BOUND)))
        .collect();
    println!(
        "counting the primes below {BOUND} by trial division, in {} chunks of {CHUNK}",
        chunks.len()
    );

    let t0 = Instant::now();
    let one: u64 = chunks
        .iter()
        .map(|&(lo, hi)| primes::count_primes(lo, hi))
        .sum();
    let single = t0.elapsed();
    assert_eq!(one, PRIMES_BELOW_BOUND, "pi({BOUND}) on one process");
    println!("1 process: {one} primes in {:.2} s", single.as_secs_f64());

    // Timed from the pool's start: its workers' start-up is part of the job's cost.
    let t0 = Instant::now();
    let workers = cpu_count();
    let pool = Pool::new(workers).expect("start the pool");
    let counts = pool
        .starmap_async_with(
            primes::count_primes,
            chunks,
            1,
            AsyncOptions::new().progress_bar(),
        )
        .expect("submit the chunks")
        .into_result()
        .expect("every chunk counted");
    let parallel = t0.elapsed();
    let many: u64 = counts.iter().sum();
    assert_eq!(many, PRIMES_BELOW_BOUND, "pi({BOUND}) on the pool");
    println!(
        "Pool({workers}): {many} primes in {:.2} s (a progress bar with rate and ETA on a terminal)",
        parallel.as_secs_f64()
    );
    println!(
        "speedup over one process: {:.2}x on {workers} cores",
        single.as_secs_f64() / parallel.as_secs_f64()
    );
    pool.close();
    pool.join().expect("the workers exit");
}
