//! [`Target`]: a function a child process can run, with its arguments as a tuple.

/// A function that a [`Process`](crate::multiprocessing::Process) can run in a child: a
/// plain `fn` of 0 to 6 arguments, taking them as one tuple `Args`.
///
/// Implemented for every `Fn(A1, ..., An) -> R` with `Args = (A1, ..., An)`; the
/// process API further requires the arguments and the result to be
/// `Serialize + DeserializeOwned`, and the function to be registered with
/// [`tripod::task!`](crate::task).
///
/// ```
/// use tripod::multiprocessing::Target;
///
/// fn adder(a: i32, b: i32) -> i32 { a + b }
/// assert_eq!(Target::call(adder, (2, 2)), 4);
/// ```
pub trait Target<Args>: Send + 'static {
    /// What the function returns.
    type Output;

    /// Calls the function with the arguments unpacked from the tuple.
    fn call(self, args: Args) -> Self::Output;
}

macro_rules! impl_target {
    ($($arg:ident)*) => {
        impl<F, R, $($arg,)*> Target<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> R + Send + 'static,
        {
            type Output = R;

            #[allow(non_snake_case, clippy::unused_unit)]
            fn call(self, ($($arg,)*): ($($arg,)*)) -> R {
                self($($arg),*)
            }
        }
    };
}

impl_target!();
impl_target!(A1);
impl_target!(A1 A2);
impl_target!(A1 A2 A3);
impl_target!(A1 A2 A3 A4);
impl_target!(A1 A2 A3 A4 A5);
impl_target!(A1 A2 A3 A4 A5 A6);
