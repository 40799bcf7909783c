-- The thread count training runs at when --threads does not fix it: all the
-- cores while the run has them to itself, fewer while another process takes
-- one. With two threads on two cores and a busy neighbour, every fork-join
-- waits for the thread the scheduler has put aside, and a step can take
-- twice as long as on one thread. Results do not depend on the thread count
-- (every kernel sums in an order of its own), so the count may change at any
-- step. The controller times a few steps at the other count now and then
-- and keeps whichever ran faster: first after FIRST timed steps (the run's
-- first step is a warm-up, not timed; a neighbour already there when
-- training starts then costs FIRST + 1 slow steps, since the other count,
-- far faster, wins without re-timing this one: that matters when a step
-- takes half a second), then PERIOD steps after a move,
-- twice as long after each probe that changed nothing (up to MAX_PERIOD),
-- and at once when steps at the current count get clearly slower than they
-- were (a neighbour arrived). On an idle machine that costs a few slower
-- steps every few thousand.
local core = require "vaegraph.core"
local threads = {}

threads.FIRST = 2         -- steps before the first probe
threads.PERIOD = 200      -- steps between probes after a move
threads.MAX_PERIOD = 3200 -- the longest wait between probes
threads.WINDOW = 16       -- steps whose mean time is "the current speed"
threads.PROBE = 4         -- timed steps at the other count (after one untimed)
threads.SLOWER = 1.25     -- current steps this much slower than the best seen: probe now
threads.BETTER = 0.95     -- the other count must be this much faster to win (timing noise)
threads.HOPELESS = 1.5    -- a probe step this much slower than the current ones ends the probe
threads.DECISIVE = 0.75   -- the other count this much faster than the current steps wins at once

local Ctl = {}
Ctl.__index = Ctl

-- nil when the count is fixed (--threads) or there is one core.
function threads.new(opt)
  if opt.threads then return nil end
  local most = core.threads()
  if most < 2 then return nil end
  return setmetatable({ counts = { most, most - 1 }, current = 1, recent = {}, best = math.huge, period = threads.PERIOD,
                        next = 0, probed = false, warm = false }, Ctl)
end

local function mean(t)
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return s / #t
end

-- Before a step: sets the count it runs at.
function Ctl:before(step)
  if self.probe then return end
  if not self.probed then -- the first probe, FIRST steps into the run
    if #self.recent < threads.FIRST then return end
  elseif #self.recent < threads.WINDOW or (step < self.next and mean(self.recent) <= threads.SLOWER * self.best) then
    return
  end
  self.probed = true
  self.probe = { times = {}, skip = 1, step = step, ref = #self.recent > 0 and mean(self.recent) or nil }
  core.threads(self.counts[3 - self.current])
end

-- After the step, which took `seconds`. A probe times PROBE steps at the
-- other count, then PROBE at this one: a fresh baseline, not one from
-- before a change.
function Ctl:after(seconds)
  local p = self.probe
  if not self.warm then -- a run's first step touches its memory for the first time: not a speed
    self.warm = true
    return
  end
  if not p then
    local r = self.recent
    r[#r + 1] = seconds
    if #r > threads.WINDOW then table.remove(r, 1) end
    if #r == threads.WINDOW then self.best = math.min(self.best, mean(r)) end
    return
  end
  if p.skip > 0 then -- the first step after a change warms threads up
    p.skip = p.skip - 1
    return
  end
  p.times[#p.times + 1] = seconds
  -- A step at the other count this much slower than the current ones
  -- settles it: a busy neighbour makes every step at two threads slow, and
  -- the probe's remaining steps would only add to the cost.
  local settled = not p.other and p.ref and seconds > threads.HOPELESS * p.ref
  if #p.times < threads.PROBE and not settled then return end
  if not p.other then
    p.other, p.times, p.skip = mean(p.times), {}, 1
    -- Far faster than the steps just before the probe needs no fresh
    -- baseline: with a neighbour on one core, re-timing two threads would
    -- cost PROBE + 1 more steps at half speed, which a short run feels.
    if not (p.ref and p.other < threads.DECISIVE * p.ref) then
      core.threads(self.counts[self.current])
      return
    end
  end
  local here = #p.times > 0 and mean(p.times) or p.ref
  if p.other < threads.BETTER * here then
    self.current = 3 - self.current
    self.recent, self.best, self.period = {}, math.huge, threads.PERIOD
    core.threads(self.counts[self.current])
  else
    -- Nothing better: wait longer, and take today's speed as the one to keep.
    self.recent, self.best, self.period = p.times, here, math.min(2 * self.period, threads.MAX_PERIOD)
  end
  self.next = p.step + self.period
  self.probe = nil
end

-- Ends a probe under way and sets the count in use: before evaluation,
-- pictures and the end of a run, which should not run at a probe's count.
function Ctl:pause()
  self.probe = nil
  core.threads(self.counts[self.current])
end

-- The count in use now.
function Ctl:count() return self.counts[self.current] end

return threads
