-- The thread count training runs at when --threads does not fix it: all the
-- cores while the run has them to itself, fewer while another process takes
-- one. With two threads on two cores and a busy neighbour, every fork-join
-- waits for the thread the scheduler has put aside, and a step can take
-- twice as long as on one thread. Results do not depend on the thread count
-- (every kernel sums in an order of its own), so the count may change at any
-- step: every PERIOD steps the controller times a few steps at the other
-- count and keeps whichever ran faster. On an idle machine that costs the
-- probe's slower steps, about 1% of the time.
local core = require "vaegraph.core"
local threads = {}

threads.PERIOD = 200 -- steps between probes
threads.PROBE = 3    -- timed steps at the other count (after one untimed)

local Ctl = {}
Ctl.__index = Ctl

-- nil when the count is fixed (--threads) or there is one core.
function threads.new(opt)
  if opt.threads then return nil end
  local most = core.threads()
  if most < 2 then return nil end
  return setmetatable({ counts = { most, 1 }, current = 1, recent = {}, probe = nil }, Ctl)
end

local function mean(t)
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return s / #t
end

-- Before a step: the count it runs at.
function Ctl:before(step)
  if not self.probe and step % threads.PERIOD == 0 and #self.recent >= threads.PROBE then
    self.probe = { times = {}, skip = 1 }
    core.threads(self.counts[3 - self.current])
  end
end

-- After a step that took `seconds`.
function Ctl:after(seconds)
  local p = self.probe
  if not p then
    local r = self.recent
    r[#r + 1] = seconds
    if #r > threads.PROBE then table.remove(r, 1) end
    return
  end
  if p.skip > 0 then
    p.skip = p.skip - 1
    return
  end
  p.times[#p.times + 1] = seconds
  if #p.times < threads.PROBE then return end
  -- The other count wins when it is clearly faster (5%: timing noise).
  if mean(p.times) < 0.95 * mean(self.recent) then
    self.current = 3 - self.current
    self.recent = p.times
  end
  core.threads(self.counts[self.current])
  self.probe = nil
end

-- The count in use now.
function Ctl:count() return self.counts[self.current] end

return threads
