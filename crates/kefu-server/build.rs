// The release binary embeds the built web UI (web/dist); rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
