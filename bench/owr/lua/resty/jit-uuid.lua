-- bench/owr: a stand-in for lua-resty-jit-uuid, which owr installs with luarocks and Debian does not
-- package. owr calls only seed() (once, when wr.lua is loaded) and generate_v4() (one per newcomer).
-- Like the original it draws from LuaJIT's math.random, seeded per worker; the result is a random
-- (version 4, RFC 4122 variant) UUID in the usual 36-character form.
local bit = require "bit"
local band, bor = bit.band, bit.bor
local random, format = math.random, string.format

local _M = {}

function _M.seed(seed)
  if not seed then
    seed = ngx.now() * 1000 + ngx.worker.pid()
  end
  math.randomseed(seed)
  return seed
end

function _M.generate_v4()
  return format("%04x%04x-%04x-%04x-%04x-%04x%04x%04x",
    random(0, 0xffff), random(0, 0xffff), random(0, 0xffff),
    bor(0x4000, band(random(0, 0xffff), 0x0fff)),
    bor(0x8000, band(random(0, 0xffff), 0x3fff)),
    random(0, 0xffff), random(0, 0xffff), random(0, 0xffff))
end

setmetatable(_M, { __call = function(self) return self.generate_v4() end })

return _M
