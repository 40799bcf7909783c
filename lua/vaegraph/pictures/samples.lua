-- samples.png: the decoder on draws from the prior (show.z, a latent input,
-- and show.decoded, the decoder applied to it): N(0, I), or the draws of a
-- g:prior node (show.prior). The same draws every epoch, so the picture
-- shows the decoder changing, not the noise. With show.condition (a
-- one-hot input the decoder reads), row r is class r.
local common = require "vaegraph.pictures.common"
local errors = require "vaegraph.errors"
local samples = { keys = { "z", "decoded", "condition", "prior" } }

-- One-hot rows of the condition input: row r gets class class_of(r).
function samples.set_condition(run, s, class_of)
  if not s.condition then return end
  local g = run.graph
  local classes = g.core:shape(s.condition)[2]
  local v = {}
  for r = 0, run.batch - 1 do
    for c = 0, classes - 1 do v[r * classes + c + 1] = (class_of(r) == c) and 1 or 0 end
  end
  g.core:set_shape(s.condition, { run.batch, classes })
  g.core:data(s.condition, v)
end

-- The state samples and interpolations share.
function samples.decoder(run, show)
  if not (show.z and show.decoded) then return nil end
  local s = { z = show.z, decoded = show.decoded, plan = run.graph:compile{ name = "sample", fetch = { show.decoded } } }
  if show.prior then s.prior, s.prior_plan = show.prior, run.graph:compile{ name = "prior", fetch = { show.prior } } end
  if show.condition then
    s.condition = run.graph.core:find(show.condition)
    if not s.condition then errors.fail("vg.train show: no input named '%s' for the condition", show.condition) end
  end
  return s
end

-- Decodes the latent input's rows 0 .. count-1 into a grid.
function samples.decode_grid(run, s, path, cols, count)
  s.plan:run(common.SHOW_KEY + run.epoch)
  common.grid(run, path, { { s.plan, s.decoded, 0, count } }, cols)
end

-- Fills the latent input, a whole batch of rows, with draws from the prior
-- keyed by `key`: the g:prior node's (show.prior), else N(0, I).
function samples.draw_prior(run, s, key)
  local g = run.graph.core
  local shape = g:shape(s.z.id)
  shape[1] = run.batch
  g:set_shape(s.z.id, shape)
  if s.prior then
    run.graph:run_prior(s.prior_plan, key)
    g:data(s.z.id, s.prior_plan:value(s.prior.id))
  else
    g:normal(s.z.id, run.seed, key)
  end
end

function samples.prepare(run, show) return samples.decoder(run, show) end

function samples.draw(run, s)
  local g, batch = run.graph, run.batch
  local per_row = math.min(8, batch)
  local rows = s.condition and g.core:shape(s.condition)[2] or 8
  samples.draw_prior(run, s, common.PRIOR_KEY)
  samples.set_condition(run, s, function(r) return math.floor(r / per_row) end)
  samples.decode_grid(run, s, run.out .. "/samples.png", per_row, math.min(batch, rows * per_row))
end

return samples
