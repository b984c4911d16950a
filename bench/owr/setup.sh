#!/usr/bin/env bash
# owr, WaitingRoom's elder (OpenResty + Lua + Redis), rebuilt from Debian's packages for the benchmark.
#
#   bench/owr/setup.sh DIR
#
# 1. Installs, when missing, Debian's nginx and libnginx-mod-http-lua (which bring lua-resty-core,
#    lua-resty-lrucache, the NDK module and the OpenResty LuaJIT), lua-nginx-redis (lua-resty-redis,
#    the Redis client owr requires as resty.redis) and lua-cjson (owr's /wr_check answers in JSON).
#    Nothing else: no OpenResty build, no luarocks, nothing downloaded but Debian packages.
# 2. Copies owr's own files (configs/nginx.conf, lua/wr.lua, html/queue.html, LICENSE) to DIR/upstream,
#    unchanged, from OWR_SRC: a checkout of owr's repository, or a git directory of it (then the
#    commit OWR_COMMIT, by default the one measured here). Without OWR_SRC, bench/owr/src is tried.
#    owr's code is not kept in this repository: it is Apache-2.0 (see bench/README.md, "owr").
# 3. Puts this folder's two Lua stand-ins (lua/resty/redis.lua, lua/resty/jit-uuid.lua) in DIR/lua.
# 4. Writes DIR/source.json (commit, file hashes, package versions) and checks that Debian's nginx
#    loads owr's configuration (bench/owr/conf.sh, nginx -t).
#
# Idempotent: packages already installed are left alone, DIR/upstream and DIR/lua are written anew.
# Exit status: 0 ready, 2 no owr source found (the benchmark then skips owr), 1 anything else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: bench/owr/setup.sh DIR}
# The commit of github.com/vitalyUstalu/owr that bench/README.md's figures are from (2025-09-15).
pinned_commit=dc6560b0dabfeccbc8f6da17d7c81b69eec3ff67
commit=${OWR_COMMIT:-$pinned_commit}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
packages=(nginx libnginx-mod-http-lua lua-nginx-redis lua-cjson)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "owr: installing ${missing[*]} from Debian's packages" >&2
  as_root apt-get update -qq
  # lua-nginx-redis depends on nginx-extras (a set of nginx modules): only the Lua module is loaded.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's package may start its own nginx on port 80 (not in a container with policy-rc.d).
  as_root systemctl stop nginx >/dev/null 2>&1 || true
  as_root systemctl disable nginx >/dev/null 2>&1 || true
fi
for f in /usr/lib/nginx/modules/ndk_http_module.so /usr/lib/nginx/modules/ngx_http_lua_module.so \
         /usr/share/lua/5.1/nginx/redis.lua /usr/share/lua/5.1/resty/core.lua; do
  [ -e "$f" ] || { echo "owr: $f missing after installing ${packages[*]}" >&2; exit 1; }
done

src=${OWR_SRC:-}
if [ -z "$src" ] && [ -e "$here/src" ]; then src=$here/src; fi
if [ -z "$src" ] || [ ! -e "$src" ]; then
  echo "owr: no source: set OWR_SRC to a checkout (or git directory) of owr's repository (github.com/vitalyUstalu/owr)" >&2
  exit 2
fi
rm -rf "$dir/upstream" "$dir/lua"
mkdir -p "$dir/upstream" "$dir/lua/resty"
files=(LICENSE configs/nginx.conf lua/wr.lua html/queue.html)
if [ -f "$src/lua/wr.lua" ]; then # a checkout: its files as they are
  for f in "${files[@]}"; do mkdir -p "$dir/upstream/$(dirname "$f")"; cp "$src/$f" "$dir/upstream/$f"; done
  commit=$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)
  [ -z "$(git -C "$src" status --porcelain -- "${files[@]}" 2>/dev/null)" ] || commit="$commit+local-changes"
else # a git directory (bare or not): the files of $commit
  git --git-dir="$src" cat-file -e "$commit^{commit}" 2>/dev/null \
    || { echo "owr: $src is neither a checkout (no lua/wr.lua) nor a git directory holding $commit" >&2; exit 1; }
  git --git-dir="$src" archive "$commit" "${files[@]}" | tar -x -C "$dir/upstream"
  commit=$(git --git-dir="$src" rev-parse "$commit^{commit}")
fi
[ "$commit" = "$pinned_commit" ] || echo "owr: note: source is at $commit, the figures in bench/README.md are from $pinned_commit" >&2
cp "$here/lua/resty/redis.lua" "$here/lua/resty/jit-uuid.lua" "$dir/lua/resty/"
chmod -R a+rX "$dir" # the workers run as nobody

version() { dpkg-query -W -f='${Version}' "$1"; }
sha() { sha256sum "$dir/upstream/$1" | cut -c1-16; }
cat >"$dir/source.json" <<JSON
{"owrCommit":"$commit","wrLuaSha256":"$(sha lua/wr.lua)","nginxConfSha256":"$(sha configs/nginx.conf)","nginx":"$(version nginx)","luaModule":"$(version libnginx-mod-http-lua)","restyCore":"$(version lua-resty-core)","restyRedis":"$(version lua-nginx-redis)","luajit":"$(version libluajit2-5.1-2 2>/dev/null || version libluajit-5.1-2)","jitUuid":"bench/owr stand-in"}
JSON

# nginx -t on a throw-away instance: Debian's nginx with owr's configuration and Lua.
check="$dir/check"
rm -rf "$check"
"$here/conf.sh" "$dir" "$check" 18080 1 >/dev/null
nginx -t -q -p "$check" -c "$check/nginx.conf" -e "$check/error.log" \
  || { cat "$check/error.log" >&2 2>/dev/null; echo "owr: nginx -t failed on owr's configuration" >&2; exit 1; }
echo "owr: ready in $dir ($(cat "$dir/source.json"))" >&2
