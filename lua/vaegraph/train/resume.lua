-- Continuing a run from its checkpoint: parameters, every phase's optimizer
-- state and the step count come back, and the checkpoint must have been
-- made with this data, batch, limit and seed, since the order of every
-- epoch and every random draw are functions of them. The resumed run then
-- gives the losses an uninterrupted one would.
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local report = require "vaegraph.train.report"
local resume = {}

-- Returns the first epoch still to run.
-- A file that names the data it was trained on must name this run's:
-- weights of the same shapes may still mean other things (an embedding row
-- is a word only under the vocabulary it was trained with).
local function check_data(run, path, recorded)
  local fingerprint = run.data.fingerprint or ""
  if recorded and recorded ~= "" and recorded ~= fingerprint then
    errors.fail("%s was trained on data with %s; this run's has %s", path, recorded,
      fingerprint ~= "" and fingerprint or "no fingerprint")
  end
end

function resume.load(run)
  local opt, path = run.opt, run.opt.resume
  local m = core.load(path, run.graph.core, run.checkpoint_phases(),
    { "script", "epoch", "step", "seed", "batch", "limit", "data" })
  check_data(run, path, m.data)
  -- A different batch or limit would change the steps an epoch has.
  if tonumber(m.batch) ~= run.batch or (m.limit ~= "" and tonumber(m.limit) or nil) ~= opt.limit then
    errors.fail("%s was trained with batch %s and limit %s; this run has batch %d and limit %s", path, m.batch,
      m.limit ~= "" and m.limit or "none", run.batch, opt.limit and tostring(opt.limit) or "none")
  end
  if tonumber(m.seed) ~= run.seed then
    errors.fail("%s was trained with seed %s, this graph has seed %d", path, m.seed, run.seed)
  end
  if m.script ~= run.script then
    io.stderr:write(string.format("warning: %s was written by %s, not %s\n", path, m.script, run.script))
  end
  run.epoch, run.step = tonumber(m.epoch), tonumber(m.step)
  run.rows = report.read_csv(run.out .. "/metrics.csv", run.epoch)
  if opt.eval_only then return run.epoch + 1 end
  if run.epoch >= run.epochs then
    errors.fail("%s has trained %d epochs already, and this run asks for %d: nothing to do (give --epochs N, N > %d, " ..
      "to train further, or --eval-only to evaluate it)", path, run.epoch, run.epochs, run.epoch)
  end
  if not opt.quiet then print(string.format("resumed from %s after epoch %d (step %d)", path, run.epoch, run.step)) end
  return run.epoch + 1
end

-- --init: parameters only, by name, from a checkpoint or from weights
-- written elsewhere (bench/torch_weights.py); the optimizer starts afresh.
function resume.init(run)
  local path = run.opt.init
  check_data(run, path, core.checkpoint_meta(path, { "data" }).data)
  core.load(path, run.graph.core, {}, {})
end

return resume
