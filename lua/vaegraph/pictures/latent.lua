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
  local codes, labels = {}, {}
  test:order(false, 0, 0)
  for first = 0, run.ntest - 1, batch do
    local count = math.min(batch, run.ntest - first)
    run.fill(test, first, count)
    s.plan:run(common.SHOW_KEY + run.epoch)
    local c = s.plan:value(s.code.id)
    if type(c) == "number" then c = { c } end
    for i = 1, count * dim do codes[#codes + 1] = c[i] end
    for _, l in ipairs(test:labels(first, count)) do labels[#labels + 1] = l end
  end
  -- Prior draws behind the codes (as many as a tenth of the test set).
  local background
  if s.prior then
    background = {}
    for b = 1, math.max(1, math.floor(#labels / batch / 10)) do
      s.prior_plan:run(common.PRIOR_KEY + b)
      local p = s.prior_plan:value(s.prior.id)
      for i = 1, #p do background[#background + 1] = p[i] end
    end
  end
  local title = string.format("latent %s, epoch %d%s%s", s.prior and "codes" or "means", run.epoch,
    s.prior and " over prior samples" or "", dim > 2 and " (PCA)" or "")
  core.scatter_png(run.out .. "/latent.png", codes, dim, labels, background, 600, title, run.data.class_names)
end

return { keys = { "code", "prior" }, prepare = prepare, draw = draw }
