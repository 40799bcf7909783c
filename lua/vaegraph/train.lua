-- The trainer, vg.train{...}: checks the spec, compiles a plan per phase,
-- then runs epochs of steps (train/epoch.lua), an evaluation on the test
-- set after each (train/evaluate.lua), and writes what a run leaves behind
-- (train/report.lua: metrics.csv, test_scores.csv, the checkpoint; and the
-- pictures, pictures.lua). A run resumes from a checkpoint exactly
-- (train/resume.lua).
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local pictures = require "vaegraph.pictures"
local epoch_ = require "vaegraph.train.epoch"
local evaluate = require "vaegraph.train.evaluate"
local report = require "vaegraph.train.report"
local resume = require "vaegraph.train.resume"
local likelihood = require "vaegraph.train.likelihood"
local quality = require "vaegraph.train.quality"
local threads = require "vaegraph.train.threads"
local train = {}

local SPEC_KEYS = { "graph", "data", "feed", "epochs", "phases", "weights", "eval", "derived", "scores", "score_metrics",
                    "show", "pictures", "range", "report", "log_weight", "not_likelihood" }
local PHASE_KEYS = { [1] = true, loss = true, update = true, optim = true }

local fail = errors.fail

local function script_name() return (arg and arg[0] or "run.lua"):match("([^/]+)$") end

local function input_node(g, name, what)
  local id = g.core:find(name)
  if not id then fail("%s: the graph has no input '%s'", what, name) end
  return id
end

-- fused: each plan takes its optimizer's step inside its backward pass
-- (plan.h): no parameter gradient is kept beyond its use. Under mpirun the
-- gradients are summed over the ranks first, so the step follows the run.
local function compile_phases(vg, g, spec, fused)
  local phases, seen = {}, {}
  if type(spec.phases) ~= "table" or #spec.phases == 0 then fail("vg.train needs phases = { { \"name\", loss = ..., update = {...} } }") end
  for i, p in ipairs(spec.phases) do
    for k in pairs(p) do
      if not PHASE_KEYS[k] then fail("phase %d: unknown key '%s' (valid: the name first, then loss, update, optim)", i, tostring(k)) end
    end
    local name = p[1] or ("phase" .. i)
    if type(name) ~= "string" then fail("phase %d: its name must be a string", i) end
    if seen[name] then fail("two phases are named '%s'", name) end
    seen[name] = true
    if not p.loss then fail("phase '%s' has no loss", name) end
    if not p.update or #p.update == 0 then fail("phase '%s' updates no parameter group", name) end
    local optim = p.optim or vg.adam{}
    local groups = {}
    for j, gr in ipairs(p.update) do groups[j] = gr.id end
    local o = core.optim(g.core, optim.kind, optim.conf, groups)
    phases[i] = {
      name = name, loss = p.loss, column = #spec.phases == 1 and "train_loss" or (name .. "_loss"), groups = groups,
      -- Each step runs the phases in order: a phase reuses the forward
      -- values of the one before that its update left unchanged.
      plan = g:compile{ name = name, loss = p.loss, update = p.update, after = i > 1 and phases[i - 1].plan or nil,
                        optim = fused and o or nil },
      optim = o, fused = fused,
    }
  end
  return phases
end

-- The streams the data fills each step. A feed is a kind ("image") or
-- { kind, from = "labelled" }: the main stream reads the training split in
-- the epoch's order; a "labelled" stream reads the examples that carry a
-- label, a batch every step, cycling through them in an order of their own.
-- Returns the main stream's { name, node, kind } list and the other streams.
local STREAMS = { labelled = "training examples with a label" }
local STREAM_KEY = 2 ^ 30 -- a stream's cycles are ordered as epochs 2^30, 2^30 + 1, ...

local function make_feeds(g, spec, data)
  local main, others = {}, {}
  for name, f in pairs(spec.feed or { x = "image" }) do
    local kind, from = f, nil
    if type(f) == "table" then
      for k in pairs(f) do
        if k ~= 1 and k ~= "from" then fail("vg.train feed '%s': unknown key '%s' (valid: the kind first, then from)", name, tostring(k)) end
      end
      kind, from = f[1], f.from
      if not STREAMS[from] then fail("vg.train feed '%s': from = '%s' is not a stream (valid: labelled, the %s)", name, tostring(from), STREAMS.labelled) end
    end
    local split = data.train
    if from then
      if not data.train.labelled then fail("vg.train feed '%s': this data has no labelled examples to draw from", name) end
      others[from] = others[from] or { from = from, split = data.train:labelled(), feeds = {} }
      split = others[from].split
    end
    if not split.feeds[kind] then
      local kinds = {}
      for k in pairs(split.feeds) do kinds[#kinds + 1] = k end
      table.sort(kinds)
      fail("vg.train feed: '%s' has kind '%s', which this data does not give (valid: %s)", name, tostring(kind), table.concat(kinds, ", "))
    end
    local list = from and others[from].feeds or main
    list[#list + 1] = { name = name, node = input_node(g, name, "vg.train feed"), kind = kind }
  end
  local by_name = function(a, b) return a.name < b.name end
  table.sort(main, by_name)
  local streams = {}
  for _, st in pairs(others) do
    table.sort(st.feeds, by_name)
    st.batches = math.floor(st.split:size() / g.batch)
    if st.batches < 1 then
      fail("vg.train feed '%s': %d %s are fewer than a batch of %d", st.feeds[1].name, st.split:size(), STREAMS[st.from], g.batch)
    end
    streams[#streams + 1] = st
  end
  table.sort(streams, function(a, b) return a.from < b.from end)
  return main, streams
end

local function make_weights(vg, g, spec)
  local weights = {}
  for name, sched in pairs(spec.weights or {}) do
    if type(sched) == "number" then sched = vg.schedule.constant(sched) end
    if not (getmetatable(sched) or {}).__call and type(sched) ~= "function" then
      fail("vg.train weights: '%s' must be a number or a schedule (vg.schedule.*), got %s", name, type(sched))
    end
    weights[#weights + 1] = { name = name, node = input_node(g, name, "vg.train weights"), sched = sched }
  end
  table.sort(weights, function(a, b) return a.name < b.name end)
  return weights
end

-- metrics.csv's columns: the epoch, each phase's training loss, the test
-- metrics, metrics from the scores, derived columns, weights, speed.
local function make_columns(run, spec)
  local columns = { "epoch" }
  for _, p in ipairs(run.phases) do columns[#columns + 1] = p.column end
  for _, n in ipairs(run.eval and run.eval.names or {}) do columns[#columns + 1] = n end
  if run.likelihood then columns[#columns + 1] = "test_nll_is" end
  for _, n in ipairs(run.quality and run.quality.names or {}) do columns[#columns + 1] = n end
  local function sorted_functions(t, what)
    local list = {}
    for name, f in pairs(t or {}) do
      if type(f) ~= "function" then fail("vg.train %s: '%s' must be a function", what, tostring(name)) end
      list[#list + 1] = { name = name, f = f }
    end
    table.sort(list, function(a, b) return a.name < b.name end)
    for _, d in ipairs(list) do columns[#columns + 1] = d.name end
    return list
  end
  run.score_metrics = sorted_functions(spec.score_metrics, "score_metrics")
  if #run.score_metrics > 0 and not (run.eval and #run.eval.scores > 0) then
    fail("vg.train score_metrics need scores = { name = node, ... } to compute from")
  end
  run.derived = sorted_functions(spec.derived, "derived")
  for _, w in ipairs(run.weights) do columns[#columns + 1] = w.name end
  columns[#columns + 1] = "examples_per_s"
  return columns
end

-- The evaluation's result with the importance-sampled -log p(x) added
-- (--eval-ll): the metric test_nll_is and the score nll_is per example.
local function with_likelihood(run, result)
  if not run.likelihood then return result end
  local mean, per, seconds = likelihood.run(run)
  result = result or { metrics = {}, columns = {} }
  if not result.scores then
    result.scores = { index = {}, label = {} }
    local labels = run.data.test:labels(0, run.ntest)
    for i = 1, run.ntest do result.scores.index[i], result.scores.label[i] = i - 1, labels[i] end
  end
  result.metrics.test_nll_is = mean
  result.scores.nll_is = per
  result.columns[#result.columns + 1] = "nll_is"
  evaluate.score_metrics(run, result)
  if not run.opt.quiet then
    print(string.format("importance-sampled -log p(x), %d samples per example: %.4f nats per example (%.1f s)",
      run.likelihood.k, mean, seconds))
  end
  return result
end

-- opts: the run's options; vg.options's when nil (the judge passes its own,
-- to train in the middle of another run).
function train.run(vg, spec, opts)
  errors.check_keys("vg.train", spec, SPEC_KEYS)
  local opt = opts or vg.opts or vg.options{}
  local g = spec.graph
  if type(g) ~= "table" or not g.core then fail("vg.train needs graph = the graph (vg.graph{...})") end
  -- Under mpirun each rank trains on its share of every global batch; the
  -- ranks on one machine split its cores unless --threads says otherwise.
  local rank, ranks = core.dist()
  if ranks > 1 and not opt.threads then
    local here = tonumber(os.getenv("OMPI_COMM_WORLD_LOCAL_SIZE") or "") or ranks
    core.threads(math.max(1, math.floor(core.threads() / here)))
  end
  if opt.threads then core.threads(opt.threads) end
  local range = spec.range or { 0, 1 }
  if type(range[1]) ~= "number" or type(range[2]) ~= "number" or not (range[1] < range[2]) then
    fail("vg.train range must be {low, high} with low < high")
  end
  local run = {
    vg = vg, graph = g, spec = spec, opt = opt, seed = g.seed, batch = g.batch, script = opt.script or script_name(),
    epochs = opt.epochs or spec.epochs or 10, lo = range[1], hi = range[2], rows = {}, step = 0, epoch = 0,
  }
  run.rank, run.ranks = rank, ranks
  if run.batch < ranks then fail("a batch of %d cannot be split over %d ranks", run.batch, ranks) end
  -- This rank's rows of a batch of `count`: the first, and how many.
  function run.share(count)
    local lo, hi = math.floor(rank * count / ranks), math.floor((rank + 1) * count / ranks)
    return lo, hi - lo
  end
  -- VAEGRAPH_OPTIM_APART=1: the step after each phase's run, as under
  -- mpirun (to compare; tests/optim_apart_cli.sh).
  run.phases = compile_phases(vg, g, spec, ranks == 1 and (os.getenv("VAEGRAPH_OPTIM_APART") or "0") == "0")
  run.threads = ranks == 1 and threads.new(opt) or nil -- ranks share the cores: a fixed count each
  -- What a checkpoint holds of each phase: its name and optimizer state.
  function run.checkpoint_phases()
    local list = {}
    for i, p in ipairs(run.phases) do list[i] = { p.name, p.optim } end
    return list
  end
  run.eval = evaluate.compile(run, spec)
  run.likelihood = likelihood.compile(run, spec)
  run.quality = quality.compile(run, spec)
  run.weights = make_weights(vg, g, spec)
  run.columns = make_columns(run, spec)
  local drawn = pictures.prepare(run, spec.show, spec.pictures)
  if opt.dot then
    local plans = {}
    for i, p in ipairs(run.phases) do plans[i] = p.plan end
    if run.eval then plans[#plans + 1] = run.eval.plan end
    local unpack_ = table.unpack or unpack -- LuaJIT has the global
    plans[1]:dot(unpack_(plans, 2))
    return
  end
  if opt.plan then
    if spec.data and spec.data.held then print("data: " .. spec.data.held) end
    for _, p in ipairs(run.phases) do p.plan:print() end
    if run.eval then run.eval.plan:print() end
    return
  end

  local data = spec.data or vg.images{ dir = opt.data }
  run.data = data
  run.feeds, run.streams = make_feeds(g, spec, data)
  run.image = data.kind == "images" and { channels = data.channels, height = data.height, width = data.width } or nil
  run.out = opt.out or ("out/" .. run.script:gsub("%.lua$", ""))
  core.mkdir(run.out)
  local writable, why = core.writable(run.out)
  if not writable then fail("cannot write into the output folder %s (%s); give another with --out", run.out, why) end
  -- Every output is written to NAME.tmp and renamed; a .tmp still there is
  -- an interrupted write of an earlier run, whose NAME is intact.
  local stale, names = 0, ""
  if rank == 0 then stale, names = core.clean_tmp(run.out) end
  if stale > 0 then
    io.stderr:write(string.format("note: removed %d temporary file%s an interrupted run left in %s: %s\n", stale,
      stale == 1 and "" or "s", run.out, names))
  end
  local limit = opt.limit or math.huge
  run.ntrain = math.min(data.train:size(), limit)
  run.ntest = math.min(data.test:size(), limit)
  run.batches = math.floor(run.ntrain / run.batch)
  if run.batches < 1 then
    fail("%d training examples%s are fewer than a batch of %d", run.ntrain, opt.limit and " (--limit)" or "", run.batch)
  end
  if run.ntest < 1 then fail("the test set is empty") end
  -- Fills every fed input from examples first .. first + count - 1 of a
  -- split's current order.
  function run.fill(split, first, count)
    for _, f in ipairs(run.feeds) do split:fill(f.kind, g, f.node, first, count) end
  end
  -- Fills the other streams' inputs for a step (1-based): step s reads
  -- batch (s - 1) mod batches of cycle (s - 1) div batches, each cycle a
  -- new order, so a resumed run reads the same batches.
  function run.fill_streams(step)
    for _, st in ipairs(run.streams) do
      local cycle, b = math.floor((step - 1) / st.batches), (step - 1) % st.batches
      if st.cycle ~= cycle then
        -- Keys of its own: never the main order's (seed, epoch).
        st.split:order(true, run.seed, STREAM_KEY + cycle)
        st.cycle = cycle
      end
      local lo, n = run.share(run.batch)
      for _, f in ipairs(st.feeds) do st.split:fill(f.kind, g, f.node, b * run.batch + lo, n) end
    end
  end
  function run.set_weights(step)
    for _, w in ipairs(run.weights) do g.core:set_scalar(w.node, w.sched(step)) end
  end

  quality.prepare(run, run.quality)
  local start = 1
  if opt.resume then start = resume.load(run) end
  if opt.init then resume.init(run) end
  -- Evaluation is split over the ranks; what is written (metrics, scores,
  -- pictures, checkpoints) and what feeds only it (the likelihood, the
  -- quality scores) is rank 0's.
  local writer = rank == 0
  if opt.eval_only then
    local result = evaluate.run(run)
    if writer then
      result = quality.run(run, run.quality, with_likelihood(run, result))
      report.evaluation(run, result)
      run.test_scores = result and result.scores
      pictures.draw(run, drawn)
    end
    return run
  end
  for epoch = start, run.epochs do
    run.epoch = epoch
    local row = epoch_.run(run)
    local result = evaluate.run(run)
    if writer then
      if epoch == run.epochs then result = with_likelihood(run, result) end
      result = quality.run(run, run.quality, result)
      report.epoch(run, row, result)
      run.test_scores = result and result.scores
      pictures.draw(run, drawn)
      if spec.report then spec.report(run) end
    end
    -- An epoch's pictures and scores leave userdata behind (a test set of
    -- codes, sample bytes) whose C buffers Lua's collector cannot see: it
    -- would let several epochs' worth pile up before it ran.
    collectgarbage("collect")
  end
  if os.getenv("VAEGRAPH_PROFILE") then
    for _, p in ipairs(run.phases) do p.plan:profile() end
  end
  return run
end

return train
