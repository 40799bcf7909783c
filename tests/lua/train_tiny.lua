-- Builds and trains a tiny regression net from Lua: y = sin(3 x) on [-1, 1].
local vg = require "vaegraph"

local g = vg.graph{ batch = 64, seed = 3 }
local x, y = g:input("x", { 1 }), g:input("y", { 1 })
local net = g:group "net"
local f = vg.mlp(net, { 1, 32, 32, 1 }, nil, { act = vg.tanh })
local pred = f(x)
local loss = vg.mse(pred, y, { reduction = "mean", name = "loss" })
assert(loss:name() == "loss", "node named through its options")
assert(table.concat(pred:shape(), ",") == "64,1", "shape inferred: " .. table.concat(pred:shape(), ","))

local plan = g:compile{ name = "fit", loss = loss, update = { net } }
local opt = vg.core.optim(g.core, "adam", { lr = 1e-2 }, { net.id })
local xs, ys = {}, {}
local first, last
for step = 1, 600 do
  for i = 1, 64 do
    local v = ((i * 37 + step * 11) % 64) / 32 - 1
    xs[i], ys[i] = v, math.sin(3 * v)
  end
  g.core:data(x.id, xs)
  g.core:data(y.id, ys)
  plan:run(step)
  opt:step()
  local l = plan:value(loss.id)
  first = first or l
  last = l
end
print(string.format("tiny regression: loss %.4f -> %.4f", first, last))
assert(first > 0.1, "initial loss suspiciously low: " .. first)
assert(last < 0.01, "did not learn: " .. last)
print("ok")
