//! The `oxdist` command. All logic lives in the library; see `oxdist::cli`.
fn main() {
    std::process::exit(oxdist::cli::main());
}
