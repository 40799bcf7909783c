-- reconstructions.png: test images over their reconstructions, 8 a row
-- (show.input, show.reconstruction), or rows of any image nodes shown in
-- turn (show.rows: clean / noisy / denoised), four groups.
local common = require "vaegraph.pictures.common"

local function prepare(run, show)
  local rows = show.rows or (show.input and show.reconstruction and { show.input, show.reconstruction })
  if not rows then return nil end
  return { rows = rows, plan = run.graph:compile{ name = "show", fetch = rows } }
end

local function draw(run, s)
  local per_row = math.min(8, run.batch, run.ntest)
  local count = math.min(run.batch, run.ntest)
  common.fill_test(run, 0, count)
  s.plan:run(common.SHOW_KEY + run.epoch)
  local src = {}
  for r = 0, math.min(4, math.floor(count / per_row)) - 1 do
    for _, n in ipairs(s.rows) do src[#src + 1] = { s.plan, n, r * per_row, per_row } end
  end
  common.grid(run, run.out .. "/reconstructions.png", src, per_row)
end

return { keys = { "input", "reconstruction", "rows" }, prepare = prepare, draw = draw }
