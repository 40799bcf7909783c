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
  -- The codes stay in C: a whole test set of 300-d codes as Lua numbers
  -- would take tens of MB.
  local codes, labels = core.rows(dim), {}
  test:order(false, 0, 0)
  for first = 0, run.ntest - 1, batch do
    local count = math.min(batch, run.ntest - first)
    run.fill(test, first, count)
    s.plan:run(common.SHOW_KEY + run.epoch)
    codes:add(s.plan, s.code.id, count)
    for _, l in ipairs(test:labels(first, count)) do labels[#labels + 1] = l end
  end
  -- Prior draws behind the codes (as many as a tenth of the test set).
  local background
  if s.prior then
    background = core.rows(dim)
    for b = 1, math.max(1, math.floor(#labels / batch / 10)) do
      run.graph:run_prior(s.prior_plan, common.PRIOR_KEY + b)
      background:add(s.prior_plan, s.prior.id, batch)
    end
  end
  local title = string.format("latent %s, epoch %d%s%s", s.prior and "codes" or "means", run.epoch,
    s.prior and " over prior samples" or "", dim > 2 and " (PCA)" or "")
  core.scatter_png(run.out .. "/latent.png", codes, dim, labels, background, 600, title, run.data.class_names)
end

return { keys = { "code", "prior" }, prepare = prepare, draw = draw }
