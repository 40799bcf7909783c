-- What a run leaves behind after each epoch: metrics.csv (a row per epoch),
-- test_scores.csv (a row per test example), the checkpoint, and a line of
-- results. Every file is written whole and renamed into place, so none is
-- ever half-written; the checkpoint comes before pictures, so a failure
-- drawing them cannot lose it.
local core = require "vaegraph.core"
local files = require "vaegraph.files"
local progress = require "vaegraph.train.progress"
local report = {}

local function cell(v)
  if type(v) == "number" then return string.format("%.6g", v) end
  return tostring(v == nil and "" or v)
end

function report.write_csv(path, columns, rows)
  local lines = { table.concat(columns, ",") }
  for _, r in ipairs(rows) do
    local cells = {}
    for i, c in ipairs(columns) do cells[i] = cell(r[c]) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  files.write_atomic(path, table.concat(lines, "\n") .. "\n")
end

-- The rows of an earlier run's metrics.csv up to epoch `upto`.
function report.read_csv(path, upto)
  local f = io.open(path, "r")
  if not f then return {} end
  local header, rows = nil, {}
  for line in f:lines() do
    local cells = {}
    for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c end
    if not header then header = cells
    else
      local r = {}
      for i, k in ipairs(header) do r[k] = tonumber(cells[i]) or cells[i] end
      if r.epoch and r.epoch <= upto then rows[#rows + 1] = r end
    end
  end
  f:close()
  return rows
end

-- test_scores.csv: index (in the test set's order), label, then each score.
local function write_scores(run, result)
  if not result or not result.scores then return end
  local s, cols = result.scores, result.columns
  local lines = { "index,label," .. table.concat(cols, ",") }
  for i = 1, #s.index do
    local cells = { string.format("%d", s.index[i]), string.format("%d", s.label[i]) }
    for j, c in ipairs(cols) do cells[j + 2] = string.format("%.7g", s[c][i]) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  files.write_atomic(run.out .. "/test_scores.csv", table.concat(lines, "\n") .. "\n")
end

local function metric_text(columns, row, from)
  local parts = {}
  for i = from, #columns do
    local v = row[columns[i]]
    if v ~= nil then parts[#parts + 1] = string.format("%s %.5g", columns[i], v) end
  end
  return table.concat(parts, "  ")
end

function report.save_checkpoint(run)
  local opt, data = run.opt, run.data
  core.save(run.out .. "/checkpoint.safetensors", run.graph.core, run.checkpoint_phases(), {
    script = run.script, epoch = tostring(run.epoch), step = tostring(run.step), seed = tostring(run.seed),
    batch = tostring(run.batch), limit = opt.limit and tostring(opt.limit) or "", data = data.fingerprint or "",
    format = "vaegraph checkpoint 1" })
end

-- After an epoch: the row completed with the test results, then files.
function report.epoch(run, row, result)
  for k, v in pairs(result and result.metrics or {}) do row[k] = v end
  for _, d in ipairs(run.derived) do row[d.name] = d.f(row) end
  run.rows[#run.rows + 1] = row
  report.write_csv(run.out .. "/metrics.csv", run.columns, run.rows)
  progress.line(run, string.format("epoch %d/%d  %s", run.epoch, run.epochs, metric_text(run.columns, row, 2)))
  run.set_weights(run.step)
  report.save_checkpoint(run)
  write_scores(run, result)
end

-- --eval-only: the test results of the given parameters, printed and
-- written as evaluation.csv (metrics.csv's columns, one row), and the scores.
function report.evaluation(run, result)
  local row = { epoch = run.epoch }
  for k, v in pairs(result and result.metrics or {}) do row[k] = v end
  for _, d in ipairs(run.derived) do row[d.name] = d.f(row) end
  report.write_csv(run.out .. "/evaluation.csv", run.columns, { row })
  progress.line(run, string.format("evaluation of %s (epoch %d)  %s", run.opt.resume or run.opt.init, run.epoch,
    metric_text(run.columns, row, 1)))
  write_scores(run, result)
end

return report
