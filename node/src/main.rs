//! `tongchou`: an agency's node, its command line and its tools.

fn main() -> std::process::ExitCode {
    node::cli::main()
}
