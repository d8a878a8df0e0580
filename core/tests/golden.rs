//! Golden output: the bundled example's artifacts, byte for byte.
//!
//! The digests change only when the example, the archive layout or a codec's
//! output changes; any of those deserves a look before the snapshot is
//! accepted (`cargo insta review`).

mod common;

use std::path::Path;

use common::Project;

#[test]
fn bundled_example_artifact_digests() {
    let p = Project::new();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello/oxdist.star");
    let out = p.path().join("dist");
    p.run_with_env(
        &[
            "--config",
            config.to_str().unwrap(),
            "package",
            "--format",
            "tar.gz,tar.xz,tar.zst,zip",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    )
    .ok();
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    insta::assert_snapshot!(sums.replace(oxdist::HOST_TRIPLE, "TRIPLE"));
}
