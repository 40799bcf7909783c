-- One epoch of training: the batches of this epoch's order (a function of
-- the seed and the epoch, so a resumed run sees the same ones), each step
-- running the phases in their declared order, each its own loss, groups and
-- optimizer, at the thread count run.threads (train/threads.lua) chooses.
-- Returns the epoch's metrics row so far.
local core = require "vaegraph.core"
local progress = require "vaegraph.train.progress"
local epoch = {}

function epoch.run(run)
  local g, batch, phases = run.graph, run.batch, run.phases
  run.data.train:order(true, run.seed, run.epoch)
  local sums = {}
  for i = 1, #phases do sums[i] = 0 end
  local bar = progress.new(run)
  local t0 = core.clock()
  local ctl = run.threads
  -- Under mpirun this rank takes rows lo .. lo + n - 1 of each batch, its
  -- noise keyed by those rows' places in the batch (as one process draws
  -- it), and its gradients, weighted by its share, are summed over the
  -- ranks before each optimizer step (alone, each phase's plan takes its
  -- step during its backward pass: train.lua): a phase's loss is a mean over the
  -- batch, so the weighted sum is the whole batch's gradient. Batch norm
  -- sums its statistics over the ranks (the batch given to run).
  local lo, n = run.share(batch)
  local share = n / batch
  for b = 1, run.batches do
    run.step = run.step + 1
    if ctl then ctl:before(run.step) end
    local t_step = core.clock()
    run.fill(run.data.train, (b - 1) * batch + lo, n)
    run.fill_streams(run.step)
    run.set_weights(run.step)
    for i, p in ipairs(phases) do
      p.plan:run(run.step, lo, n, batch)
      if not p.fused then
        core.dist_grads(g.core, p.groups, share)
        p.optim:step()
      end
      sums[i] = sums[i] + p.plan:value(p.loss.id)
    end
    if ctl then ctl:after(core.clock() - t_step) end
    local elapsed = core.clock() - t0
    bar:update(b, sums, b * batch / elapsed, elapsed / b * (run.batches - b))
  end
  if ctl then ctl:pause() end
  if run.ranks > 1 then
    for i = 1, #sums do sums[i] = sums[i] * share end
    sums = core.dist_sum(sums)
  end
  local row = { epoch = run.epoch, examples_per_s = run.batches * batch / (core.clock() - t0) }
  for i, p in ipairs(phases) do row[p.column] = sums[i] / run.batches end
  for _, w in ipairs(run.weights) do row[w.name] = w.sched(run.step) end
  bar:clear()
  return row
end

return epoch
