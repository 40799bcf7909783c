-- The training loop: epochs of batches, each step running the phases in their
-- declared order (each its own loss, parameter groups and optimizer), an
-- evaluation pass on the test set each epoch, metrics.csv, progress output.
local core = require "vaegraph.core"
local outputs = require "vaegraph.outputs"
local files = require "vaegraph.files"
local train = {}

local PHASE_KEYS = { [1] = true, loss = true, update = true, optim = true }
local SPEC_KEYS = { graph = true, data = true, feed = true, epochs = true, phases = true, weights = true,
                    eval = true, derived = true, show = true, range = true, report = true }

local function script_name() return (arg and arg[0] or "run.lua"):match("([^/]+)$") end

-- Errors about vg.train's table name the script: `return vg.train{...}` is
-- a tail call, so no stack level points at the script's line.
local function fail(fmt, ...) error(script_name() .. ": " .. string.format(fmt, ...), 0) end

local function check_keys(t, valid, what)
  for k in pairs(t) do
    if not valid[k] then
      local keys = {}
      for v in pairs(valid) do if type(v) == "string" then keys[#keys + 1] = v end end
      table.sort(keys)
      fail("%s: unknown key '%s' (valid: %s)", what, tostring(k), table.concat(keys, ", "))
    end
  end
end

-- How each feed kind fills an input from a data set's batch of `count`
-- examples from `first`. Image feeds always fill a whole batch; sentence
-- feeds give their inputs the batch's shape (count, padded length).
local FEEDS = {
  image = function(ds, g, node, first) ds:fill(g.core, node.id, first, 1 / 255, 0) end,
  image_pm1 = function(ds, g, node, first) ds:fill(g.core, node.id, first, 2 / 255, -1) end,
  onehot = function(ds, g, node, first) ds:onehot(g.core, node.id, first) end,
  tokens = function(ds, g, node, first, count) ds:fill(g.core, node.id, nil, nil, first, count) end,
  targets = function(ds, g, node, first, count) ds:fill(g.core, nil, node.id, nil, first, count) end,
  lengths = function(ds, g, node, first, count) ds:fill(g.core, nil, nil, node.id, first, count) end,
}
local FEED_KINDS = "image, image_pm1, onehot, tokens, targets, lengths"

local function input_node(g, name, what)
  local id = g.core:find(name)
  if not id then fail("%s: the graph has no input '%s'", what, name) end
  return { id = id, name = name }
end

local function compile_phases(vg, g, spec)
  local phases, seen = {}, {}
  if type(spec.phases) ~= "table" or #spec.phases == 0 then fail("vg.train needs phases = { { \"name\", loss = ..., update = {...} } }") end
  for i, p in ipairs(spec.phases) do
    check_keys(p, PHASE_KEYS, "phase " .. i)
    local name = p[1] or ("phase" .. i)
    if type(name) ~= "string" then fail("phase %d: its name must be a string", i) end
    if seen[name] then fail("two phases are named '%s'", name) end
    seen[name] = true
    if not p.loss then fail("phase '%s' has no loss", name) end
    if not p.update or #p.update == 0 then fail("phase '%s' updates no parameter group", name) end
    local optim = p.optim or vg.adam{}
    local groups, lrs = {}, {}
    for j, gr in ipairs(p.update) do groups[j], lrs[j] = gr.id, optim.lr_of and optim.lr_of[gr] or nil end
    phases[i] = {
      name = name, loss = p.loss,
      plan = g:compile{ name = name, loss = p.loss, update = p.update },
      optim = core.optim(g.core, optim.kind, optim.conf, groups, lrs),
      optim_desc = optim.kind,
    }
  end
  return phases
end

-- Columns every script shares come first, in this order; others follow by name.
local COLUMN_ORDER = { test_loss = 1, test_rec = 2, test_nll = 3, test_kl = 4 }

local function by_column_order(a, b)
  local ra, rb = COLUMN_ORDER[a] or 99, COLUMN_ORDER[b] or 99
  if ra ~= rb then return ra < rb end
  return a < b
end

local function compile_eval(g, spec)
  local names, nodes = {}, {}
  for k in pairs(spec.eval or {}) do names[#names + 1] = k end
  table.sort(names, by_column_order)
  for i, k in ipairs(names) do nodes[i] = spec.eval[k] end
  if #nodes == 0 then return nil end
  return { names = names, nodes = nodes, plan = g:compile{ name = "eval", fetch = nodes } }
end

-- Progress: a redrawn line on a terminal, plain lines otherwise.
local Progress = {}
Progress.__index = Progress

local function new_progress(quiet)
  return setmetatable({ tty = core.isatty(), quiet = quiet, last = 0, drawn = 0 }, Progress)
end

local function fmt_time(s)
  s = math.max(0, math.floor(s + 0.5))
  return string.format("%d:%02d", math.floor(s / 60), s % 60)
end

-- Running mean losses of the phases, as "name value" pairs.
local function loss_text(phases, sums, b)
  local parts = {}
  for i, p in ipairs(phases) do parts[i] = string.format("%s %.4g", p.name, sums[i] / b) end
  return table.concat(parts, " ")
end

-- Called every step; builds its text only when it draws a line.
function Progress:update(epoch, epochs, b, nb, phases, sums, rate, eta)
  if self.quiet then return end
  if self.tty then
    -- At most ten redraws a second: a terminal is slower than a step.
    local now = core.clock()
    if b < nb and now - self.drawn < 0.1 then return end
    self.drawn = now
    local width = 24
    local filled = math.floor(width * b / nb)
    io.stdout:write(string.format("\r\27[Kepoch %d/%d [%s%s] %d/%d %s  %.0f ex/s  ETA %s", epoch, epochs,
      string.rep("#", filled), string.rep(".", width - filled), b, nb, loss_text(phases, sums, b), rate, fmt_time(eta)))
    io.stdout:flush()
  elseif b == nb or b - self.last >= math.max(1, math.floor(nb / 4)) then
    self.last = b
    print(string.format("epoch %d/%d step %d/%d %s %.0f ex/s", epoch, epochs, b, nb, loss_text(phases, sums, b), rate))
  end
end

function Progress:done_epoch(line)
  if self.quiet then return end
  if self.tty then io.stdout:write("\r\27[K") end
  self.last = 0
  print(line)
end

-- metrics.csv is rewritten whole each epoch (temporary file, then rename),
-- so it is never half-written.
local function write_csv(path, columns, rows)
  local lines = { table.concat(columns, ",") }
  for _, r in ipairs(rows) do
    local cells = {}
    for i, c in ipairs(columns) do
      local v = r[c]
      cells[i] = type(v) == "number" and string.format("%.6g", v) or tostring(v or "")
    end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  files.write_atomic(path, table.concat(lines, "\n") .. "\n")
end

-- The rows of an earlier run's metrics.csv, to continue it on resume.
local function read_csv(path, upto)
  local f = io.open(path, "r")
  if not f then return {} end
  local header, rows = nil, {}
  for line in f:lines() do
    local cells = {}
    for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c end
    if not header then header = cells
    else
      local r = {}
      for i, k in ipairs(header) do r[k] = tonumber(cells[i]) or cells[i] end
      if r.epoch and r.epoch <= upto then rows[#rows + 1] = r end
    end
  end
  f:close()
  return rows
end

function train.run(vg, spec)
  check_keys(spec, SPEC_KEYS, "vg.train")
  local opt = vg.opts or vg.options{}
  local g = assert(spec.graph, "vg.train needs graph")
  if opt.threads then core.threads(opt.threads) end
  local epochs = opt.epochs or spec.epochs or 10
  -- One seed for everything: the graph's (scripts pass opt.seed to vg.graph).
  local seed = g.seed

  local phases = compile_phases(vg, g, spec)
  local eval = compile_eval(g, spec)
  local show = outputs.prepare(g, spec.show)
  if opt.plan then
    for _, p in ipairs(phases) do p.plan:print() end
    if eval then eval.plan:print() end
    return
  end

  local data = spec.data or vg.mnist{ dir = opt.data }
  local feeds = {}
  for name, kind in pairs(spec.feed or { x = "image" }) do
    local f = FEEDS[kind]
    if not f then fail("vg.train: feed '%s' has unknown kind '%s' (valid: %s)", name, tostring(kind), FEED_KINDS) end
    feeds[#feeds + 1] = { node = input_node(g, name, "vg.train feed"), fill = f }
  end
  local weights = {}
  for name, sched in pairs(spec.weights or {}) do
    if type(sched) == "number" then sched = vg.schedule.constant(sched) end
    if not (getmetatable(sched) or {}).__call and type(sched) ~= "function" then
      fail("vg.train weights: '%s' must be a number or a schedule (vg.schedule.*), got %s", name, type(sched))
    end
    weights[#weights + 1] = { name = name, node = input_node(g, name, "vg.train weights"), sched = sched }
  end
  table.sort(weights, function(a, b) return a.name < b.name end)

  local out = opt.out or ("out/" .. script_name():gsub("%.lua$", ""))
  os.execute("mkdir -p '" .. out:gsub("'", "'\\''") .. "'")
  local columns = { "epoch" }
  for _, p in ipairs(phases) do columns[#columns + 1] = #phases == 1 and "train_loss" or (p.name .. "_loss") end
  for _, n in ipairs(eval and eval.names or {}) do columns[#columns + 1] = n end
  -- Derived columns: functions of a row's other values (perplexity).
  local derived = {}
  for name, f in pairs(spec.derived or {}) do
    if type(f) ~= "function" then fail("vg.train derived: '%s' must be a function of the row", name) end
    derived[#derived + 1] = { name = name, f = f }
  end
  table.sort(derived, function(a, b) return a.name < b.name end)
  for _, d in ipairs(derived) do columns[#columns + 1] = d.name end
  for _, w in ipairs(weights) do columns[#columns + 1] = w.name end
  columns[#columns + 1] = "examples_per_s"

  local batch = g.batch
  local train_set, test_set = data.train, data.test
  local limit = opt.limit or math.huge
  local nb = math.floor(math.min(train_set:info().n, limit) / batch)
  -- Sentence corpora evaluate every test example, the last batch partial;
  -- image sets whole batches only.
  local partial = test_set:info().partial
  local ntest = math.min(test_set:info().n, limit)
  local nt = partial and math.ceil(ntest / batch) or math.max(1, math.floor(ntest / batch))
  if nb < 1 then
    fail("%d training examples%s are fewer than a batch of %d", math.min(train_set:info().n, limit),
      opt.limit and " (--limit)" or "", batch)
  end
  local progress = new_progress(opt.quiet)
  local rows, step, start = {}, 0, 1
  local ckpt_phases = {}
  for i, p in ipairs(phases) do ckpt_phases[i] = { p.name, p.optim } end
  if opt.resume then
    local m = core.load(opt.resume, g.core, ckpt_phases, { "script", "epoch", "step", "seed", "batch", "limit", "data" })
    -- Weights of the same shapes may still mean other things: an embedding
    -- row is a word only under the vocabulary it was trained with.
    if m.data ~= "" and m.data ~= (data.fingerprint or "") then
      error(string.format("%s was trained on data with %s; this run's has %s", opt.resume, m.data,
        data.fingerprint or "no fingerprint"), 0)
    end
    -- A different batch or limit would change the steps an epoch has.
    if tonumber(m.batch) ~= batch or (m.limit ~= "" and tonumber(m.limit) or nil) ~= opt.limit then
      error(string.format("%s was trained with batch %s and limit %s; this run has batch %d and limit %s", opt.resume,
        m.batch, m.limit ~= "" and m.limit or "none", batch, opt.limit and tostring(opt.limit) or "none"), 0)
    end
    if m.script ~= script_name() then
      io.stderr:write(string.format("warning: %s was written by %s, not %s\n", opt.resume, m.script, script_name()))
    end
    start, step = tonumber(m.epoch) + 1, tonumber(m.step)
    if tonumber(m.seed) ~= seed then
      error(string.format("%s was trained with seed %s, this graph has seed %d", opt.resume, m.seed, seed), 0)
    end
    rows = read_csv(out .. "/metrics.csv", start - 1)
    if not opt.quiet then print(string.format("resumed from %s after epoch %d (step %d)", opt.resume, start - 1, step)) end
  end

  -- Pixel range for pictures: [0, 1], or [-1, 1] for tanh decoders.
  local range = spec.range or { 0, 1 }
  if type(range[1]) ~= "number" or type(range[2]) ~= "number" or not (range[1] < range[2]) then
    fail("vg.train range must be {low, high} with low < high")
  end
  local run = { graph = g, phases = phases, eval = eval, data = data, out = out, opt = opt, seed = seed, test_batches = nt,
                lo = range[1], hi = range[2],
                fill = function(ds, first, count)
                  for _, f in ipairs(feeds) do f.fill(ds, g, f.node, first, count or batch) end
                end }
  for epoch = start, epochs do
    train_set:order(true, seed, epoch)
    local sums = {}
    for i = 1, #phases do sums[i] = 0 end
    local t0 = core.clock()
    for b = 1, nb do
      step = step + 1
      local first = (b - 1) * batch
      for _, f in ipairs(feeds) do f.fill(train_set, g, f.node, first, batch) end
      for _, w in ipairs(weights) do g.core:set_scalar(w.node.id, w.sched(step)) end
      for i, p in ipairs(phases) do
        p.plan:run(step)
        p.optim:step()
        sums[i] = sums[i] + p.plan:value(p.loss.id)
      end
      local elapsed = core.clock() - t0
      progress:update(epoch, epochs, b, nb, phases, sums, b * batch / elapsed, elapsed / b * (nb - b))
    end
    local seconds = core.clock() - t0
    local row = { epoch = epoch, examples_per_s = nb * batch / seconds }
    for i, p in ipairs(phases) do row[#phases == 1 and "train_loss" or (p.name .. "_loss")] = sums[i] / nb end
    for _, w in ipairs(weights) do row[w.name] = w.sched(step) end
    if eval then
      test_set:order(false, 0, 0)
      local acc, seen = {}, 0
      for i = 1, #eval.nodes do acc[i] = 0 end
      for b = 1, nt do
        local first = (b - 1) * batch
        local count = partial and math.min(batch, ntest - first) or batch
        for _, f in ipairs(feeds) do f.fill(test_set, g, f.node, first, count) end
        for _, w in ipairs(weights) do g.core:set_scalar(w.node.id, w.sched(step)) end
        -- Evaluation noise is keyed apart from training steps.
        eval.plan:run(2 ^ 40 + epoch * 100000 + b)
        -- Weighted by examples: the per-example mean over the whole set.
        for i, n in ipairs(eval.nodes) do acc[i] = acc[i] + eval.plan:value(n.id) * count end
        seen = seen + count
      end
      for i, name in ipairs(eval.names) do
        local v = acc[i] / seen
        -- Evaluation plans have no loss to check: a NaN would reach metrics.csv.
        if v ~= v or v == math.huge or v == -math.huge then
          error(string.format("epoch %d: test metric '%s' is %s; nothing written for this epoch", epoch, name, tostring(v)), 0)
        end
        row[name] = v
      end
    end
    for _, d in ipairs(derived) do row[d.name] = d.f(row) end
    rows[#rows + 1] = row
    write_csv(out .. "/metrics.csv", columns, rows)
    local parts = {}
    for i = 2, #columns do parts[#parts + 1] = string.format("%s %.5g", columns[i], row[columns[i]]) end
    progress:done_epoch(string.format("epoch %d/%d  %s", epoch, epochs, table.concat(parts, "  ")))
    run.epoch, run.step = epoch, step
    for _, w in ipairs(weights) do g.core:set_scalar(w.node.id, w.sched(step)) end
    -- The checkpoint first: a failure drawing pictures must not lose it.
    core.save(out .. "/checkpoint.safetensors", g.core, ckpt_phases, {
      script = script_name(), epoch = tostring(epoch), step = tostring(step), seed = tostring(seed),
      batch = tostring(batch), limit = opt.limit and tostring(opt.limit) or "", data = data.fingerprint or "",
      format = "vaegraph checkpoint 1" })
    outputs.write(run, show)
    outputs.scatter(run, show)
    if spec.report then spec.report(run) end
  end
  if os.getenv("VAEGRAPH_PROFILE") then
    for _, p in ipairs(phases) do p.plan:profile() end
  end
  return run
end

return train
