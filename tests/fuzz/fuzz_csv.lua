-- fuzz_csv: vg.csv (lua/vaegraph/data/csv.lua) on fuzzed files, run by
-- fuzz_lua.c. The input's first byte picks one of the option sets below;
-- the rest is the file, or for train/test the two files, split at the
-- first form feed (both get all of it when there is none).
-- A rejection must come from errors.fail; what the reader accepts must be
-- a usable source: splits the sizes say, labels -1 or class ids below
-- `classes`, finite statistics.
local csv = require "vaegraph.data.csv"

local SETS = {
  function(one) return { file = one } end,
  function(one) return { file = one, label = "label" } end,
  function(one) return { file = one, label = "label", every = 2 } end,
  function(one) return { file = one, label = "label", classes = { 0 } } end,
  function(one) return { file = one, label = "label", classes = { train = { 0 }, test = { 0, 1 } }, limit = 3 } end,
  function(_, train, test) return { train = train, test = test } end,
  function(_, train, test) return { train = train, test = test, label = "label" } end,
  function(_, train, test) return { train = train, test = test, label = "label", limit = 2, every = 3 } end,
}

local function check(cond, fmt, ...)
  if not cond then error("invariant: " .. string.format(fmt, ...), 0) end
end

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end

local function walk(src)
  check(src.kind == "table" and src.size == #src.columns and src.size >= 1, "sizes %s, %d columns", tostring(src.size), #src.columns)
  for j = 1, src.size do
    check(finite(src.mean[j]) and finite(src.sd[j]) and src.sd[j] > 0, "column %d: mean %s, sd %s", j, tostring(src.mean[j]), tostring(src.sd[j]))
  end
  for _, s in ipairs{ src.train, src.test } do
    local n = s:size()
    s:order(true, 7, 1)
    local labels = s:labels(0, n)
    for b = 1, n do
      local l = labels[b]
      check(math.type(l) == "integer" or l % 1 == 0, "label %s", tostring(l))
      check(l == -1 or (l >= 0 and l < src.classes), "label %s of %s classes", tostring(l), tostring(src.classes))
    end
    for _, row in ipairs(s.rows) do
      check(#row == src.size, "a row of %d features, %d columns", #row, src.size)
      -- What Split:fill feeds: every standardised value finite.
      for j = 1, src.size do
        local v = (row[j] - src.mean[j]) / src.sd[j]
        check(finite(v), "column %d: %s standardises to %s", j, tostring(row[j]), tostring(v))
      end
    end
  end
end

return {
  raisers = { "vaegraph/errors.lua" },
  run = function(input, write)
    if #input < 1 then return end
    local pick, body = input:byte(1), input:sub(2)
    local cut = body:find("\f", 1, true)
    local one = write(0, body)
    local train, test = one, one
    if cut then train, test = write(0, body:sub(1, cut - 1)), write(1, body:sub(cut + 1)) end
    walk(csv.load(SETS[pick % #SETS + 1](one, train, test)))
  end,
}
