//! The step runner: a scenario is a list of named steps, async functions
//! over one "world" (its server, sessions, people and what they created so
//! far), set up once and run in order by [`run_steps!`](crate::run_steps).
//!
//! What must stay true: every step's name is printed as it starts, and a
//! failing step fails the test with its name and the failure's own message
//! in the panic message (the panic hook has printed where it failed just
//! before); a failed step ends the scenario, as a failed assertion ended the
//! one long function the steps were.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::task::Poll;
use std::time::Instant;

/// Runs the steps, in order, each on the world: `run_steps!(&mut world,
/// [first_step, second_step])`. A step is `async fn(&mut World)`.
#[macro_export]
macro_rules! run_steps {
    ($world:expr, [$($step:ident),+ $(,)?]) => {{
        let world = $world;
        let names: &[&str] = &[$(stringify!($step)),+];
        let mut number = 0;
        $(
            number += 1;
            $crate::steps::run_step(
                &format!("step {number}/{}", names.len()),
                stringify!($step),
                $step(&mut *world),
            )
            .await;
        )+
    }};
}

/// Runs one step (or the set-up, which makes the world): prints `label`
/// ("step 3/20") and `name` as it starts, and how long it took; if it
/// panics, panics again with both. What the step returns.
pub async fn run_step<T>(label: &str, name: &str, step: impl Future<Output = T>) -> T {
    eprintln!("\n=== {label}: {name}");
    let started = Instant::now();
    let mut step = std::pin::pin!(step);
    // The step's future is polled inside `catch_unwind` so that its panic
    // (a failed assertion or wait) can be told apart by step. Nothing is
    // observed after it unwinds: the step is dropped and the test fails.
    let outcome = std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| step.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    })
    .await;
    match outcome {
        Ok(value) => {
            eprintln!("=== {name} done in {:?}", started.elapsed());
            value
        }
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(a panic without a message)");
            panic!("{label} `{name}` failed: {why}");
        }
    }
}
