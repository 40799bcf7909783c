-- Builds and trains a tiny regression net from Lua: y = sin(3 x) on [-1, 1],
-- once stepping the optimizer after each run and once giving it to the plan
-- (compile's optim), which steps it inside the backward pass: the same bits.
local vg = require "vaegraph"

local function train(fused)
  local g = vg.graph{ batch = 64, seed = 3 }
  local x, y = g:input("x", { 1 }), g:input("y", { 1 })
  local net = g:group "net"
  local f = vg.mlp(net, { 1, 32, 32, 1 }, nil, { act = vg.tanh })
  local pred = f(x)
  local loss = vg.mse(pred, y, { reduction = "mean", name = "loss" })
  assert(loss:name() == "loss", "node named through its options")
  assert(table.concat(pred:shape(), ",") == "64,1", "shape inferred: " .. table.concat(pred:shape(), ","))

  local opt = vg.core.optim(g.core, "adam", { lr = 1e-2 }, { net.id })
  local plan = g:compile{ name = "fit", loss = loss, update = { net }, optim = fused and opt or nil }
  local xs, ys = {}, {}
  local losses = {}
  for step = 1, 600 do
    for i = 1, 64 do
      local v = ((i * 37 + step * 11) % 64) / 32 - 1
      xs[i], ys[i] = v, math.sin(3 * v)
    end
    g.core:data(x.id, xs)
    g.core:data(y.id, ys)
    plan:run(step)
    if not fused then opt:step() end
    losses[step] = plan:value(loss.id)
  end
  if fused then
    local w = assert(g.core:find("net.fc1.weight"), "no parameter net.fc1.weight")
    local ok, err = pcall(plan.grad, plan, w)
    assert(not ok and err:find("applies its parameters' gradients during the backward pass"), "p:grad: " .. tostring(err))
    ok, err = pcall(opt.step, opt)
    assert(not ok and err:find("plan 'fit' takes this optimizer's steps"), "o:step() beside the plan: " .. tostring(err))
  end
  return losses
end

local apart, fused = train(false), train(true)
local first, last = apart[1], apart[#apart]
print(string.format("tiny regression: loss %.4f -> %.4f", first, last))
assert(first > 0.1, "initial loss suspiciously low: " .. first)
assert(last < 0.01, "did not learn: " .. last)
for step = 1, #apart do
  assert(fused[step] == apart[step], string.format("step %d: loss %.9g with the optimizer in the plan, %.9g after it",
                                                   step, fused[step], apart[step]))
end
print("ok")
