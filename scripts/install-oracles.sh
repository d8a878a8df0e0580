#!/usr/bin/env bash
# Installs the real tools the tests use as oracles (Debian packages), only
# those that are missing. Tests never fall back to hand-rolled checkers, so a
# missing tool makes them fail with an install hint instead.
set -euo pipefail

# command → Debian package
oracles=(
  "tar:tar"
  "gzip:gzip"
  "xz:xz-utils"
  "zstd:zstd"
  "unzip:unzip"
  "sha256sum:coreutils"
  "python3:python3"
  # rpm writer tests: rpm -q/-i/-U/-e, rpmkeys and rpmbuild (bench/rpm), rpmlint, gpg keys
  "rpm:rpm"
  "rpmkeys:rpm"
  "rpmlint:rpmlint"
  "gpg:gnupg"
  # deb writer tests: dpkg-deb, dpkg --root, dpkg-parsechangelog, lintian,
  # debsig-verify, ar (members), systemctl --root (unit enablement), gpg keys
  "dpkg-deb:dpkg"
  "dpkg-parsechangelog:dpkg-dev"
  "lintian:lintian"
  "debsig-verify:debsig-verify"
  "ar:binutils"
  "systemctl:systemd"
  # msi writer tests: msitools reads tables, streams and summary information and
  # extracts files; cabextract and gcab read the cabinets; file names the code
  # page (they also sign with osslsigncode and openssl, listed below)
  "msiinfo:msitools"
  "msiextract:msitools"
  "msidump:msitools"
  "cabextract:cabextract"
  "gcab:gcab"
  "file:file"
  # analyze tests: LLVM's COFF and Mach-O readers as the PE and Mach-O oracle
  "llvm-readobj:llvm"
  "llvm-objdump:llvm"
  # authenticode tests: osslsigncode verifies signatures, openssl makes a throwaway CA and PFX
  "osslsigncode:osslsigncode"
  "openssl:openssl"
  # macOS tests (installers/tests/macos_bundle.rs): 7-Zip lists the slices of universal Mach-O binaries
  "7zz:7zip"
  # msi install tests (installers/tests/msi_wine.rs): Wine 8's msiexec and reg;
  # Debian's wine64 puts its loader in /usr/lib/wine only (no /usr/bin/wine64)
  "/usr/lib/wine/wine64:wine64"
  # dmg writer tests (installers/tests/macos_dmg.rs): 7zz (above) reads the image and its HFS+
  # volume, dmg2img converts the image to a raw volume
  "dmg2img:dmg2img"
  # Windows launchers (core/src/embedding/cross.rs, core/tests/windows_msi.rs): the MinGW-w64 linker
  "x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64"
)

missing=()
for entry in "${oracles[@]}"; do
  command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry##*:}")
done
# Debian's CPython with its static (and PIC) libpython: the distribution tests
# read it as a second host interpreter.
[ -f /usr/lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11-pic.a ] || missing+=("python3.11-dev")
# ... and a Rust toolchain with the standard library's source, compiled for Windows
# (Debian's rustc-web 1.96, beside rustup's; rustup's rust-src cannot be fetched here).
[ -f /usr/lib/rustlib/src/rust/library/std/Cargo.toml ] || missing+=("rustc-web" "cargo-web" "rust-web-src")
# pip for the machine's python3 (tests download pinned wheels from PyPI).
python3 -m pip --version >/dev/null 2>&1 || missing+=("python3-pip")
# venv with ensurepip: analyze/tests install auditwheel (the manylinux oracle)
# from PyPI into a virtual environment under target/test-data.
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=("python3-venv")

# rcodesign (apple-codesign's CLI), the oracle of the Apple code-signing tests: not packaged by
# Debian, so built once from crates.io (~6 min on 2 cores) into target/oracles, where
# oxdist_testing::rcodesign() looks. No optional features: verification needs none of them.
rcodesign_version=0.29.0
oracles_root="$(cd "$(dirname "$0")/.." && pwd)/target/oracles"
if ! "$oracles_root/bin/rcodesign" --version 2>/dev/null | grep -qx "apple-codesign $rcodesign_version"; then
  echo "building rcodesign $rcodesign_version into $oracles_root (test oracle)" >&2
  # Its own target dir, so the workspace's build cache is not disturbed.
  CARGO_TARGET_DIR="$oracles_root/build" cargo install apple-codesign --version "$rcodesign_version" \
    --locked --no-default-features --root "$oracles_root" --quiet
  rm -rf "$oracles_root/build"
fi

[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing test oracles: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
