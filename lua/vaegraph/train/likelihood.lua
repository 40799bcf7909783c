-- The importance-sampled log-likelihood of Burda, Grosse and Salakhutdinov
-- 2015 (--eval-ll K): for each test example,
--   log p(x) ~ logsumexp over k of log w_k - log K,
--   log w_k = log p(x | z_k) + log p(z_k) - log q(z_k | x),  z_k ~ q(z | x),
-- from the script's `log_weight` node ([batch], one sample per row). The K
-- samples of all test examples are laid out as rows, example e's sample k at
-- row e K + k, and run a batch of rows at a time: each batch fills the
-- examples its rows need, spreads them over the rows (graph:repeat_rows) and
-- draws noise keyed by row, so K = 5000 takes the memory of one batch and
-- the estimate is the same at any thread count. log w is summed per example
-- as it comes, with a running maximum (no exp overflows).
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local graph = require "vaegraph.graph"
local progress = require "vaegraph.train.progress"
local likelihood = {}

-- Noise keys: apart from training, evaluation (2^40) and pictures (2^41, 2^42).
likelihood.KEY = 2 ^ 43

local NOT_GIVEN = "it gives no log_weight, so --eval-ll has no log-likelihood to estimate"

-- The plan, or nil without --eval-ll. A script whose loss is not a
-- likelihood says why with not_likelihood = "...".
function likelihood.compile(run, spec)
  local k = run.opt.eval_ll
  if not k then return nil end
  if k < 1 then errors.fail("--eval-ll wants K >= 1 samples per test example, got %d", k) end
  if not spec.log_weight then
    errors.fail("--eval-ll: %s: %s", run.script, spec.not_likelihood or NOT_GIVEN)
  end
  local n = graph.node_of(spec.log_weight, "vg.train log_weight")
  local shape = n:shape()
  if #shape ~= 1 or shape[1] ~= run.batch then
    errors.fail("vg.train log_weight is %s (made at %s); it is [batch], log p(x|z) + log p(z) - log q(z|x) per example",
      tostring(n), n:where())
  end
  return { k = k, node = n, plan = run.graph:compile{ name = "log_weight", fetch = { n } } }
end

-- Runs the estimate over the test set: returns the mean of -log p(x) (nats
-- per example) and the per-example list.
function likelihood.run(run)
  local e = run.likelihood
  local K, batch, g, test = e.k, run.batch, run.graph, run.data.test
  local n = run.ntest
  local rows = n * K
  local best, sum = {}, {}
  for i = 1, n do best[i], sum[i] = -math.huge, 0 end
  test:order(false, 0, 0)
  local t0 = core.clock()
  local meter = progress.meter(run, string.format("log-likelihood, %d samples each", K))
  local exp, floor = math.exp, math.floor
  for j0 = 0, rows - 1, batch do
    local count = math.min(batch, rows - j0)
    local e0 = floor(j0 / K)
    local m = floor((j0 + count - 1) / K) - e0 + 1
    run.fill(test, e0, m)
    for _, f in ipairs(run.feeds) do g.core:repeat_rows(f.node, count, K, j0) end
    run.set_weights(run.step)
    e.plan:run(likelihood.KEY, j0)
    local lw = e.plan:value(e.node.id)
    if type(lw) == "number" then lw = { lw } end
    for r = 1, count do
      local i, v = floor((j0 + r - 1) / K) + 1, lw[r]
      if v ~= v then errors.fail("--eval-ll: log_weight is NaN for test example %d (sample %d)", i - 1, (j0 + r - 1) % K) end
      local b = best[i]
      if v > b then
        sum[i] = (b == -math.huge and 0 or sum[i] * exp(b - v)) + 1
        best[i] = v
      elseif v > -math.huge then -- a weight of 0 adds nothing (and -inf - -inf is NaN)
        sum[i] = sum[i] + exp(v - b)
      end
    end
    meter:show((j0 + count) / rows, "%d/%d examples", floor((j0 + count) / K), n)
  end
  meter:clear()
  local nll, total, logk = {}, 0, math.log(K)
  for i = 1, n do
    nll[i] = -(best[i] + math.log(sum[i]) - logk)
    total = total + nll[i]
  end
  return total / n, nll, core.clock() - t0
end

return likelihood
