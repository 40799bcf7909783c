-- latent.png: the test set's codes (show.code) coloured by class, projected
-- by PCA when they have more than two dimensions; with show.prior, draws
-- from the prior behind them. The legend names the classes when the data
-- does (Fashion-MNIST, a folder of images).
local core = require "vaegraph.core"
local common = require "vaegraph.pictures.common"

local function prepare(run, show)
  if not show.code then return nil end
  local s = { code = show.code, plan = run.graph:compile{ name = "encode", fetch = { show.code } } }
  if show.prior then s.prior, s.prior_plan = show.prior, run.graph:compile{ name = "prior", fetch = { show.prior } } end
  return s
end

local function draw(run, s)
  local batch, test = run.batch, run.data.test
  local dim = s.code:per_example()
  -- Prior draws go behind the codes: as many as a tenth of the test set.
  local draws = s.prior and math.max(1, math.floor(run.ntest / batch / 10)) or 0
  -- The codes stay in C, the draws after them: a whole test set of 300-d
  -- codes as Lua numbers would take tens of MB.
  local points, labels = core.rows(dim, run.ntest + draws * batch), {}
  test:order(false, 0, 0)
  for first = 0, run.ntest - 1, batch do
    local count = math.min(batch, run.ntest - first)
    run.fill(test, first, count)
    s.plan:run(common.SHOW_KEY + run.epoch)
    points:add(s.plan, s.code.id, count)
    for _, l in ipairs(test:labels(first, count)) do labels[#labels + 1] = l end
  end
  for b = 1, draws do
    run.graph:run_prior(s.prior_plan, common.PRIOR_KEY + b)
    points:add(s.prior_plan, s.prior.id, batch)
  end
  local title = string.format("latent %s, epoch %d%s%s", s.prior and "codes" or "means", run.epoch,
    s.prior and " over prior samples" or "", dim > 2 and " (PCA)" or "")
  core.scatter_png(run.out .. "/latent.png", points, dim, labels, draws * batch, 600, title, run.data.class_names)
end

return { keys = { "code", "prior" }, prepare = prepare, draw = draw }
