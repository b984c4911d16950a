#!/usr/bin/env bash
# owr's own nginx.conf, made to run on Debian's nginx in a folder of its own.
#
#   bench/owr/conf.sh DIR INSTANCE PORT WORKERS [ERROR_LOG]
#
# DIR is what bench/owr/setup.sh prepared; writes INSTANCE/nginx.conf (and its temp folders) from
# DIR/upstream/configs/nginx.conf with only these changes, each checked to have happened once:
#   - load Debian's NDK and Lua modules (OpenResty has them built in);
#   - worker_processes WORKERS instead of auto (auto stays when WORKERS is "auto");
#   - pid, temp folders and access log in INSTANCE (access_log /dev/null: owr's config has none, so
#     nginx's default access log is on; it is kept on, written to /dev/null), error_log ERROR_LOG
#     (default /dev/null: owr's wr.lua logs three to five lines at level "error" per request);
#   - lua_package_path: DIR/upstream/lua (wr.lua) and DIR/lua (resty.redis, resty.jit-uuid) instead
#     of /etc/openresty/lua; Debian's own Lua paths (resty.core, nginx.redis, cjson) stay as ";;";
#   - listen 127.0.0.1:PORT instead of 8080; the queue page's root in DIR/upstream/html;
#   - without "include /etc/nginx/conf.d/*.conf" (the Docker image's empty folder; Debian's may not be).
# The locations, the Lua blocks and the env list are owr's, unchanged.
set -euo pipefail
dir=$(cd "${1:?usage: conf.sh DIR INSTANCE PORT WORKERS [ERROR_LOG]}" && pwd)
instance=${2:?instance folder}
port=${3:?port}
workers=${4:?worker_processes}
error_log=${5:-/dev/null}
in="$dir/upstream/configs/nginx.conf"
mkdir -p "$instance/tmp"
instance=$(cd "$instance" && pwd)
modules=/usr/lib/nginx/modules

edit() { # edit PATTERN: the line matching PATTERN must appear exactly once in owr's config
  local n
  n=$(grep -c -- "$1" "$in" || true)
  [ "$n" = 1 ] || { echo "conf.sh: expected one line matching '$1' in $in, found $n" >&2; exit 1; }
}
edit '^worker_processes auto;'
edit 'lua_package_path "/etc/openresty/lua/?.lua;;";'
edit 'listen 8080;'
edit 'root /etc/openresty/html;'
edit 'include /etc/nginx/conf.d/\*.conf;'
edit '^http {'

sed -e "s|^worker_processes auto;|load_module $modules/ndk_http_module.so;\nload_module $modules/ngx_http_lua_module.so;\nworker_processes $workers;\npid $instance/nginx.pid;\nerror_log $error_log;|" \
    -e "s|lua_package_path \"/etc/openresty/lua/?.lua;;\";|lua_package_path \"$dir/upstream/lua/?.lua;$dir/lua/?.lua;;\";|" \
    -e "s|^http {|http {\n    access_log /dev/null;\n    client_body_temp_path $instance/tmp/body;\n    proxy_temp_path $instance/tmp/proxy;\n    fastcgi_temp_path $instance/tmp/fastcgi;\n    uwsgi_temp_path $instance/tmp/uwsgi;\n    scgi_temp_path $instance/tmp/scgi;|" \
    -e "s|listen 8080;|listen 127.0.0.1:$port;|" \
    -e "s|root /etc/openresty/html;|root $dir/upstream/html;|" \
    -e "/include \/etc\/nginx\/conf.d\/\*.conf;/d" \
    "$in" >"$instance/nginx.conf"
chmod -R a+rX "$instance"
echo "$instance/nginx.conf"
