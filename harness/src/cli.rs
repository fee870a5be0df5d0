//! The `tongchou` binary and running its commands: the tests build it
//! once; a failed command shows its status, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::DeserializeOwned;

/// The `tongchou` binary of this build, built once per test process
/// (`target/<profile>/deps/<test>` → `target/<profile>/tongchou`).
pub fn tongchou() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", "tongchou", "--bin", "tongchou"]);
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("running cargo build");
        assert!(st.success(), "building tongchou failed");
        let bin = dir.join("tongchou");
        assert!(bin.exists(), "no binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A fresh empty directory under the target dir, unique per call.
pub fn fresh_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let exe = std::env::current_exe().expect("test executable path");
    let base = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("tongchou-tests");
    let dir = base.join(format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating test dir");
    dir
}

/// Runs `EXE --home HOME ARGS…` with civil times read in [`crate::ZONE`].
pub fn run(exe: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(exe)
        .arg("--home")
        .arg(home)
        .args(args)
        .env("RUST_LOG", "warn")
        .env("TZ", crate::ZONE)
        .stdin(Stdio::null())
        .output()
        .expect("running tongchou")
}

/// A command and everything it printed.
pub fn describe(home: &Path, args: &[&str], out: &Output) -> String {
    format!(
        "command: tongchou --home {} {}\nstatus: {}\n--- stdout\n{}\n--- stderr\n{}",
        home.display(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `tongchou --home HOME ARGS…` (the tests' build).
pub fn cli(home: &Path, args: &[&str]) -> Output {
    run(&tongchou(), home, args)
}

/// Runs `exe --home <home> ARGS`: its stdout if it succeeded, otherwise
/// the command and its output, for the failure message.
pub fn checked(exe: &Path, home: &Path, args: &[&str]) -> Result<String, String> {
    let out = run(exe, home, args);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(describe(home, args, &out))
    }
}

/// `--json` followed by `args`.
pub(crate) fn with_json<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    a
}

/// Reads what `tongchou ARGS --json` printed as `T`, or panics naming both.
pub(crate) fn parse_json<T: DeserializeOwned>(args: &[&str], text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| {
        panic!(
            "`tongchou {}` printed JSON that is not a {}: {e}\n{text}",
            args.join(" "),
            std::any::type_name::<T>()
        )
    })
}

/// Runs a command that must succeed; its stdout.
pub fn cli_ok(home: &Path, args: &[&str]) -> String {
    checked(&tongchou(), home, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a command with `--json` that must succeed; its output read as `T`.
pub fn cli_json<T: DeserializeOwned>(home: &Path, args: &[&str]) -> T {
    parse_json(args, &cli_ok(home, &with_json(args)))
}
