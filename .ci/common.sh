# Shared by the scripts in .ci/: repo root as cwd, pinned versions, tool paths, banners.
# Sourced, not run.

CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CI_DIR/.." && pwd)"
cd "$REPO_ROOT"

# shellcheck source=versions.env
source "$CI_DIR/versions.env"

TOOLS_DIR="$REPO_ROOT/.tools"      # npm-packaged build tools (git-ignored)
E2E_DIR="$REPO_ROOT/tests/e2e"     # Playwright suite and its node_modules
ENGINES_DIR="$REPO_ROOT/tests/engines" # the WebDriver suite (Chromium, Firefox, WebKit)
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Trunk otherwise asks crates.io's web API for newer releases at every start (unreachable here).
export TRUNK_SKIP_VERSION_CHECK=true

banner() {
  printf '\n==== %s ====\n' "$*"
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Seconds since the epoch, for durations.
now() { date +%s; }

# rust-toolchain.toml pins the toolchain by its version. Nothing can be downloaded here, so a
# machine whose rustup has that version only under the name "stable" gets the versioned name
# as a link to it (as this workplace's machines come); any other mismatch is an error.
ensure_pinned_toolchain() {
  local pinned stable_version toolchains="${RUSTUP_HOME:-$HOME/.rustup}/toolchains"
  pinned=$(sed -n 's/^channel = "\(.*\)"/\1/p' "$REPO_ROOT/rust-toolchain.toml")
  if rustup toolchain list | grep -q "^$pinned-"; then
    return 0
  fi
  stable_version=$(rustup run stable rustc --version 2>/dev/null | awk '{print $2}')
  [[ "$stable_version" == "$pinned" ]] ||
    die "rust-toolchain.toml pins Rust $pinned, but rustup has no such toolchain (stable is '$stable_version')"
  local host
  host=$(rustup run stable rustc -vV | sed -n 's/^host: //p')
  ln -s "$toolchains/stable-$host" "$toolchains/$pinned-$host"
  echo "  linked   Rust $pinned to the stable toolchain"
}
ensure_pinned_toolchain
