-- One LSTM op over the whole sequence against the same LSTM unrolled into a
-- node per time step (the op run for one step, its state fed to the next),
-- forward and backward, same sizes as the sentence VAE's encoder. Why the
-- runtime's recurrent layers are single ops.
--   vaegraph bench/rnn_unrolled.lua [--steps 40] [--runs 20] [--threads 2]
local vg = require "vaegraph"
local opt = vg.options{ steps = 40, runs = 20, batch = 32, embed = 300, hidden = 256 }
local B, T, E, H = opt.batch, opt.steps, opt.embed, opt.hidden

local function timed(name, g, loss, group, fill)
  local plan = g:compile{ name = name, loss = loss, update = { group } }
  fill()
  plan:run(1) -- warm up
  local t0 = vg.core.clock()
  for i = 1, opt.runs do plan:run(i + 1) end
  local ms = (vg.core.clock() - t0) / opt.runs * 1000
  print(string.format("%-9s %7.2f ms per forward + backward (%d nodes)", name, ms, plan:stats().forward))
  return ms
end

local function fill_inputs(g, x, lengths, len)
  return function()
    local xs, ls = {}, {}
    for i = 1, B * T * E do xs[i] = math.sin(i) end
    for b = 1, B do ls[b] = len end
    g.core:data(x.id, xs)
    g.core:data(lengths.id, ls)
  end
end

-- The op over all T steps.
local g1 = vg.graph{ batch = B, seed = 1 }
local x1, len1 = g1:input("x", { T, E }), g1:input("lengths", {})
local m1 = g1:group "m"
local fused = timed("fused", g1, vg.sum(vg.lstm(m1, "rnn", E, H)(x1, len1)), m1, fill_inputs(g1, x1, len1, T))

-- A node per step: slice step t, run one step from the last state.
local g2 = vg.graph{ batch = B, seed = 1 }
local x2, ones = g2:input("x", { T, E }), g2:input("lengths", {})
local m2 = g2:group "m"
local rnn = vg.lstm(m2, "rnn", E, H)
local h, c, total
for t = 1, T do
  local xt = vg.slice(x2, { axis = 1, start = t - 1, len = 1 })
  local state = rnn(xt, ones, { h0 = h, c0 = c, output = "state" })
  h = vg.slice(state, { axis = 1, start = 0, len = H })
  c = vg.slice(state, { axis = 1, start = H, len = H })
  total = total and (total + vg.sum(h)) or vg.sum(h)
end
local unrolled = timed("unrolled", g2, total, m2, fill_inputs(g2, x2, ones, 1))
print(string.format("unrolled / fused: %.2fx", unrolled / fused))
