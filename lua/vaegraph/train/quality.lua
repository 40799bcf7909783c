-- --quality: how good a model's samples are, after every epoch, as numbers
-- that agree with its pictures. The decoder draws as many samples as the
-- test set has images, from the prior (show.z and show.decoded, as
-- samples.png; show.condition cycles through the classes), and the judge
-- (judge.lua) looks at both sets:
--   sample_fd        Fréchet distance between the judge's features of the
--                    samples and of the test images (FID's formula; lower
--                    is better, 0 for the same distribution)
--   sample_classes   entropy in nats of the classes the judge sees in the
--                    samples: ln 10 = 2.303 when ten appear equally
--   sample_accuracy  conditional models: how often the judge sees the class
--                    the sample was asked for
-- and, for a model with codes (show.code), code_fd: the Fréchet distance in
-- the latent space between the test images' codes and draws from the prior
-- (show.prior, else N(0, I)), 0 when the codes take the prior's shape.
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local judge_ = require "vaegraph.judge"
local samples = require "vaegraph.pictures.samples"
local quality = {}

-- Keys of the sample draws (the same every epoch) and of the prior draws
-- code_fd compares with.
quality.KEY = 2 ^ 44
quality.PRIOR_KEY = 2 ^ 44 + 2 ^ 30

-- Prepared before training: nil without --quality; else the plans and the
-- metric names (the columns of metrics.csv).
function quality.compile(run, spec)
  if not run.opt.quality then return nil end
  local show = spec.show or {}
  local q = { names = {}, sampler = samples.decoder(run, show) }
  if q.sampler then
    q.names = { "sample_fd", "sample_classes" }
    if q.sampler.condition then q.names[#q.names + 1] = "sample_accuracy" end
  end
  if show.code then
    q.code = show.code
    q.code_plan = run.graph:compile{ name = "quality codes", fetch = { show.code } }
    if show.prior then q.prior, q.prior_plan = show.prior, run.graph:compile{ name = "quality prior", fetch = { show.prior } } end
    q.names[#q.names + 1] = "code_fd"
  end
  if #q.names == 0 then
    errors.fail("--quality scores samples (show.z and show.decoded) or codes (show.code); this script shows neither")
  end
  if run.opt.save_samples and not q.sampler then errors.fail("--save-samples: this script draws no samples") end
  return q
end

-- The test images' features, once a run: they do not change.
local function test_moments(run, j)
  local m = core.moments(judge_.FEATURES)
  local test = run.data.test
  test:order(false, 0, 0)
  for first = 0, run.ntest - 1, run.batch do
    local count = math.min(run.batch, run.ntest - first)
    test:fill("image", j.graph, j.x.id, first, count)
    j.plan:run(0)
    m:add(j.plan, j.features.id, count)
  end
  return m
end

-- Tallies of what the judge saw in a set of samples.
local function tally(j)
  local t = { moments = core.moments(judge_.FEATURES), counts = {}, right = 0, n = 0 }
  for c = 0, j.count - 1 do t.counts[c] = 0 end
  return t
end

-- The judge on the `count` images in its input; asked(r), when given, is the
-- class row r was drawn for.
local function judge_batch(j, t, count, asked)
  j.plan:run(0)
  t.moments:add(j.plan, j.features.id, count)
  local seen = j.plan:value(j.classes.id)
  if type(seen) == "number" then seen = { seen } end
  for r = 0, count - 1 do
    local c = seen[r + 1]
    t.counts[c] = t.counts[c] + 1
    if asked and c == asked(r) then t.right = t.right + 1 end
  end
  t.n = t.n + count
end

-- The scores of a tally against the test images' features.
local function scores(j, t, test_features, metrics, conditional)
  metrics.sample_fd = core.frechet(t.moments, test_features)
  local h = 0
  for c = 0, j.count - 1 do
    if t.counts[c] > 0 then h = h - t.counts[c] / t.n * math.log(t.counts[c] / t.n) end
  end
  metrics.sample_classes = h
  if conditional then metrics.sample_accuracy = t.right / t.n end
  return metrics
end

local function sample_scores(run, q, metrics)
  local j, s, n = q.judge, q.sampler, run.ntest
  local t = tally(j)
  local scale, shift = 1 / (run.hi - run.lo), -run.lo / (run.hi - run.lo)
  local shape, bytes = j.x:shape(), nil
  if run.opt.save_samples then bytes = core.image_bytes(n, { shape[3], shape[4] }) end
  for b = 0, math.ceil(n / run.batch) - 1 do
    local first = b * run.batch
    local count = math.min(run.batch, n - first)
    local asked = function(r) return (first + r) % j.count end
    samples.draw_prior(run, s, quality.KEY + b)
    samples.set_condition(run, s, asked)
    s.plan:run(quality.KEY + b)
    s.plan:copy(s.decoded.id, j.graph.core, j.x.id, count, scale, shift)
    if bytes then bytes:add(s.plan, s.decoded.id, count, scale, shift) end
    judge_batch(j, t, count, asked)
  end
  if bytes then bytes:save(run.out .. "/samples-idx3-ubyte") end
  scores(j, t, q.test_features, metrics, s.condition)
end

local function code_fd(run, q)
  local dim = q.code:per_example()
  local codes = core.moments(dim)
  local test = run.data.test
  test:order(false, 0, 0)
  for first = 0, run.ntest - 1, run.batch do
    local count = math.min(run.batch, run.ntest - first)
    run.fill(test, first, count)
    q.code_plan:run(quality.KEY)
    codes:add(q.code_plan, q.code.id, count)
  end
  if not q.prior then return core.frechet(codes, "standard_normal") end
  local prior = core.moments(dim)
  for b = 0, math.ceil(run.ntest / run.batch) - 1 do
    run.graph:run_prior(q.prior_plan, quality.PRIOR_KEY + b)
    prior:add(q.prior_plan, q.prior.id, math.min(run.batch, run.ntest - b * run.batch))
  end
  return core.frechet(codes, prior)
end

-- Once the run has its data, before training: the judge (trained first
-- when there is none), so that a wrong one stops the run at once, and the
-- test images' features.
function quality.prepare(run, q)
  if not q then
    if run.opt.save_samples or run.opt.judge then errors.fail("--save-samples and --judge go with --quality") end
    return
  end
  -- IDX holds grey images, [n, height, width].
  if run.opt.save_samples and run.image and run.image.channels ~= 1 then
    errors.fail("--save-samples writes IDX files, which hold grey images; these have %d channels", run.image.channels)
  end
  if not q.sampler then return end
  q.judge = judge_.load(run.vg, run)
  q.test_features = test_moments(run, q.judge)
end

-- Scores a set of images made elsewhere (an image set: core.idx_images):
-- bench/score_samples.lua, for samples another program wrote. `run` needs
-- vg, data, opt, batch and ntest.
function quality.score_set(run, set)
  local j = judge_.load(run.vg, run)
  local test_features = test_moments(run, j)
  local info, t = set:info(), tally(j)
  local shape = j.x:shape()
  if info.channels ~= shape[2] or info.height ~= shape[3] or info.width ~= shape[4] then
    errors.fail("the samples are %dx%dx%d images, the judge's %dx%dx%d", info.channels, info.height, info.width, shape[2],
      shape[3], shape[4])
  end
  for first = 0, info.n - 1, run.batch do
    local count = math.min(run.batch, info.n - first)
    set:pixels(j.graph.core, j.x.id, first, count, 1 / 255, 0)
    judge_batch(j, t, count)
  end
  return scores(j, t, test_features, {})
end

-- The metrics after an epoch, added to `result` (made when nil).
function quality.run(run, q, result)
  if not q then return result end
  result = result or { metrics = {}, columns = {} }
  local t0 = core.clock()
  if q.sampler then sample_scores(run, q, result.metrics) end
  if q.code then result.metrics.code_fd = code_fd(run, q) end
  if not run.opt.quiet then print(string.format("sample scores in %.1f s", core.clock() - t0)) end
  return result
end

return quality
