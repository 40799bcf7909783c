-- Arithmetic on nodes: a number on either side is a scale (node + 1,
-- 1 - node, 2 * node), and a value per example meets every value of its
-- example, on either side of add, sub and mul.
local vg = require "vaegraph"

local g = vg.graph{ batch = 2 }
local x = g:input("x", { 3 })
local w = g:input("w", {})                  -- [2]: a value per example
local c = g:input("c", { 1 })               -- [2, 1]
local s = g:scalar("s")
local outs = { x + 1, 1 - x, x - 0.5, 2 * x, x * w, w + x, x - c, c - x, x * s }
for _, n in ipairs(outs) do assert(#n:shape() == 2 and n:shape()[1] == 2 and n:shape()[2] == 3, tostring(n)) end
-- Shapes that do not broadcast are refused at the line that combines them, naming both.
local y = g:input("y", { 2 })
local ok, err = pcall(function() local n = x + y return n end)
assert(not ok and err:find("arith.lua:15: add 'add_", 1, true) and err:find("'x' [2,3] and 'y' [2,2] do not broadcast", 1, true),
  tostring(err))
local p = g:compile{ name = "values", fetch = outs }
g.core:data(x.id, { 1, 2, 3, 4, 5, 6 })
g.core:data(w.id, { 10, 100 })
g.core:data(c.id, { 0.5, 0.25 })
g.core:data(s.id, { 3 })
p:run(1)
local X, W, C = { 1, 2, 3, 4, 5, 6 }, { 10, 100 }, { 0.5, 0.25 }
local want = {
  function(i) return X[i] + 1 end, function(i) return 1 - X[i] end, function(i) return X[i] - 0.5 end,
  function(i) return 2 * X[i] end, function(i, r) return X[i] * W[r] end, function(i, r) return W[r] + X[i] end,
  function(i, r) return X[i] - C[r] end, function(i, r) return C[r] - X[i] end, function(i) return 3 * X[i] end,
}
for k, n in ipairs(outs) do
  local v = p:value(n.id)
  for i = 1, 6 do
    local r = math.floor((i - 1) / 3) + 1
    assert(v[i] == want[k](i, r), string.format("output %d (%s) element %d: %g, want %g", k, tostring(n), i, v[i], want[k](i, r)))
  end
end

print("ok")
