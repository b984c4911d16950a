-- bench/owr: owr requires "resty.redis". Debian ships the same library (lua-resty-redis, package
-- lua-nginx-redis) under the module name "nginx.redis"; this file only gives it owr's name.
return require "nginx.redis"
