//! Records the triple oxdist is compiled for: the default `BUILD_TARGET_TRIPLE`.
fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=OXDIST_HOST_TRIPLE={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
