# Shared by the scripts in .ci/: repo root as cwd, pinned versions, tool paths, banners.
# Sourced, not run.

CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CI_DIR/.." && pwd)"
cd "$REPO_ROOT"

# shellcheck source=versions.env
source "$CI_DIR/versions.env"

TOOLS_DIR="$REPO_ROOT/.tools"      # npm-packaged build tools (git-ignored)
E2E_DIR="$REPO_ROOT/tests/e2e"     # Playwright suite and its node_modules
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
