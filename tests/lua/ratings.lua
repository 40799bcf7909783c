-- Recommendation: the ranking ops against rankings worked by hand, and the
-- ratings source: the three MovieLens formats read alike, the clicks kept
-- and split as documented, the popularity baseline, errors naming file and
-- line. Usage: ratings.lua DIR (scratch).
local vg = require "vaegraph"
local dir = assert(arg[1], "usage: ratings.lua DIR")

local function near(a, b, what) assert(math.abs(a - b) < 1e-6, string.format("%s: %.9g, want %.9g", what, a, b)) end
local function expect(fn, want)
  local ok, err = pcall(fn)
  assert(not ok and tostring(err):find(want, 1, true), "want '" .. want .. "', got " .. tostring(err))
end

-- 1. recall_at_k and ndcg_at_k. Row 1: item 0 excluded; by score 2 and 3
-- tie (2 ranks first), then 4, then 1; top 2 = {2, 3}; relevant {1, 2, 4}:
-- one hit at rank 1. Row 2: nothing relevant. Row 3: NaN ranks last, top 2
-- = {1, 2}, relevant {0}: no hit.
local g = vg.graph{ batch = 3 }
local s, rel, ex = g:input("s", { 5 }), g:input("rel", { 5 }), g:input("ex", { 5 })
local r2, n2 = vg.recall_at_k(s, rel, ex, { k = 2 }), vg.ndcg_at_k(s, rel, ex, { k = 2 })
local n5 = vg.ndcg_at_k(s, rel, { k = 5 })
local plan = g:compile{ fetch = { r2, n2, n5 } }
g.core:data(s.id, { 0.9, 0.1, 0.5, 0.5, 0.3, 1, 2, 3, 4, 5, 0 / 0, 0.2, 0.1, 0, -1 })
g.core:data(rel.id, { 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 })
g.core:data(ex.id, { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })
plan:run(1)
local R2, N2, N5 = plan:value(r2.id), plan:value(n2.id), plan:value(n5.id)
local L = function(r) return 1 / (math.log(r + 1) / math.log(2)) end
near(R2[1], 1 / 2, "recall@2, row 1") -- one hit of min(2, 3)
near(N2[1], L(1) / (L(1) + L(2)), "ndcg@2, row 1")
-- Without exclusion, top 5 of row 1 = 0, 2, 3, 4, 1: hits at ranks 2, 4, 5.
near(N5[1], (L(2) + L(4) + L(5)) / (L(1) + L(2) + L(3)), "ndcg@5, row 1")
near(R2[2], 0, "no relevant items")
near(R2[3], 0, "NaN last")
near(N5[3], L(5) / L(1), "row 3: the NaN item ranks fifth")
local g2 = vg.graph{ batch = 3 }
local s2, rel2 = g2:input("s", { 5 }), g2:input("rel", { 5 })
expect(function() vg.recall_at_k(s2, rel2, { k = 6 }) end, "k must be a whole number from 1 to the 5 items, got 6")

-- 2. The same ratings in the three formats give the same users and items.
local rows = {}
for u = 1, 12 do
  for i = 1, 8 do
    if (u + i) % 3 ~= 0 then rows[#rows + 1] = { u, 100 + i, ((u * i) % 5) + 1 } end
  end
end
local function write(path, text) local f = assert(io.open(path, "w")); f:write(text); f:close() end
local tab, dat, csv = {}, {}, { "userId,movieId,rating,timestamp" }
for _, r in ipairs(rows) do
  tab[#tab + 1] = string.format("%d\t%d\t%d\t881250949", r[1], r[2], r[3])
  dat[#dat + 1] = string.format("%d::%d::%d::978300760", r[1], r[2], r[3])
  csv[#csv + 1] = string.format("%d,%d,%.1f,1112486027", r[1], r[2], r[3])
end
write(dir .. "/u.data", table.concat(tab, "\n") .. "\n")
write(dir .. "/ratings.dat", table.concat(dat, "\n") .. "\n")
write(dir .. "/ratings.csv", table.concat(csv, "\n") .. "\n")
local a = vg.ratings{ file = dir .. "/u.data", min_clicks = 2, heldout = 3 }
for _, name in ipairs{ "ratings.dat", "ratings.csv" } do
  local b = vg.ratings{ file = dir .. "/" .. name, min_clicks = 2, heldout = 3 }
  assert(b.items == a.items and b.train:size() == a.train:size() and b.test:size() == a.test:size(), name .. " differs")
  for u = 1, a.train:size() do assert(table.concat(a.train.input[u], " ") == table.concat(b.train.input[u], " "), name) end
end
-- Clicks are ratings >= 3.5; users with fewer than min_clicks are gone.
local clicks = {}
for _, r in ipairs(rows) do if r[3] >= 3.5 then clicks[r[1]] = (clicks[r[1]] or 0) + 1 end end
local kept = 0
for _, c in pairs(clicks) do if c >= 2 then kept = kept + 1 end end
assert(a.train:size() == kept - 3 and a.test:size() <= 3, "users kept: " .. a.train:size() .. " of " .. kept)
-- A test user's clicks split into fold-in and held-out, at least one held out.
for u = 1, a.test:size() do
  assert(#a.test.heldout[u] >= 1 and #a.test.input[u] >= 1, "test user split")
end

-- 3. The popularity baseline leaves a test user's fold-in items out: three
-- users who all click the same four items; the test user's one held-out
-- item is then the only one left to rank, so Recall@1 and NDCG@1 are 1.
local same = { "userId,movieId,rating,timestamp" }
for u = 1, 3 do for i = 1, 4 do same[#same + 1] = string.format("%d,%d,5,0", u, i) end end
write(dir .. "/pop.csv", table.concat(same, "\n") .. "\n")
local p = vg.ratings{ file = dir .. "/pop.csv", min_clicks = 3, heldout = 1 }
assert(p.train:size() == 2 and p.test:size() == 1 and #p.test.heldout[1] == 1, "two training users, one test user")
local base = require("vaegraph.data.ratings").popularity(p)
near(base(1), 1, "popularity recall@1")
near(base(1, true), 1, "popularity ndcg@1")

-- 4. Malformed files.
write(dir .. "/bad.data", "1\t2\t5\t0\n1\tx\t4\t0\n")
expect(function() vg.ratings{ file = dir .. "/bad.data" } end, "bad.data:2: '1\tx\t4\t0' is not user\\titem\\trating")
expect(function() vg.ratings{ file = dir .. "/none.csv" } end, "vg.ratings: cannot open " .. dir .. "/none.csv")

-- 5. The planted set is made once, the same for the same seed.
local pl = vg.ratings{ planted = dir .. "/planted" }
local f = assert(io.open(dir .. "/planted/planted_ratings.csv"))
local first = f:read("*a")
f:close()
assert(pl.items > 500 and pl.train:size() > 2000, "planted: " .. pl.items .. " items, " .. pl.train:size() .. " users")
os.remove(dir .. "/planted/planted_ratings.csv")
vg.ratings{ planted = dir .. "/planted" }
f = assert(io.open(dir .. "/planted/planted_ratings.csv"))
assert(f:read("*a") == first, "the planted set is the same when made again")
f:close()
print("ok")
