#!/usr/bin/env bash
# Builds src/scripting/lua.wasm: Redis 7.0.15's own Lua 5.1 (deps/lua, with cjson, cmsgpack,
# struct and bit, as Debian ships it with its security patches) plus KVIS's glue
# (src/scripting/lua-glue.c), compiled to WebAssembly with Debian's clang and wasi-libc.
# No third-party source is kept in the repository: the Debian source package is fetched
# by its pinned version and checked against its SHA-256 sums, then our wasm32 changes
# (scripts/lua/wasm32.patch) are applied. The build is reproducible: the same toolchain
# makes the same bytes, which CI checks (`scripts/build-lua.sh --check`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=src/scripting/lua.wasm

VERSION=7.0.15-1~deb12u10
POOL=http://deb.debian.org/debian-security/pool/updates/main/r/redis
declare -A SHA256=(
  ["redis_${VERSION}.dsc"]=6416560d9f6e692a524867d8a437d97c9310c374a70d0bac1fee9259bf5e9463
  ["redis_7.0.15.orig.tar.gz"]=4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982
  ["redis_${VERSION}.debian.tar.xz"]=77d8423c427657bb2f5b635f51184e8064a51c93fcbd7519146da587a8361bbc
)

need=()
command -v clang >/dev/null || need+=(clang)
command -v wasm-ld >/dev/null || need+=(lld)
[ -d /usr/include/wasm32-wasi ] || need+=(wasi-libc)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a" >/dev/null || need+=(libclang-rt-dev-wasm32)
command -v dpkg-source >/dev/null || need+=(dpkg-dev)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
for f in "${!SHA256[@]}"; do
  if ! curl -sSfo "$f" "$POOL/$f"; then
    # Debian's security pool keeps only a package's current version: once a newer
    # redis update replaces this one, pin the new version (and its sums) here.
    echo "cannot fetch $POOL/$f (superseded by a newer Debian update?)" >&2
    if [ "${1:-}" = "--check" ]; then
      echo "WARNING: $OUT NOT VERIFIED: the pinned source is not available; update VERSION and SHA256 in scripts/build-lua.sh" >&2
      exit 0
    fi
    exit 1
  fi
  echo "${SHA256[$f]}  $f" | sha256sum -c --quiet
done
dpkg-source --no-check -x "redis_${VERSION}.dsc" redis >/dev/null
cd redis
patch -s -p1 < "$ROOT/scripts/lua/wasm32.patch"

LUA=deps/lua/src
SOURCES="lapi lcode ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring
  ltable ltm lundump lvm lzio strbuf fpconv lauxlib lbaselib ldblib lmathlib ltablib lstrlib
  lua_cjson lua_struct lua_cmsgpack lua_bit"
CFLAGS=(--target=wasm32-wasi -O2 -nostdlibinc -isystem /usr/include/wasm32-wasi -mnontrapping-fptoint
  -DLUA_ANSI -DENABLE_CJSON_GLOBAL "-DREDIS_STATIC=" -DKVIS_WASM -DLUA_USELONGLONG "-DSTRUCT_INT=long long"
  '-DREDIS_VERSION="7.0.15"' -DREDIS_VERSION_NUM=0x0007000f -I"$LUA" -w -ffile-prefix-map="$WORK"=.)
objects=()
for s in $SOURCES; do
  clang "${CFLAGS[@]}" -c "$LUA/$s.c" -o "$s.o"
  objects+=("$s.o")
done
clang "${CFLAGS[@]}" -Wall -Werror -c "$ROOT/src/scripting/lua-glue.c" -o glue.o
clang --target=wasm32-wasi -mexec-model=reactor -O2 -L/usr/lib/wasm32-wasi -o lua.wasm "${objects[@]}" glue.o \
  -Wl,--export=__stack_pointer -Wl,--export-table -Wl,--gc-sections -Wl,--strip-all \
  -Wl,-z,stack-size=1048576 -Wl,--initial-memory=4194304 -Wl,--max-memory=1073741824

if [ "${1:-}" = "--check" ]; then
  if cmp -s lua.wasm "$ROOT/$OUT"; then echo "$OUT is what this source builds"; exit 0; fi
  echo "$OUT differs from what scripts/build-lua.sh builds: run it and commit the result" >&2
  exit 1
fi
cp lua.wasm "$ROOT/$OUT"
echo "wrote $OUT ($(stat -c %s "$ROOT/$OUT") bytes)"
