# Sourced by the scripts: puts the npm binaryen wasm-opt (version 132) first on
# PATH, because Debian's binaryen 108 builds a release WASM that never hydrates.
CLIENTELE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$CLIENTELE_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
