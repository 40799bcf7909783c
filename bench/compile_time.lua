-- Graph building and compiling time against the node count: a chain of
-- relu(v * w + x) layers, 3 nodes each, from 1,500 to 24,000 nodes. Up to
-- 4,096 buffers (1,500 nodes here) runtime/place.c also tries its quadratic
-- largest-first placement; above, only the linear sweep runs.
--   vaegraph bench/compile_time.lua
local vg = require "vaegraph"
for _, n in ipairs{ 500, 1000, 2000, 4000, 8000 } do
  local g = vg.graph{ batch = 4 }
  local grp = g:group "p"
  local x = g:input("x", { 8 })
  local w = g:param(grp, "w", { 4, 8 }, "zeros")
  local v = x
  local t0 = vg.core.clock()
  for _ = 1, n do v = vg.relu(v * w + x) end
  local t1 = vg.core.clock()
  g:compile{ name = "t", loss = vg.sum(vg.flatten(v)), update = { grp } }
  local t2 = vg.core.clock()
  print(string.format("%5d nodes: build %.3f s, compile %.3f s", 3 * n, t1 - t0, t2 - t1))
end
