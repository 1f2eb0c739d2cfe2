//! The `gavel` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    gavel::cli::main()
}
