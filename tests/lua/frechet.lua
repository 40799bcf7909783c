-- Sample scores' arithmetic from Lua: moments of rows, the Fréchet
-- distance between their Gaussians (against a case worked by hand, and
-- against N(0, I)), and a plan's value copied into another graph's input.
local vg = require "vaegraph"
local core = vg.core

-- (1, 0), (-1, 0), (0, 2), (0, -2): mean 0, covariance diag(2/3, 8/3) (n - 1 = 3).
local a = core.moments(2)
a:add_values{ 1, 0, -1, 0, 0, 2, 0, -2 }
assert(a:count() == 4)
local want = (2 / 3 + 8 / 3) + 2 - 2 * (math.sqrt(2 / 3) + math.sqrt(8 / 3))
local d = core.frechet(a, "standard_normal")
assert(math.abs(d - want) < 1e-12, string.format("against N(0, I): %.15g, want %.15g", d, want))
-- The same rows shifted by (3, 4): the means' distance, 25, is added.
local b = core.moments(2)
b:add_values{ 4, 4, 2, 4, 3, 6, 3, 2 }
d = core.frechet(a, b)
assert(math.abs(d - 25) < 1e-9, string.format("shifted: %.15g, want 25", d))

-- What is refused, each with a message that says what.
local function fails(f, text)
  local ok, err = pcall(f)
  assert(not ok and tostring(err):find(text, 1, true), tostring(err))
end
fails(function() core.frechet(a, core.moments(3)) end, "dimensions 2 and 3 differ")
fails(function() a:add_values{ 1, 0 / 0 } end, "not finite")
fails(function() a:add_values{ 1, 2, 3 } end, "3 values are not rows of 2")
local one = core.moments(2)
one:add_values{ 1, 2 }
fails(function() core.frechet(one, a) end, "at least two vectors")
fails(function() core.moments(0) end, "outside 1..4096")
assert(a:count() == 4, "a refused row was counted")

-- A plan's value into another graph's input, scaled and shifted, and moments
-- taken straight from a plan.
local g = vg.graph{ batch = 3 }
local x = g:input("x", { 4 })
local y = vg.relu(x)
local p = g:compile{ name = "src", fetch = { y } }
g.core:data(x.id, { 1, -2, 3, 4, 5, 6, -7, 8, 9, 10, 11, 12 })
p:run(0)
local h = vg.graph{ batch = 3 }
local img = h:input("img", { 1, 2, 2 })
p:copy(y.id, h.core, img.id, 2, 0.5, 1)
local got = h.core:data(img.id)
local expect = { 1.5, 1, 2.5, 3, 3.5, 4, 1, 5 }
assert(#got == 8, "copied " .. #got .. " values, want 8")
for i = 1, 8 do assert(got[i] == expect[i], string.format("copied value %d: %g, want %g", i, got[i], expect[i])) end
fails(function() p:copy(y.id, h.core, h:input("wide", { 5 }).id, 2) end, "has 4 values")
local m = core.moments(4)
m:add(p, y.id, 3)
assert(m:count() == 3)
fails(function() m:add(p, y.id, 4) end, "count 4 is outside 0..3")
print("ok")
