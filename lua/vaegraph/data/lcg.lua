-- A small deterministic random generator for data made or shuffled in Lua:
-- Park and Miller's minimal standard (x <- 48271 x mod 2^31 - 1), exact in
-- doubles, so Lua 5.4 and LuaJIT draw the same numbers from the same seed.
local lcg = {}

local M = 2147483647

-- A generator: gen() gives a uniform number in (0, 1).
function lcg.new(seed, stream)
  local s = (math.floor(seed) * 7919 + math.floor(stream or 0) * 104729 + 12345) % M
  if s == 0 then s = 1 end
  return function()
    s = (s * 48271) % M
    return s / M
  end
end

-- A permutation of 1..n for (seed, stream): Fisher-Yates.
function lcg.permutation(n, seed, stream)
  local p, gen = {}, lcg.new(seed, stream)
  for i = 1, n do p[i] = i end
  for i = n, 2, -1 do
    local j = math.floor(gen() * i) + 1
    p[i], p[j] = p[j], p[i]
  end
  return p
end

-- An epoch's visiting order of n examples: a permutation for (seed, epoch)
-- when shuffling, else 1..n (what a Lua data source's split:order keeps).
function lcg.order(n, shuffle, seed, epoch)
  if shuffle then return lcg.permutation(n, seed, epoch) end
  local p = {}
  for i = 1, n do p[i] = i end
  return p
end

return lcg
