-- The thread count that adapts to a busy neighbour (train/threads.lua), on
-- made-up step times: two threads win on an idle machine; with a neighbour
-- on one core, two threads wait for each other and one thread (on the free
-- core) wins. The controller must find each soon after it changes, and
-- not move for noise.
local vg = require "vaegraph"
local threads = require "vaegraph.train.threads"
local core = vg.core

core.threads(2)
assert(threads.new{ threads = 2 } == nil, "--threads fixes the count")
local ctl = threads.new{}
assert(ctl and ctl:count() == 2, "starts on every core")

local step = 0
-- Runs n steps; seconds(count) is a step's time at a thread count.
local function steps(n, seconds)
  for _ = 1, n do
    step = step + 1
    ctl:before(step)
    ctl:after(seconds(core.threads()))
  end
end
local idle = function(n) return n == 2 and 1.0 or 1.9 end
local busy = function(n) return n == 2 and 4.0 or 1.9 end
-- The count in use, and the one OpenMP has unless a probe is under way.
local function on(count) return ctl:count() == count and (ctl.probe ~= nil or core.threads() == count) end
local settle = threads.WINDOW + 2 * threads.PROBE + 4 -- a probe started by a slowdown is over by then

-- The run's first step, a warm-up many times slower than the rest, must
-- not make one thread look faster at the first probe.
steps(1, function() return 10.0 end)
steps(threads.FIRST + 2 * (threads.PROBE + 1), idle)
assert(on(2) and ctl.probed, "idle: a slow first step moved the count to 1 thread")
steps(3000, idle)
assert(on(2), "idle: stays on 2 threads")
assert(ctl.period > threads.PERIOD, "idle: probes grow rarer")
steps(settle, busy)
assert(on(1), "a neighbour arrives: 1 thread within " .. settle .. " steps")
steps(3000, busy)
assert(on(1), "busy: stays on 1 thread")
-- One thread's steps do not change when the neighbour leaves: the next
-- periodic probe must find two threads faster again.
steps(threads.MAX_PERIOD + settle, idle)
assert(on(2), "the neighbour leaves: back to 2 threads")
-- Within 5%, no move: noise is not a reason.
steps(4000, function(n) return n == 2 and 1.0 or 0.97 end)
assert(on(2), "a 3% difference moved the count")
-- Slow spells that slow both counts alike (the machine's clock down, a
-- memory-hungry neighbour) start probes, which change nothing.
for _ = 1, 3 do steps(threads.WINDOW, function(n) return n == 2 and 3.0 or 5.7 end); steps(100, idle) end
assert(on(2), "slow outliers moved the count")
-- A neighbour already there when training starts: found within the first
-- probe, a few steps in (an AAE step can take half a second).
core.threads(2)
ctl, step = threads.new{}, 0
local first, slow = 1 + threads.FIRST + threads.PROBE + 1, 0
for _ = 1, first do
  step = step + 1
  ctl:before(step)
  if core.threads() == 2 then slow = slow + 1 end
  ctl:after(busy(core.threads()))
end
assert(on(1), "busy from the start: 1 thread within " .. first .. " steps")
-- One thread is decisively faster there: no steps at two threads to
-- re-time them after the probe, only the warm-up and FIRST before it.
assert(slow == threads.FIRST + 1, string.format("busy from the start: %d steps at 2 threads, not %d", slow, threads.FIRST + 1))
-- On one thread beside a neighbour, a probe's first timed step at two
-- threads (more than HOPELESS times slower) ends it: two steps at two
-- threads per probe (the untimed warm-up and that one), not 1 + PROBE.
local probes, at_two = 0, 0
for _ = 1, 5000 do
  step = step + 1
  local was = ctl.probe
  ctl:before(step)
  if ctl.probe and not was then probes = probes + 1 end
  if core.threads() == 2 then at_two = at_two + 1 end
  ctl:after(busy(core.threads()))
end
assert(on(1), "busy: stays on 1 thread")
assert(probes >= 2, "busy: probes now and then, got " .. probes)
assert(at_two == 2 * probes, string.format("busy: %d steps at 2 threads in %d probes", at_two, probes))
print("ok")
