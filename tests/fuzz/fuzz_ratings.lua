-- fuzz_ratings: vg.ratings (lua/vaegraph/data/ratings.lua) on fuzzed
-- MovieLens files (u.data, ratings.dat, ratings.csv), run by fuzz_lua.c.
-- The input's first byte picks one of the option sets below; the rest is
-- the file. A rejection must come from errors.fail; what the reader
-- accepts must be a usable source, and the popularity baseline must score
-- it.
local ratings = require "vaegraph.data.ratings"

local SETS = {
  function(f) return { file = f } end,
  function(f) return { file = f, min_clicks = 1 } end,
  function(f) return { file = f, min_clicks = 1, threshold = 0, heldout = 1 } end,
  function(f) return { file = f, min_clicks = 2, threshold = 4, seed = 7 } end,
  function(f) return { file = f, min_clicks = 1, threshold = -1e300, heldout = 2, seed = 3 } end,
}

local function check(cond, fmt, ...)
  if not cond then error("invariant: " .. string.format(fmt, ...), 0) end
end

local function walk(src)
  local items = src.items
  check(math.type(items) == "integer" and items >= 1, "items %s", tostring(items))
  for _, s in ipairs{ src.train, src.test } do
    s:order(true, 5, 2)
    s:labels(0, s:size())
    for _, lists in ipairs{ s.input, s.heldout } do
      for _, l in ipairs(lists) do
        for _, i in ipairs(l) do check(math.type(i) == "integer" and i >= 0 and i < items, "item %s of %d", tostring(i), items) end
      end
    end
  end
  check(src.test:size() >= 1 and #src.test.heldout == src.test:size(), "test users")
  local score = ratings.popularity(src)
  for _, k in ipairs{ 1, 20, 100 } do
    for _, ndcg in ipairs{ false, true } do
      local v = score(k, ndcg)
      check(v >= 0 and v <= 1 + 1e-9, "popularity %s@%d = %s", ndcg and "ndcg" or "recall", k, tostring(v))
    end
  end
end

return {
  raisers = { "vaegraph/errors.lua" },
  run = function(input, write)
    if #input < 1 then return end
    local f = write(0, input:sub(2))
    walk(ratings.load(SETS[input:byte(1) % #SETS + 1](f)))
  end,
}
