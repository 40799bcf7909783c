-- The thread count that adapts to a busy neighbour (train/threads.lua), on
-- made-up step times: it probes the other count every PERIOD steps, moves
-- when that count is clearly faster, and comes back when it is not.
local vg = require "vaegraph"
local threads = require "vaegraph.train.threads"
local core = vg.core

core.threads(2)
assert(threads.new{ threads = 2 } == nil, "--threads fixes the count")
local ctl = threads.new{}
assert(ctl and ctl:count() == 2, "starts on every core")

-- Runs steps first..last; seconds(count) is a step's time at a count.
local function steps(first, last, seconds)
  for s = first, last do
    ctl:before(s)
    ctl:after(seconds(core.threads()))
  end
end
local idle = function(n) return n == 2 and 1.0 or 1.9 end  -- two threads win
local busy = function(n) return n == 2 and 2.4 or 1.1 end  -- a neighbour on one core
local P, Q = threads.PERIOD, threads.PROBE + 1 -- a probe takes Q steps from a multiple of P
steps(1, 2 * P + Q, idle)
assert(ctl:count() == 2 and core.threads() == 2, "idle: stays on 2 threads after probing")
steps(2 * P + Q + 1, 3 * P + Q, busy)
assert(ctl:count() == 1 and core.threads() == 1, "busy: moves to 1 thread at the next probe")
steps(3 * P + Q + 1, 5 * P + Q, busy)
assert(ctl:count() == 1 and core.threads() == 1, "busy: stays on 1 thread")
steps(5 * P + Q + 1, 6 * P + Q, idle)
assert(ctl:count() == 2 and core.threads() == 2, "idle again: back to 2 threads")
-- Within 5%, no move: noise is not a reason.
steps(6 * P + Q + 1, 8 * P + Q, function(n) return n == 2 and 1.0 or 0.97 end)
assert(ctl:count() == 2 and core.threads() == 2, "a 3% difference moved the count")
print("ok")
