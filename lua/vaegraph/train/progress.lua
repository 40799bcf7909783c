-- Progress while an epoch runs: a redrawn line on a terminal (at most ten
-- times a second: a terminal is slower than a step), plain log lines
-- otherwise, nothing with --quiet. Builds its text only when it draws.
local core = require "vaegraph.core"
local progress = {}

local Bar = {}
Bar.__index = Bar

function progress.new(run)
  return setmetatable({ run = run, tty = core.isatty(), quiet = run.opt.quiet or (run.rank or 0) ~= 0, last = 0, drawn = 0 }, Bar)
end

local function fmt_time(s)
  s = math.max(0, math.floor(s + 0.5))
  return string.format("%d:%02d", math.floor(s / 60), s % 60)
end

-- "[#####...]": a fraction done, 24 wide.
local function bar(done)
  local filled = math.floor(24 * done)
  return "[" .. string.rep("#", filled) .. string.rep(".", 24 - filled) .. "]"
end

-- Running mean losses of the phases, as "name value" pairs.
local function loss_text(phases, sums, b)
  local parts = {}
  for i, p in ipairs(phases) do parts[i] = string.format("%s %.4g", p.name, sums[i] / b) end
  return table.concat(parts, " ")
end

function Bar:update(b, sums, rate, eta)
  if self.quiet then return end
  local run, nb = self.run, self.run.batches
  if self.tty then
    local now = core.clock()
    if b < nb and now - self.drawn < 0.1 then return end
    self.drawn = now
    io.stdout:write(string.format("\r\27[Kepoch %d/%d %s %d/%d %s  %.0f ex/s  ETA %s", run.epoch, run.epochs, bar(b / nb),
      b, nb, loss_text(run.phases, sums, b), rate, fmt_time(eta)))
    io.stdout:flush()
  elseif b == nb or b - self.last >= math.max(1, math.floor(nb / 4)) then
    self.last = b
    print(string.format("epoch %d/%d step %d/%d %s %.0f ex/s", run.epoch, run.epochs, b, nb,
      loss_text(run.phases, sums, b), rate))
  end
end

function Bar:clear()
  if not self.quiet and self.tty then io.stdout:write("\r\27[K") end
end

-- A bar for any other long pass (the likelihood's samples): on a terminal
-- only, and not with --quiet. meter:show(done, fmt, ...) with done in
-- (0, 1] draws "label [###...] <fmt formatted>  ETA m:ss", formatting
-- only when it draws; meter:clear() wipes it.
local Meter = {}
Meter.__index = Meter

function progress.meter(run, label)
  return setmetatable({ on = core.isatty() and not run.opt.quiet, label = label, t0 = core.clock(), drawn = 0 }, Meter)
end

function Meter:show(done, fmt, ...)
  if not self.on then return end
  local now = core.clock()
  if done < 1 and now - self.drawn < 0.1 then return end
  self.drawn = now
  io.stdout:write(string.format("\r\27[K%s %s %s  ETA %s", self.label, bar(done), string.format(fmt, ...),
    fmt_time((now - self.t0) * (1 - done) / done)))
  io.stdout:flush()
end

function Meter:clear()
  if self.on then io.stdout:write("\r\27[K") end
end

-- A line of results (an epoch's, an evaluation's).
function progress.line(run, text)
  if not run.opt.quiet then print(text) end
end

return progress
