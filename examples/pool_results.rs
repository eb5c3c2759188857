//! Seed 001 (进程池 例子2 and 例子3): a pool of `cpu_count() - 1` workers, `apply_async` in
//! a loop, `close`, `join`, then each task's result with `get`.
//!
//! ```python
//! def task(name):
//!     time.sleep(3)
//!     print("子进程名称:" + name, "子进程ID:", os.getpid(), "父进程ID:", os.getppid())
//!     return {name: 'Job is done'}
//! if __name__ == '__main__':
//!     processlist = []
//!     poolZize = cpu_count() - 1
//!     p = Pool(poolZize)
//!     print("主进程ID:", os.getpid())
//!     for i in range(5):
//!         processlist.append(p.apply_async(task, args=(str(i),)))
//!     p.close()
//!     p.join()
//!     time.sleep(1)
//!     for i in processlist:
//!         print(i.get())
//!     print("主线程代码执行完毕。")
//! ```
//!
//! Example 2 is the same without the results. The sleeps are 100 ms and 10 ms; the pool
//! has at least one worker on a one-core machine. The result, a Python dict, is a
//! `HashMap` here.

use std::collections::HashMap;
use std::time::Duration;

use tripod::multiprocessing::{Pool, cpu_count, getpid, getppid};

fn task(name: String) -> HashMap<String, String> {
    std::thread::sleep(Duration::from_millis(100));
    println!(
        "子进程名称:{name} 子进程ID: {} 父进程ID: {}",
        getpid(),
        getppid()
    );
    HashMap::from([(name, "Job is done".to_owned())])
}
tripod::task!(task);

fn main() {
    let pool_size = cpu_count().saturating_sub(1).max(1);
    let p = Pool::new(pool_size).unwrap();
    println!("主进程ID: {}", getpid());
    let processlist: Vec<_> = (0..5)
        .map(|i| p.apply_async(task, (i.to_string(),)).unwrap())
        .collect();
    p.close();
    p.join().unwrap();
    std::thread::sleep(Duration::from_millis(10));
    for result in &processlist {
        println!("{:?}", result.get().unwrap());
    }
    println!("主线程代码执行完毕。");
}
