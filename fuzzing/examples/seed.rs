//! Writes the seed inputs of every fuzz target to `fuzzing/corpus/<target>/`
//! (`cargo run -p fuzzing --example seed`).

fn main() -> std::io::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (i, (target, data)) in fuzzing::seeds().into_iter().enumerate() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("seed-{i:02}")), data)?;
    }
    Ok(())
}
