-- The importance-sampled log-likelihood (--eval-ll K) on a model whose
-- p(x) is known: z ~ N(0, 1), x | z ~ N(z, 1), so x ~ N(0, 2).
--  1. With the exact posterior q(z|x) = N(x/2, 1/2) every weight is p(x):
--     the estimate is log N(x; 0, 2) for each example, at any K.
--  2. With the prior as proposal it is a lower bound in expectation that
--     tightens with K: K = 1 is further below the truth than K = 300.
--  3. 1 and 2 threads give the same per-example estimates.
--  4. A script without a log_weight says why; K = 0 is refused.
local vg = require "vaegraph"
local dir = assert(arg[1], "usage: likelihood.lua TMPDIR")

local function u32(n) return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256) end
local function write(path, bytes) local f = assert(io.open(path, "wb")); f:write(bytes); f:close() end
-- 40 one-value examples (bytes spread over 0..255), 37 of them tested: the
-- last batch of rows is partial at any K.
local n = 40
local vals = {}
for i = 0, n - 1 do vals[#vals + 1] = string.char((i * 97) % 256) end
for _, split in ipairs{ "train", "t10k" } do
  write(dir .. "/" .. split .. "-images-idx3-ubyte", "\0\0\8\3" .. u32(n) .. u32(1) .. u32(1) .. table.concat(vals))
  write(dir .. "/" .. split .. "-labels-idx1-ubyte", "\0\0\8\1" .. u32(n) .. string.rep("\0", n))
end

local function run(out, k, exact, extra)
  vg.opts = { epochs = 1, out = dir .. "/" .. out, quiet = true, eval_ll = k, limit = 37, threads = extra and extra.threads }
  local g = vg.graph{ batch = 8, seed = 3 }
  local x = g:input("x", { 1 })
  local m = g:group "m"
  local b = g:param(m, "b", { 1 }, "const", 0.5)
  local mu, logvar
  if exact then mu, logvar = x * 0.5, x * 0 + math.log(0.5) else mu, logvar = x * 0, x * 0 end
  local z = vg.reparam(mu, logvar)
  local log_weight = vg.log_gaussian(z, x, 1) + vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar)
  local spec = { graph = g, data = vg.mnist{ dir = dir }, feed = { x = "image" },
    phases = { { "train", loss = vg.sum(b * b), update = { m }, optim = vg.sgd{ lr = 0.1 } } },
    eval = { test_mean = vg.mean(x) }, log_weight = log_weight }
  for key, v in pairs(extra or {}) do if key ~= "threads" then spec[key] = v end end
  return vg.train(spec)
end

local function column(path, name)
  local f = assert(io.open(path))
  local header, at, out = f:read("*l"), nil, {}
  local i = 0
  for c in (header .. ","):gmatch("([^,]*),") do i = i + 1; if c == name then at = i end end
  assert(at, name .. " not in " .. path)
  for line in f:lines() do
    local cells = {}
    for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c end
    out[#out + 1] = tonumber(cells[at])
  end
  f:close()
  return out
end

local function truth(i) -- -log N(x; 0, 2) of test example i (0-based)
  local x = ((i * 97) % 256) / 255
  return 0.5 * (math.log(4 * math.pi) + x * x / 2)
end

-- 1. The exact posterior: every sample's weight is p(x).
for _, k in ipairs{ 1, 3, 20 } do
  run("exact" .. k, k, true)
  local got = column(dir .. "/exact" .. k .. "/test_scores.csv", "nll_is")
  assert(#got == 37, "a row per test example, got " .. #got)
  for i = 1, 37 do
    assert(math.abs(got[i] - truth(i - 1)) < 1e-4, string.format("K=%d example %d: %.6f, want %.6f", k, i - 1, got[i], truth(i - 1)))
  end
  local m = column(dir .. "/exact" .. k .. "/metrics.csv", "test_nll_is")
  local mean = 0
  for i = 1, 37 do mean = mean + truth(i - 1) / 37 end
  assert(math.abs(m[1] - mean) < 1e-4, "metrics.csv test_nll_is " .. m[1] .. ", want " .. mean)
end

-- 2. The prior as proposal: a looser bound with fewer samples.
local function mean_of(list) local s = 0 for _, v in ipairs(list) do s = s + v end return s / #list end
run("prior1", 1, false)
run("prior300", 300, false)
local one = mean_of(column(dir .. "/prior1/test_scores.csv", "nll_is"))
local many = mean_of(column(dir .. "/prior300/test_scores.csv", "nll_is"))
local want = 0
for i = 1, 37 do want = want + truth(i - 1) / 37 end
assert(one > many + 0.05, string.format("K=1 (%.4f) should be well above K=300 (%.4f)", one, many))
assert(math.abs(many - want) < 0.02, string.format("K=300 (%.4f) should be near the truth (%.4f)", many, want))

-- 3. Threads do not change the estimate.
run("t1", 7, false, { threads = 1 })
run("t2", 7, false, { threads = 2 })
local a, b = column(dir .. "/t1/test_scores.csv", "nll_is"), column(dir .. "/t2/test_scores.csv", "nll_is")
for i = 1, 37 do assert(a[i] == b[i], "threads changed example " .. (i - 1)) end

-- 4. Errors.
local function expect(fn, want_text)
  local ok, err = pcall(fn)
  assert(not ok and tostring(err):find(want_text, 1, true), "want '" .. want_text .. "', got " .. tostring(err))
end
expect(function() run("none", 5, true, { log_weight = false, not_likelihood = "it is only a test" }) end,
  "--eval-ll: likelihood.lua: it is only a test")
expect(function() run("zero", 0, true) end, "--eval-ll wants K >= 1 samples per test example, got 0")
vg.opts = false
print("ok")
