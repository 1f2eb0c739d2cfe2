//! The `gavel` binary: everything lives in the library.

// Evaluation allocates many small values; mimalloc is markedly faster at
// that than the system allocator (see the benchmarks in the README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // regorus's parser makes and drops thousands of `anyhow` errors while it
    // reads a policy, and with RUST_BACKTRACE=1 set each one captured a
    // backtrace: loading the samples took 2.5 times as long. Gavel prints
    // errors, never their backtraces, so library backtraces are off unless
    // RUST_LIB_BACKTRACE asks for them; panics still follow RUST_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: the first statement of main, before any thread starts.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    gavel::cli::main()
}
