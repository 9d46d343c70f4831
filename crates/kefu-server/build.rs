// The web UI (web/dist, built by Vite) is embedded in release builds and read from disk at run time in
// debug builds. rust-embed only reads the folder at run time when it existed at compile time, so a build
// that runs before the UI is built (a fresh clone's `cargo test`) still gets an empty folder to point at.
fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if !dist.exists() {
        if let Err(e) = std::fs::create_dir_all(&dist) {
            println!("cargo:warning=could not create {}: {e}", dist.display());
        }
    }
    println!("cargo:rerun-if-changed=../../web/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
