-- curves.png: every metrics.csv column over the epochs so far (losses, KL,
-- weights, accuracies, speed), a small chart each, redrawn every epoch, so
-- a glance tells whether training is going well. A phase's training loss
-- shares its chart with the test loss of the same name when there is one.
local core = require "vaegraph.core"

local function prepare() return {} end

local function series(rows, column)
  local x, y = {}, {}
  for i, r in ipairs(rows) do
    x[i] = r.epoch
    y[i] = type(r[column]) == "number" and r[column] or 0 / 0
  end
  return { label = column, x = x, y = y }
end

local function draw(run)
  local rows, columns = run.rows, run.columns
  if #rows == 0 then return end
  local panels, paired = {}, {}
  -- train_loss beside test_loss: the gap is what a reader looks for.
  local has = {}
  for _, c in ipairs(columns) do has[c] = true end
  if has.train_loss and has.test_loss then
    panels[1] = { title = "loss (train, test)", series = { series(rows, "train_loss"), series(rows, "test_loss") } }
    paired.train_loss, paired.test_loss = true, true
  end
  for _, c in ipairs(columns) do
    if c ~= "epoch" and not paired[c] then panels[#panels + 1] = { title = c, series = { series(rows, c) } } end
  end
  local cols = math.min(4, #panels)
  core.lines_png(run.out .. "/curves.png", panels, cols, 260, 180,
    string.format("%s, epoch %d", run.script, run.epoch))
end

return { keys = {}, prepare = prepare, draw = draw }
