-- Errors raised from C name this script's line and say what is wrong.
-- (The closures below avoid tail calls, which leave no frame to name.)
local vg = require "vaegraph"

local function expect(fn, want)
  local ok, err = pcall(fn)
  assert(not ok, "no error; wanted: " .. want)
  if not tostring(err):find(want, 1, true) then
    error(string.format("\n  got  %s\n  want %s", tostring(err), want), 2)
  end
end

local g = vg.graph{ batch = 256 }
local x = g:input("x", { 400 })
local enc = g:group "encoder"
local fc2 = vg.linear(enc, "encoder.fc2", 1000, 150)
expect(function() local n = fc2(x) return n end,
  "errors.lua:17: linear 'encoder.fc2': input has 400 features, weight expects 1000 (input [256,400], weight 'encoder.fc2.weight' [150,1000])")
expect(function() local n = vg.leaky_relu(x, { slop = 0.2 }) return n end,
  "errors.lua:19: leaky_relu: unknown option 'slop' (valid: slope)")
expect(function() return vg.relu(42) end, "relu input 1 must be a node, got number")
expect(function() return vg.graph{ batchsize = 3 } end, "vg.graph: unknown option 'batchsize' (valid: batch, seed)")
expect(function() return vg.core.idx_images("/nonexistent/file") end, "/nonexistent/file: cannot open: No such file or directory")
local h = vg.relu(x)
expect(function() local p = g:compile{ name = "train", loss = h, update = { enc } } return p end,
  "errors.lua:24: compile 'train': loss 'relu_3' must be a scalar, but its shape is [256,400]")
-- Layers and their calls refuse misspelt options, at the script's line.
expect(function() local c = vg.conv2d(enc, "c", 1, 2, 3, { strdie = 2 }) return c end,
  "errors.lua:28: vg.conv2d: unknown option 'strdie' (valid: stride, padding, bias, act)")
local rnn = vg.lstm(enc, "rnn", 400, 8)
local lengths = g:input("lengths", {})
expect(function() local n = rnn(vg.reshape(x, { dims = { 256, 4, 100 } }), lengths, { outptu = "last" }) return n end,
  "errors.lua:32: rnn: unknown option 'outptu' (valid: h0, c0, output)")
-- Errors the Lua library raises name this script's line too, never a file
-- inside lua/.
local function expect_here(fn, want)
  local ok, err = pcall(fn)
  assert(not ok, "no error; wanted: " .. want)
  err = tostring(err)
  if not err:find(want, 1, true) or err:find("lua/vaegraph", 1, true) then
    error(string.format("\n  got  %s\n  want %s (and no lua/vaegraph path)", err, want), 2)
  end
end
expect_here(function() local d = vg.mnist{ dir = "/nonexistent" } return d end,
  "errors.lua:44: /nonexistent: no MNIST-format files")
expect_here(function() local l = vg.mlp(enc, { 4, 2 }, nil, { actt = vg.relu }) return l end,
  "errors.lua:46: vg.mlp: unknown option 'actt' (valid: act, prefix)")
expect_here(function() local n = vg.reparm(x, x) return n end, "errors.lua:48: vg.reparm does not exist (did you mean vg.reparam?)")
expect_here(function() local o = vg.adam{ learning_rate = 1 } return o end,
  "errors.lua:49: vg.adam: unknown option 'learning_rate' (valid: lr, momentum, nesterov, beta1, beta2, alpha, eps, weight_decay)")
expect_here(function() local s = vg.schedule.linear{ step = 3 } return s end, "errors.lua:51: schedule.linear: unknown option 'step'")
-- An input that nothing set is refused, named where it was declared,
-- instead of being read as zeros (a loss weight without a schedule).
local g2 = vg.graph{ batch = 2 }
local u = g2:input("u", { 3 })
local beta = g2:scalar("beta")
local weighted = vg.mean(u * u) * beta
local p2 = g2:compile{ name = "train", loss = weighted }
g2.core:data(u.id, { 1, 2, 3, 4, 5, 6 })
expect(function() p2:run(1) end, "errors.lua:56: run 'train': input 'beta' (read by 'mul_")
g2.core:set_scalar(beta.id, 0.5)
p2:run(1)
assert(math.abs(p2:value(weighted) - 0.5 * 91 / 6) < 1e-5, "the weighted loss once beta is set")
-- A prior draws as many rows as the batch has now (its graph's first
-- input): a partial batch, or one rank's share under mpirun.
local g3 = vg.graph{ batch = 8 }
local x3 = g3:input("x", { 2 })
local z3 = g3:prior(2, { name = "pz" })
local p3 = g3:compile{ name = "draw", fetch = { z3 } }
g3.core:set_shape(x3.id, { 3, 2 })
g3.core:data(x3.id, { 1, 2, 3, 4, 5, 6 })
p3:run(1)
assert(#p3:value(z3) == 6 and table.concat(z3:shape(), ",") == "3,2", "prior rows follow the batch: " .. #p3:value(z3))
-- A plan's optimizer (compile's optim) must be one.
local mean = vg.mean(vg.linear(enc, "encoder.fc9", 400, 2)(x))
expect(function() local p = g:compile{ name = "train", loss = mean, update = { enc }, optim = {} } return p end,
  "errors.lua:76: compile 'train': optim must be an optimizer (vg.core.optim), not a table")
print("ok")
