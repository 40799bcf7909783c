-- Exact resume and NaN handling, on a small IDX data set this test writes.
--  1. 2 epochs straight and 1 epoch + resume for 1 more give byte-identical
--     checkpoints (parameters, optimizer moments and steps, metadata).
--  2. A loss weight that turns NaN at step 5 stops training with an error
--     naming the step, the phase and the first bad node, and the checkpoint
--     of epoch 1 stays as it was.
local vg = require "vaegraph"
local dir = assert(arg[1], "usage: resume.lua TMPDIR")

local function u32(n) return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256) end
local function write(path, bytes) local f = assert(io.open(path, "wb")); f:write(bytes); f:close() end
local n = 48
local img, lab = {}, {}
for i = 0, n - 1 do
  for j = 0, 63 do img[#img + 1] = string.char((j % 8 == i % 8 or math.floor(j / 8) == i % 5) and 230 or 10) end
  lab[#lab + 1] = string.char(i % 8)
end
for _, split in ipairs{ "train", "t10k" } do
  write(dir .. "/" .. split .. "-images-idx3-ubyte", "\0\0\8\3" .. u32(n) .. u32(8) .. u32(8) .. table.concat(img))
  write(dir .. "/" .. split .. "-labels-idx1-ubyte", "\0\0\8\1" .. u32(n) .. table.concat(lab))
end

local function run(opts, weight)
  vg.opts = opts
  local g = vg.graph{ batch = 16, seed = 1 }
  local x = g:input("x", { 64 })
  local enc, dec = g:group "encoder", g:group "decoder"
  local h = vg.mlp(enc, { 64, 32, 8 }, nil, { prefix = "enc" })(x)
  local mu, logvar = vg.slice(h, { axis = 1, start = 0, len = 4 }), vg.slice(h, { axis = 1, start = 4, len = 4 })
  local xhat = vg.mlp(dec, { 4, 32, 64 }, vg.sigmoid, { prefix = "dec" })(vg.reparam(mu, logvar))
  local w = g:scalar "kl_weight"
  local loss = vg.bce(xhat, x, { reduction = "batchmean" }) + vg.kl_normal(mu, logvar, { reduction = "batchmean" }) * w
  return vg.train{ graph = g, data = vg.mnist{ dir = dir }, feed = { x = "image" },
    phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = 1e-2 } } },
    weights = { kl_weight = weight or vg.schedule.linear{ steps = 5 } }, eval = { test_loss = loss } }
end

local function slurp(path) local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s end

run{ epochs = 2, out = dir .. "/straight", quiet = true, seed = 7 }
run{ epochs = 1, out = dir .. "/resumed", quiet = true, seed = 7 }
run{ epochs = 2, out = dir .. "/resumed", quiet = true, seed = 1, resume = dir .. "/resumed/checkpoint.safetensors" }
local a, b = slurp(dir .. "/straight/checkpoint.safetensors"), slurp(dir .. "/resumed/checkpoint.safetensors")
assert(#a > 1000 and a == b, "resumed checkpoint differs from the uninterrupted one")
assert(slurp(dir .. "/straight/metrics.csv"):gsub(",[%d.e+]+\n", "\n") == slurp(dir .. "/resumed/metrics.csv"):gsub(",[%d.e+]+\n", "\n"),
  "metrics (but for speed) differ after resume")

local nan_at_5 = setmetatable({}, { __call = function(_, step) return step >= 5 and 0 / 0 or 1 end })
local before
local ok, err = pcall(function()
  run({ epochs = 3, out = dir .. "/nan", quiet = true, seed = 7 }, setmetatable({}, { __call = function(_, step)
    if step == 4 then before = slurp(dir .. "/nan/checkpoint.safetensors") end
    return nan_at_5(step)
  end }))
end)
assert(not ok, "a NaN loss did not stop training")
assert(err:find("run 'train', step 5: output of mul 'mul_", 1, true), "unexpected message: " .. err)
assert(err:find("resume.lua:32:", 1, true), "message does not name the script line: " .. err)
assert(slurp(dir .. "/nan/checkpoint.safetensors") == before, "the last good checkpoint changed")
print("ok")
