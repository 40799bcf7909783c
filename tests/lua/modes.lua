-- Training and evaluation mode through compiled plans:
--  * batch norm's running statistics move by PyTorch's rule in a training
--    plan and stay put in an evaluation plan, which normalises with them;
--  * dropout drops in training and is the identity in evaluation;
--  * a phase updates its groups only: the statistics group is not trainable.
local vg = require "vaegraph"

local g = vg.graph{ batch = 4, seed = 5 }
local x = g:input("x", { 3 })
local net = g:group "net"
local bn = vg.batch_norm(net, "bn", 3)
local y = bn(x)
local d = vg.dropout(y, { p = 0.5, name = "drop" })
local loss = vg.mean(d * d, { name = "loss" })
local train = g:compile{ name = "train", loss = loss, update = { net } }
local eval = g:compile{ name = "eval", fetch = { y, d } }

local xs = { 1, 2, 3,  2, 4, 6,  3, 6, 9,  4, 8, 12 }   -- column means 2.5, 5, 7.5
g.core:data(x.id, xs)
train:run(1)
local mean = g.core:data(bn.mean.id)
local var = g.core:data(bn.var.id)
local function near(a, b, what) assert(math.abs(a - b) < 1e-5, string.format("%s: %.7g, want %.7g", what, a, b)) end
for c = 1, 3 do
  local m = 2.5 * c
  local unbiased = 0
  for r = 0, 3 do unbiased = unbiased + (xs[r * 3 + c] - m) ^ 2 end
  unbiased = unbiased / 3
  near(mean[c], 0.1 * m, "running_mean " .. c)
  near(var[c], 0.9 + 0.1 * unbiased, "running_var " .. c)
end

eval:run(1)
local after = g.core:data(bn.mean.id)
for c = 1, 3 do near(after[c], mean[c], "evaluation changed running_mean") end
local ye, de = eval:value(y.id), eval:value(d.id)
for i = 1, 12 do
  local c = (i - 1) % 3 + 1
  near(ye[i], (xs[i] - mean[c]) / math.sqrt(var[c] + 1e-5), "eval normalises with running stats, element " .. i)
  near(de[i], ye[i], "dropout is the identity in evaluation")
end

-- In training, dropout zeroes some entries and doubles the rest.
local td = g:compile{ name = "train_fetch", loss = loss, update = { net }, fetch = { d, y } }
td:run(7)
local dv, yv = td:value(d.id), td:value(y.id)
local zeros = 0
for i = 1, 12 do
  if dv[i] == 0 then zeros = zeros + 1 else near(dv[i], 2 * yv[i], "kept entries are scaled by 1/(1-p)") end
end
assert(zeros > 0 and zeros < 12, "dropout kept " .. (12 - zeros) .. " of 12")

-- Over many entries dropout keeps 1 - p of them, and the same ones at 1
-- and 2 threads (each draw feeds four entries: their positions must not
-- depend on how the loop is split).
do
  local h = vg.graph{ batch = 500, seed = 3 }
  local hx = h:input("hx", { 203 })
  local hd = vg.dropout(hx, { p = 0.3, name = "wide_drop" })
  local hp = h:compile{ name = "wide", loss = vg.sum(vg.flatten(hd)), wrt = { hx }, fetch = { hd } }
  local ones = {}
  for i = 1, 500 * 203 do ones[i] = 1 end
  h.core:data(hx.id, ones)
  local masks = {}
  for _, t in ipairs{ 1, 2 } do
    vg.core.threads(t)
    hp:run(4)
    masks[t] = hp:value(hd.id)
  end
  local kept = 0
  for i = 1, #ones do
    assert(masks[1][i] == masks[2][i], "dropout's mask differs at 1 and 2 threads at " .. i)
    if masks[1][i] ~= 0 then kept = kept + 1 end
  end
  local frac = kept / #ones
  assert(math.abs(frac - 0.7) < 0.005, string.format("dropout kept %.4f of the entries, want 0.7", frac))
end

-- The statistics group cannot be trained.
local state = g.groups[2]
assert(state.name == "net.state", state.name)
local ok, err = pcall(function() local p = g:compile{ name = "bad", loss = loss, update = { state } } return p end)
assert(not ok and err:find("inputs that take no gradient", 1, true), tostring(err))
-- Evaluation noise is keyed by the example: example 5 draws the same z in
-- row 0 of a batch starting at 5 as in row 2 of one starting at 3; and
-- reparam with eval = "mean" gives mu in evaluation.
do
  local g2 = vg.graph{ batch = 4, seed = 9 }
  local mu, lv = g2:input("mu", { 3 }), g2:input("lv", { 3 })
  local z = vg.reparam(mu, lv, { name = "z" })
  local zm = vg.reparam(mu, lv, { name = "zm", eval = "mean" })
  local p = g2:compile{ name = "eval", fetch = { z, zm } }
  g2.core:data(mu.id, { 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3 })
  g2.core:data(lv.id, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })
  p:run(100, 5)
  local a, m = p:value(z.id), p:value(zm.id)
  g2.core:data(mu.id, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })
  p:run(100, 3)
  local b = p:value(z.id)
  for j = 1, 3 do near(a[j], b[6 + j], "example 5's noise in another batch") end
  assert(a[1] ~= b[1], "another example draws other noise")
  for i = 1, 12 do near(m[i], math.floor((i - 1) / 3), "eval = mean gives mu") end
end
print("ok")
