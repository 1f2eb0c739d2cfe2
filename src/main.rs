//! The `gavel` binary: everything lives in the library.

// Evaluation allocates many small values; mimalloc is markedly faster at
// that than the system allocator (see the benchmarks in the README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gavel::cli::main()
}
