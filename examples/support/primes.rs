//! The CPU-bound job of the pool's main act, shared by the tour, `pool_primes` and the
//! `pool.primes` benchmark (included with `#[path]`), so all three run the same code.

/// The number of primes in `lo..hi`, by trial division (deliberately CPU-bound).
pub fn count_primes(lo: u64, hi: u64) -> u64 {
    (lo..hi).filter(|&n| is_prime(n)).count() as u64
}
tripod::task!(count_primes);

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}
