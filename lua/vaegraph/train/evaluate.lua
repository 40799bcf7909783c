-- Evaluation on the test set, every example once (the last batch may be
-- smaller): `eval` metrics (scalar nodes, averaged over examples) and
-- `scores`, nodes of shape [batch] or [batch, k] whose values are kept per
-- example, in the test set's order, for test_scores.csv and the metrics a
-- script computes from them (score_metrics).
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local graph = require "vaegraph.graph"
local evaluate = {}

-- The step evaluation runs at: random ops draw apart from training's steps.
evaluate.KEY = 2 ^ 40

-- Columns every script shares come first, in this order; others follow by name.
local COLUMN_ORDER = { test_loss = 1, test_rec = 2, test_nll = 3, test_kl = 4 }

local function by_column_order(a, b)
  local ra, rb = COLUMN_ORDER[a] or 99, COLUMN_ORDER[b] or 99
  if ra ~= rb then return ra < rb end
  return a < b
end

-- The evaluation plan, or nil when the script asks for no metric or score.
function evaluate.compile(run, spec)
  local g = run.graph
  local e = { names = {}, nodes = {}, scores = {} }
  for k in pairs(spec.eval or {}) do e.names[#e.names + 1] = k end
  table.sort(e.names, by_column_order)
  for i, k in ipairs(e.names) do
    local n = graph.node_of(spec.eval[k], "vg.train eval '" .. tostring(k) .. "'")
    if n:per_example() ~= 1 or #n:shape() > 1 then
      errors.fail("vg.train eval: '%s' is %s (made at %s); an eval metric is a scalar, e.g. a loss with reduction = \"mean\", " ..
        "or give per-example values under scores", k, tostring(n), n:where())
    end
    e.nodes[i] = n
  end
  local names = {}
  for k in pairs(spec.scores or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local n = graph.node_of(spec.scores[k], "vg.train scores '" .. tostring(k) .. "'")
    local shape = n:shape()
    if (#shape ~= 1 and #shape ~= 2) or shape[1] ~= run.batch then
      errors.fail("vg.train scores: '%s' is %s (made at %s); a score is [batch] or [batch, k] with batch %d " ..
        "(vg.per_example sums a loss with reduction = \"none\" over each example)", k, tostring(n), n:where(), run.batch)
    end
    -- A [batch, k] score fills the columns name_1 .. name_k.
    local width, columns = shape[2] or 1, {}
    for j = 1, width do columns[j] = width == 1 and k or (k .. "_" .. j) end
    e.scores[#e.scores + 1] = { name = k, node = n, width = width, columns = columns }
  end
  if #e.nodes == 0 and #e.scores == 0 then return nil end
  local fetch = {}
  for _, n in ipairs(e.nodes) do fetch[#fetch + 1] = n end
  for _, s in ipairs(e.scores) do fetch[#fetch + 1] = s.node end
  e.plan = g:compile{ name = "eval", fetch = fetch }
  return e
end

-- The column names of the scores, in order.
function evaluate.score_columns(e)
  local cols = {}
  for _, s in ipairs(e.scores) do
    for _, c in ipairs(s.columns) do cols[#cols + 1] = c end
  end
  return cols
end

-- Runs the plan over the test set. Returns { metrics = {name = mean},
-- scores = {column = list} with index and label columns }, or nil.
function evaluate.run(run)
  local e = run.eval
  if not e then return nil end
  local test, batch, g = run.data.test, run.batch, run.graph
  test:order(false, 0, 0)
  local sums = {}
  for i = 1, #e.nodes do sums[i] = 0 end
  local cols = evaluate.score_columns(e)
  local scores = { index = {}, label = {} }
  for _, c in ipairs(cols) do scores[c] = {} end
  local nt = math.ceil(run.ntest / batch)
  -- Under mpirun rank r evaluates batches r + 1, r + 1 + ranks, ...; the
  -- other ranks' scores are zeros until the sums over the ranks fill them.
  local split = run.ranks and run.ranks > 1
  if split and #e.scores > 0 then
    for _, c in ipairs(cols) do
      local list = scores[c]
      for i = 1, run.ntest do list[i] = 0 end
    end
  end
  for b = 1, nt do
    local first = (b - 1) * batch
    local count = math.min(batch, run.ntest - first)
    if #e.scores > 0 then
      local labels = test:labels(first, count)
      for r = 1, count do scores.index[first + r], scores.label[first + r] = first + r - 1, labels[r] end
    end
    if not split or (b - 1) % run.ranks == run.rank then
      run.fill(test, first, count)
      run.set_weights(run.step)
      -- Evaluation noise is keyed apart from training steps, and by example:
      -- a test example draws the same noise every epoch, whatever its batch.
      e.plan:run(evaluate.KEY, first, count)
      -- Weighted by examples: the per-example mean over the whole set.
      for i, n in ipairs(e.nodes) do sums[i] = sums[i] + e.plan:value(n.id) * count end
      for _, s in ipairs(e.scores) do
        local v = e.plan:value(s.node.id)
        if type(v) == "number" then v = { v } end
        for r = 1, count do
          for j, col in ipairs(s.columns) do scores[col][first + r] = v[(r - 1) * s.width + j] end
        end
      end
    end
  end
  if split then
    sums = core.dist_sum(sums)
    for _, c in ipairs(cols) do scores[c] = core.dist_sum(scores[c]) end
  end
  local metrics = {}
  for i, name in ipairs(e.names) do
    local v = sums[i] / run.ntest
    -- Evaluation plans have no loss to check: a NaN would reach metrics.csv.
    if v ~= v or v == math.huge or v == -math.huge then
      errors.fail("epoch %d: test metric '%s' is %s; nothing written for this epoch", run.epoch, name, tostring(v))
    end
    metrics[name] = v
  end
  local result = { metrics = metrics, scores = #e.scores > 0 and scores or nil, columns = cols }
  evaluate.score_metrics(run, result)
  return result
end

-- The script's score_metrics over the result's scores, into its metrics. A
-- metric may be nil (a blank cell): one of a score that is not there yet,
-- such as nll_is before --eval-ll has run.
function evaluate.score_metrics(run, result)
  for _, m in ipairs(run.score_metrics) do
    local v = m.f(result.scores or { index = {}, label = {} })
    if v ~= nil and type(v) ~= "number" then
      errors.fail("score_metrics '%s' returned %s, not a number (or nil)", m.name, type(v))
    end
    result.metrics[m.name] = v
  end
end

return evaluate
