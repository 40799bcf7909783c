-- Weights that follow the training step: KL annealing, beta-VAE warm-up.
-- Each schedule is a function of the global step (1, 2, ...) and carries a
-- description for logs.
local errors = require "vaegraph.errors"
local schedule = {}

local function make(desc, f)
  return setmetatable({ desc = desc }, { __call = function(_, step) return f(step) end })
end

local function check(opts, name, valid) errors.check_keys("schedule." .. name, opts, valid) end

function schedule.constant(v)
  return make(string.format("constant %g", v), function() return v end)
end

-- From `from` to `to` over `steps` steps, then constant.
function schedule.linear(o)
  check(o, "linear", { from = true, to = true, steps = true })
  local from, to, steps = o.from or 0, o.to or 1, o.steps or errors.fail("schedule.linear needs steps")
  return make(string.format("linear %g -> %g over %d steps", from, to, steps), function(step)
    local t = math.min(step / steps, 1)
    return from + (to - from) * t
  end)
end

-- max / (1 + exp(-k (step - x0))), as in Bowman et al. 2016.
function schedule.logistic(o)
  o = o or {}
  check(o, "logistic", { k = true, x0 = true, max = true })
  local k, x0, max = o.k or 0.0025, o.x0 or 2500, o.max or 1
  return make(string.format("logistic k=%g x0=%g", k, x0), function(step)
    return max / (1 + math.exp(-k * (step - x0)))
  end)
end

-- Cyclical annealing (Fu et al. 2019): in each cycle of `period` steps the
-- weight rises linearly to `max` over the first `ratio` of it, then holds.
function schedule.cyclical(o)
  check(o, "cyclical", { period = true, ratio = true, max = true })
  local period, ratio, max = o.period or errors.fail("schedule.cyclical needs period"), o.ratio or 0.5, o.max or 1
  return make(string.format("cyclical period=%d ratio=%g", period, ratio), function(step)
    local t = ((step - 1) % period) / period
    return max * math.min(t / ratio, 1)
  end)
end

return schedule
