-- The judge of samples: a small convolutional classifier trained on the
-- image data (graphs/classifier.lua), whose penultimate layer's 128
-- features describe an image the way FID's Inception features do. A
-- model's samples are scored against the test images through it
-- (train/quality.lua): the Fréchet distance between their features'
-- Gaussians, and the spread of the classes it sees in them.
--
-- The judge's checkpoint is made once: `--judge FILE` names one, else
-- out/judge/checkpoint.safetensors is used when it is graphs/classifier.lua's
-- full default run on data with the same test set, and trained there (a
-- few minutes) when not. (A folder of its own: a quick classifier.lua run
-- into out/classifier must not become the judge.)
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local judge = {}

judge.FEATURES = 128
judge.CACHE = "out/judge"
judge.DEFAULTS = { epochs = 10, batch = 128, lr = 1e-3, dropout = 0.5 }

-- The network, in graph g, for images of data.shape {C, H, W} and
-- data.classes classes: two 3x3 convolutions (32 and 64 channels), each
-- halving the image by a 2x2 max-pool, then 128 ReLU features, dropout and
-- the class logits. Returns { x, features, logits, group }.
function judge.network(vg, g, data, dropout)
  local C, H, W = data.shape[1], data.shape[2], data.shape[3]
  if not (C and H and W) or H % 4 ~= 0 or W % 4 ~= 0 then
    errors.fail("the judge halves images twice, so their sides must be multiples of 4; %s has %sx%s images", data.name,
      tostring(H), tostring(W))
  end
  local grp = g:group "classifier"
  local x = g:input("x", { C, H, W })
  local v = vg.maxpool2d(vg.conv2d(grp, "classifier.conv1", C, 32, 3, { padding = 1, act = "relu" })(x))
  v = vg.maxpool2d(vg.conv2d(grp, "classifier.conv2", 32, 64, 3, { padding = 1, act = "relu" })(v))
  local features = vg.relu(vg.linear(grp, "classifier.fc1", 4 * H * W, judge.FEATURES)(vg.flatten(v)))
  local logits = vg.linear(grp, "classifier.fc2", judge.FEATURES, data.classes)(vg.dropout(features, { p = dropout }))
  return { x = x, features = features, logits = logits, group = grp }
end

-- The classifier's experiment (graphs/classifier.lua runs it; the judge
-- runs it in-process when it has no checkpoint): cross-entropy with Adam;
-- the test accuracy and cross-entropy each epoch.
function judge.experiment(vg, data, opt)
  local g = vg.graph{ batch = opt.batch, seed = opt.seed }
  local net = judge.network(vg, g, data, opt.dropout)
  local y, label = g:input("y", { data.classes }), g:input("label", {})
  local ce = vg.cross_entropy(net.logits, label, { reduction = "mean", name = "ce" })
  local right = vg.per_example(vg.one_hot(vg.argmax(net.logits), { classes = data.classes }) * y)
  return {
    not_likelihood = "a classifier models p(y|x), not p(x)",
    graph = g,
    data = data,
    epochs = opt.epochs,
    feed = { x = "image", y = "onehot", label = "label" },
    phases = { { "train", loss = ce, update = { net.group }, optim = vg.adam{ lr = opt.lr } } },
    eval = { test_accuracy = vg.mean(right, { name = "accuracy" }), test_ce = ce },
  }
end

-- The judge must have been trained on images like the run's: the same
-- test set (the training set may differ, e.g. in which images keep labels).
local function test_set(fingerprint) return (fingerprint or ""):match("test [^;]*$") or fingerprint or "" end

-- The judge for a run's data, ready to score: { graph, x, features,
-- classes, plan }, its batch the run's. Trains and caches one when the run
-- names none and the cache holds none for this data.
function judge.load(vg, run)
  local data, path = run.data, run.opt.judge
  if data.kind ~= "images" then errors.fail("--quality judges images; this script's data are %s", tostring(data.kind)) end
  if not path then
    path = judge.CACHE .. "/checkpoint.safetensors"
    local ok, m = pcall(core.checkpoint_meta, path, { "data", "script", "epoch", "limit" })
    if not (ok and m.script == "classifier.lua" and test_set(m.data) == test_set(data.fingerprint) and
            tonumber(m.epoch) == judge.DEFAULTS.epochs and m.limit == "") then
      local full = vg.images{ dir = run.opt.data }
      if test_set(full.fingerprint) ~= test_set(data.fingerprint) then
        errors.fail("--quality: this script's test set is not that of the files in %s, on which a judge would be trained; give one with --judge FILE",
          tostring(run.opt.data or "the default folder"))
      end
      if not run.opt.quiet then
        print(string.format("no judge for %s at %s: training one (graphs/classifier.lua's defaults)", data.name, path))
      end
      -- The run's own thread count (--threads), and back to it afterwards.
      local opt = { out = judge.CACHE, seed = 1, quiet = run.opt.quiet, script = "classifier.lua", threads = run.opt.threads }
      for k, v in pairs(judge.DEFAULTS) do opt[k] = v end
      local threads = core.threads()
      require("vaegraph.train").run(vg, judge.experiment(vg, full, opt), opt)
      core.threads(threads)
    end
  end
  local g = vg.graph{ batch = run.batch, seed = 1 }
  local net = judge.network(vg, g, data, 0)
  local classes = vg.argmax(net.logits)
  local ok, m = pcall(core.load, path, g.core, {}, { "data", "script" })
  if not ok then errors.fail("the judge %s cannot be read: %s", path, tostring(m):gsub("^.-" .. path:gsub("%p", "%%%0") .. ": ", "")) end
  if test_set(m.data) ~= test_set(data.fingerprint) then
    errors.fail("the judge %s was trained on data whose %s; this run's %s", path, m.data ~= "" and test_set(m.data) or "fingerprint is missing",
      test_set(data.fingerprint))
  end
  return { graph = g, x = net.x, features = net.features, classes = classes, count = data.classes,
           plan = g:compile{ name = "judge", fetch = { net.features, classes } } }
end

return judge
