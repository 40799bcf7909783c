-- The seams a user extends vaegraph through, each used as a user would:
-- gradients read from Lua (p:grad, vg.gradcheck) for a loss written in
-- Lua; a data format read in Lua (vg.core.imageset and the image source
-- around it); a picture of one's own; scores and a metric from them.
-- Usage: extend.lua OUT_DIR
local vg = require "vaegraph"
local images = require "vaegraph.data.images"
local out = assert(arg[1], "usage: extend.lua OUT_DIR")

local function near(a, b, tol, what) assert(math.abs(a - b) <= tol, string.format("%s: %.9g, want %.9g", what, a, b)) end

-- 1. Gradients. A loss from ops, checked against central differences with
-- respect to an input, a parameter whose group no phase updates, and an op
-- node in the middle.
do
  local g = vg.graph{ batch = 4, seed = 3 }
  local x = g:input("x", { 3 })
  local other = g:input("other", { 3 })
  local fixed = g:group "fixed"
  local w = g:param(fixed, "w", { 3, 3 }, "normal", 0, 0.5)
  local h = vg.tanh(vg.op.linear(x, w), { name = "h" })
  local loss = vg.mean(vg.softplus(h) * vg.softplus(h), { name = "loss" })
  g.core:data(x.id, { 0.1, -0.4, 0.7, 1.2, -0.3, 0.5, 0.2, 0.9, -1.1, 0.4, 0.6, -0.8 })
  local err, where = vg.gradcheck{ loss = loss, wrt = { x, w } }
  assert(err < 5e-3, "gradcheck: " .. tostring(where))
  local ok, msg = pcall(function() local e = vg.gradcheck{ loss = loss, wrt = { h } } return e end)
  assert(not ok and msg:find("vg.gradcheck: 'h' is a tanh node", 1, true), msg)
  -- d loss / d h by hand: 2 softplus(h) sigmoid(h) / 12.
  local p = g:compile{ name = "by_hand", loss = loss, wrt = { h }, fetch = { h } }
  p:run(1)
  local hv, dh = p:value(h.id), p:grad(h.id)
  for i = 1, 12 do
    local sp, sg = math.log(1 + math.exp(hv[i])), 1 / (1 + math.exp(-hv[i]))
    near(dh[i], 2 * sp * sg / 12, 1e-6, "d loss / d h[" .. i .. "]")
  end
  ok, msg = pcall(function() local v = p:grad(x.id) return v end)
  assert(not ok and msg:find("extend.lua:36: plan 'by_hand' keeps no gradient of 'x': compile it with wrt = {node}", 1, true), msg)
  -- A node that cannot reach the loss has no gradient to keep.
  ok, msg = pcall(function() local q = g:compile{ name = "bad", loss = loss, wrt = { other } } return q end)
  assert(not ok and msg:find("input 'other' (asked for in wrt) does not reach loss 'loss'", 1, true), msg)
end

-- 2. A data format read in Lua: 64 images of 4x4 bytes, a bright square in
-- one of four corners by class.
local function corner_images(n)
  local px, labels = {}, {}
  for i = 0, n - 1 do
    local k = i % 4
    for y = 0, 3 do
      for x = 0, 3 do
        local on = (y < 2) == (k < 2) and (x < 2) == (k % 2 == 0)
        px[#px + 1] = string.char(on and 230 or 10 + (i * 7 + y * 4 + x) % 20)
      end
    end
    labels[i + 1] = k
  end
  return vg.core.imageset{ n = n, channels = 1, height = 4, width = 4, pixels = table.concat(px), labels = labels }
end
local data = images.source("corners", "corners", corner_images(64), corner_images(16), { classes = { 0, 1, 2 } },
  { "top-left", "top-right", "bottom-left", "bottom-right" })
assert(data.size == 16 and data.train:size() == 48 and data.test:size() == 12, "three of four corners kept")

-- 3. A picture of one's own, and scores with a metric from them.
local drawn = 0
vg.pictures.register("first_input", {
  keys = { "input" },
  prepare = function(run, show)
    if not show.input then return nil end
    return { x = show.input, plan = run.graph:compile{ name = "first", fetch = { show.input } } }
  end,
  draw = function(run, s)
    vg.pictures.fill_test(run, 0, 1)
    s.plan:run(1)
    vg.pictures.grid(run, run.out .. "/first_input.png", { { s.plan, s.x, 0, 1 } }, 1)
    drawn = drawn + 1
  end,
})

vg.opts = { epochs = 2, out = out, quiet = true, seed = 1 }
local g = vg.graph{ batch = 8, seed = 1 }
local x = g:input("x", { data.size })
local net = g:group "net"
local xhat = vg.mlp(net, { 16, 4, 16 }, vg.sigmoid)(x)
local per = vg.per_example(vg.bce(xhat, x, { reduction = "none" }))
local run = vg.train{
  graph = g, data = data, feed = { x = "image" },
  phases = { { "train", loss = vg.bce(xhat, x, { reduction = "batchmean" }), update = { net }, optim = vg.adam{ lr = 1e-2 } } },
  eval = { test_rec = vg.bce(xhat, x, { reduction = "batchmean" }) },
  scores = { rec = per },
  score_metrics = { mean_rec = function(s) return vg.stats.mean(s.rec) end,
                    auroc_top_left = function(s)
                      local pos = {}
                      for i, l in ipairs(s.label) do pos[i] = l == 0 end
                      return vg.stats.auroc(s.rec, pos)
                    end },
  show = { input = x, reconstruction = xhat },
}
assert(drawn == 2, "the picture is drawn every epoch, got " .. drawn)
assert(io.open(out .. "/first_input.png") and io.open(out .. "/curves.png") and io.open(out .. "/reconstructions.png"), "pictures")
local row = run.rows[2]
near(row.mean_rec, row.test_rec, 1e-4 * row.test_rec, "the mean of the scores is the test metric")
assert(row.auroc_top_left >= 0 and row.auroc_top_left <= 1, "auroc in [0, 1]")

-- stats against cases worked by hand.
near(vg.stats.auroc({ 0.1, 0.4, 0.35, 0.8 }, { false, false, true, true }), 0.75, 1e-12, "auroc")
near(vg.stats.auroc({ 1, 1, 1, 1 }, { false, true, false, true }), 0.5, 1e-12, "auroc with ties")
near(vg.stats.average_precision({ 0.1, 0.4, 0.35, 0.8 }, { false, false, true, true }), (1 + 2 / 3) / 2, 1e-12, "average precision")
-- Ties across the classes: positives 0.4 and 0.8, negatives 0.1, 0.4, 0.4.
-- Pairs: 0.4 beats 0.1 and ties the two 0.4s (1 + 0.5 + 0.5); 0.8 beats all
-- three; 5 of 6. Average precision: 0.8 first (precision 1), then the tied
-- group of three 0.4s brings the other positive (2 of 4).
local tied, pos = { 0.1, 0.4, 0.4, 0.8, 0.4 }, { false, true, false, true, false }
near(vg.stats.auroc(tied, pos), 5 / 6, 1e-12, "auroc with ties across classes")
near(vg.stats.average_precision(tied, pos), (1 + 2 / 4) / 2, 1e-12, "average precision with a tied group")
local fpr, tpr = vg.stats.roc(tied, pos)
assert(#fpr == 4 and fpr[2] == 0 and tpr[2] == 0.5 and fpr[3] == 2 / 3 and tpr[3] == 1 and fpr[4] == 1,
  "roc: a point per tied group")
print("ok")
