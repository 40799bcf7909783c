-- Pictures of anomaly scores, for a script that scores test examples
-- (graphs/anomaly.lua): vg.pictures.anomaly{ scores = {...}, anomalous =
-- function(label) -> bool [, rank_by = score, input = node] } is a picture
-- for vg.train{ pictures = { anomaly = ... } }. It draws
--   anomaly.png: per score, the histograms of the normal and the anomalous
--                test examples (as densities, over the 1st to 99th
--                percentile), and the ROC curves of all scores;
--   extremes.png (images, given input): the 16 test images rank_by (the
--                first score by default) calls most anomalous, over the 16
--                it calls least.
-- Scores not there (nll_is without --eval-ll) are left out.
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local stats = require "vaegraph.stats"
local common = require "vaegraph.pictures.common"

local BINS, EXTREMES = 40, 16

local function draw(o, run)
  local s = run.test_scores
  if not s then return end
  local bad = {}
  for i, l in ipairs(s.label) do bad[i] = o.anomalous(l) and true or false end
  local panels, roc = {}, { title = "ROC curves (false vs true positive rate)", series = {} }
  for _, name in ipairs(o.scores) do
    local v = s[name]
    if v then
      local lo, hi = stats.quantile(v, 0.01), stats.quantile(v, 0.99)
      local normal, odd = {}, {}
      for i, x in ipairs(v) do
        local t = bad[i] and odd or normal
        t[#t + 1] = x
      end
      local xs, dn = stats.histogram(normal, BINS, lo, hi)
      local _, da = stats.histogram(odd, BINS, lo, hi)
      panels[#panels + 1] = {
        title = string.format("%s: AUROC %.3f", name, stats.auroc(v, bad)),
        series = { { label = "normal (" .. #normal .. ")", x = xs, y = dn }, { label = "anomalous (" .. #odd .. ")", x = xs, y = da } },
      }
      local fpr, tpr = stats.roc(v, bad)
      roc.series[#roc.series + 1] = { label = name, x = fpr, y = tpr }
    end
  end
  if #panels == 0 then return end
  panels[#panels + 1] = roc
  core.lines_png(run.out .. "/anomaly.png", panels, 2, 480, 300, string.format("%s, epoch %d", run.script, run.epoch))

  local key = s[o.rank_by or o.scores[1]]
  if not (o.input and run.image and key) then return end
  local idx = {}
  for i = 1, #key do idx[i] = i end
  table.sort(idx, function(a, b) if key[a] ~= key[b] then return key[a] > key[b] end return a < b end)
  local n = math.min(EXTREMES, math.floor(#idx / 2))
  if n < 1 then return end
  local test, g = run.data.test, run.graph
  test:order(false, 0, 0)
  local function images(from, step)
    local values = {}
    for k = 0, n - 1 do
      run.fill(test, s.index[idx[from + k * step]], 1)
      for _, v in ipairs(g.core:data(o.input.id)) do values[#values + 1] = v end
    end
    return { values = values }
  end
  local img = run.image
  core.grid_png(run.out .. "/extremes.png", { images(1, 1), images(#idx, -1) }, 8, img.channels, img.height, img.width,
    run.lo, run.hi, common.scale(img.height, img.width))
end

return function(o)
  errors.check_keys("vg.pictures.anomaly", o, { "scores", "anomalous", "rank_by", "input" })
  if type(o.scores) ~= "table" or #o.scores == 0 or type(o.anomalous) ~= "function" then
    errors.fail("vg.pictures.anomaly needs scores = { names... } and anomalous = function(label) -> bool")
  end
  return { keys = {}, prepare = function() return {} end, draw = function(run) draw(o, run) end }
end
