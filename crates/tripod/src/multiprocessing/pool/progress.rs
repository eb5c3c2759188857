//! [`Progress`]: how far a pool job has come, for progress callbacks and bars.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::{Duration, Instant};

/// How far a job of a [`Pool`](super::Pool) has come: items done, items in all (when
/// known), time since it began; with the rate and an estimate of the time left. Given to
/// the callbacks of [`AsyncOptions::progress`](super::AsyncOptions::progress) and
/// [`IMap::progress`](super::IMap::progress).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tripod::multiprocessing::{AsyncOptions, Pool, Progress};
///
/// fn square(x: u64) -> u64 { x * x }
/// tripod::task!(square);
///
/// let pool = Pool::new(2).unwrap();
/// let last = Arc::new(Mutex::new(None::<Progress>));
/// let seen = Arc::clone(&last);
/// let options = AsyncOptions::new().progress(move |p: Progress| *seen.lock().unwrap() = Some(p));
/// pool.map_async_with(square, 0..100, 10, options).unwrap().wait();
/// let last = last.lock().unwrap().unwrap();
/// assert_eq!((last.done(), last.total()), (100, Some(100)));
/// assert_eq!(last.fraction(), Some(1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    done: usize,
    total: Option<usize>,
    elapsed: Duration,
}

impl Progress {
    /// Items done so far.
    ///
    /// ```
    /// # use tripod::multiprocessing::Progress;
    /// # let p = tripod::multiprocessing::Progress::example(3, Some(10), 1.5);
    /// assert_eq!(p.done(), 3);
    /// ```
    pub fn done(&self) -> usize {
        self.done
    }

    /// Items in all, when known (an `imap` over an input of unknown length: `None`).
    ///
    /// ```
    /// # let p = tripod::multiprocessing::Progress::example(3, Some(10), 1.5);
    /// assert_eq!(p.total(), Some(10));
    /// ```
    pub fn total(&self) -> Option<usize> {
        self.total
    }

    /// Time since the job began.
    ///
    /// ```
    /// # let p = tripod::multiprocessing::Progress::example(3, Some(10), 1.5);
    /// assert_eq!(p.elapsed().as_secs_f64(), 1.5);
    /// ```
    pub fn elapsed(&self) -> std::time::Duration {
        self.elapsed
    }

    /// The part done, from 0.0 to 1.0, when the total is known (1.0 for an empty job).
    ///
    /// ```
    /// # let p = tripod::multiprocessing::Progress::example(3, Some(12), 1.5);
    /// assert_eq!(p.fraction(), Some(0.25));
    /// ```
    pub fn fraction(&self) -> Option<f64> {
        self.total.map(|total| {
            if total == 0 {
                1.0
            } else {
                self.done as f64 / total as f64
            }
        })
    }

    /// Items per second so far; 0.0 before anything is done.
    ///
    /// ```
    /// # let p = tripod::multiprocessing::Progress::example(3, Some(12), 1.5);
    /// assert_eq!(p.rate(), 2.0);
    /// ```
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// The time left at the rate so far, when the total is known and something is done.
    ///
    /// ```
    /// # let p = tripod::multiprocessing::Progress::example(3, Some(12), 1.5);
    /// assert_eq!(p.eta().unwrap().as_secs_f64(), 4.5);
    /// ```
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        let rate = self.rate();
        if rate <= 0.0 {
            return None;
        }
        Some(Duration::from_secs_f64(
            total.saturating_sub(self.done) as f64 / rate,
        ))
    }

    /// A value for examples and tests: `done` of `total`, `elapsed_secs` seconds in.
    ///
    /// ```
    /// use tripod::multiprocessing::Progress;
    ///
    /// assert_eq!(Progress::example(1, None, 0.5).total(), None);
    /// ```
    pub fn example(done: usize, total: Option<usize>, elapsed_secs: f64) -> Progress {
        Progress {
            done,
            total,
            elapsed: Duration::from_secs_f64(elapsed_secs),
        }
    }
}

type ProgressCallback = Box<dyn FnMut(Progress) + Send>;

/// What a job reports progress to: a callback, a bar, or both.
#[derive(Default)]
pub(crate) struct Reporter {
    callback: Option<ProgressCallback>,
    want_bar: bool,
    #[cfg(feature = "progress")]
    bar: Option<indicatif::ProgressBar>,
    start: Option<Instant>,
    done: usize,
    total: Option<usize>,
}

impl Reporter {
    pub(crate) fn set_callback(&mut self, callback: ProgressCallback) {
        self.callback = Some(callback);
    }

    #[cfg(feature = "progress")]
    pub(crate) fn want_bar(&mut self) {
        self.want_bar = true;
    }

    pub(crate) fn is_active(&self) -> bool {
        self.callback.is_some() || self.want_bar
    }

    /// The job begins, with `total` items if known.
    pub(crate) fn begin(&mut self, total: Option<usize>) {
        self.start = Some(Instant::now());
        self.total = total;
        #[cfg(feature = "progress")]
        if self.want_bar {
            let bar = match total {
                Some(total) => indicatif::ProgressBar::new(total as u64),
                None => indicatif::ProgressBar::no_length(),
            };
            let template = if total.is_some() {
                "{bar:40} {pos}/{len} [{elapsed_precise}<{eta_precise}, {rate}]"
            } else {
                "{spinner} {pos} [{elapsed_precise}, {rate}]"
            };
            if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                bar.set_style(style.with_key("rate", RateKey));
            }
            self.bar = Some(bar);
        }
    }

    /// `n` more items are done.
    pub(crate) fn advance(&mut self, n: usize) {
        if self.start.is_none() {
            self.begin(None);
        }
        self.done += n;
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        if let Some(callback) = &mut self.callback {
            callback(Progress {
                done: self.done,
                total: self.total,
                elapsed: self.start.map_or(Duration::ZERO, |s| s.elapsed()),
            });
        }
    }

    /// The job ended (the bar stays on screen, complete or abandoned). indicatif leaves
    /// the cursor at the end of a finished bar's line: a drawn bar's line is ended here,
    /// so that what the program prints next starts on a line of its own.
    pub(crate) fn finish(&mut self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = self.bar.take() {
            if self.total.is_some_and(|t| t == self.done) {
                bar.finish();
            } else {
                bar.abandon();
            }
            if !bar.is_hidden() {
                eprintln!();
            }
        }
    }
}

/// A rate for the bar, with a precision that suits its size: `12,345/s`, `45.6/s`,
/// `0.25/s` (indicatif's own `{per_sec}` always shows 4 decimals).
#[cfg_attr(not(feature = "progress"), allow(dead_code))]
pub(crate) fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "0/s".to_owned();
    }
    if per_sec >= 100.0 {
        let whole = per_sec.round() as u64;
        let digits = whole.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(d);
        }
        out.push_str("/s");
        out
    } else if per_sec >= 10.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.2}/s")
    }
}

/// The `{rate}` key of the bar's template: [`format_rate`] of indicatif's rate.
#[cfg(feature = "progress")]
#[derive(Clone)]
struct RateKey;

#[cfg(feature = "progress")]
impl indicatif::style::ProgressTracker for RateKey {
    fn clone_box(&self) -> Box<dyn indicatif::style::ProgressTracker> {
        Box::new(self.clone())
    }

    fn tick(&mut self, _: &indicatif::ProgressState, _: Instant) {}

    fn reset(&mut self, _: &indicatif::ProgressState, _: Instant) {}

    fn write(&self, state: &indicatif::ProgressState, w: &mut dyn fmt::Write) {
        let _ = w.write_str(&format_rate(state.per_sec()));
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.finish();
    }
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("callback", &self.callback.is_some())
            .field("bar", &self.want_bar)
            .field("done", &self.done)
            .field("total", &self.total)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::format_rate;

    #[test]
    fn rates_show_a_precision_that_suits_them() {
        assert_eq!(format_rate(1_234_567.891), "1,234,568/s");
        assert_eq!(format_rate(999.5), "1,000/s");
        assert_eq!(format_rate(100.0), "100/s");
        assert_eq!(format_rate(45.678), "45.7/s");
        assert_eq!(format_rate(0.254), "0.25/s");
        assert_eq!(format_rate(0.0), "0/s");
        assert_eq!(format_rate(f64::NAN), "0/s");
    }
}
