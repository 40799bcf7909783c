-- Loss-weight schedules against their formulas.
local s = require("vaegraph").schedule

local function near(a, b, what) assert(math.abs(a - b) < 1e-12, string.format("%s: %.15g, want %.15g", what, a, b)) end

near(s.constant(0.3)(1), 0.3, "constant")
local lin = s.linear{ from = 0, to = 2, steps = 100 }
near(lin(0), 0, "linear start"); near(lin(50), 1, "linear middle"); near(lin(100), 2, "linear end"); near(lin(1e6), 2, "linear after")
local log = s.logistic{}   -- Bowman et al.: 1 / (1 + exp(-0.0025 (step - 2500)))
near(log(2500), 0.5, "logistic midpoint")
near(log(0), 1 / (1 + math.exp(0.0025 * 2500)), "logistic start")
assert(log(10000) > 0.99999, "logistic saturates")
local cyc = s.cyclical{ period = 10, ratio = 0.5 }
near(cyc(1), 0, "cycle start"); near(cyc(3), 0.4, "rising"); near(cyc(6), 1, "top"); near(cyc(10), 1, "held"); near(cyc(11), 0, "next cycle")
local ok, err = pcall(s.linear, { form = 0, steps = 3 })
assert(not ok and err:find("unknown option 'form' (valid: from, steps, to)", 1, true), err)
print("ok")
