-- Implicit feedback for recommendation, prepared as Liang et al. 2018
-- (Mult-VAE) prepare MovieLens: ratings of at least `threshold` (3.5) are
-- clicks (their code keeps ratings above 3.5: on half-star data give 4); users with fewer than `min_clicks` (5) clicks are dropped; the
-- users are shuffled by the seed and `heldout` of them (default a tenth)
-- are test users, the rest training users; the items are those the
-- training users clicked. Each test user's clicks are split by the seed:
-- 20% held out (what it should rank first; rounded down as theirs, but at
-- least one), the rest folded in (the model's input).
--   vg.ratings{ file = FILE, threshold, min_clicks, heldout, seed }
-- Files in the MovieLens formats: u.data (user TAB item TAB rating TAB
-- time), ratings.dat (user::item::rating::time), ratings.csv (a header
-- line, then userId,movieId,rating,timestamp). A malformed line is an error
-- naming file and line.
--   vg.ratings{ planted = DIR, ... } without a file: a planted data set,
-- made once in DIR/planted_ratings.csv (ratings.csv format) by
-- ratings.plant: users in taste groups, item popularity a power law.
--
-- The source has kind "ratings", items (the item count), and splits whose
-- examples are users: feeds `clicks` (a training user's clicks, a test
-- user's fold-in clicks, as 0/1 rows over the items) and `heldout` (a test
-- user's held-out clicks; zeros for a training user).
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local files = require "vaegraph.files"
local lcg = require "vaegraph.data.lcg"
local ratings = {}

local fail = errors.fail

-- The (user, item, rating) of every line of a MovieLens file.
local function read(path)
  local f, err = io.open(path, "rb")
  if not f then fail("vg.ratings: cannot open %s (%s)", path, tostring(err)) end
  local users, items, values = {}, {}, {}
  local lineno, format = 0, nil
  for line in f:lines() do
    lineno = lineno + 1
    line = line:gsub("\r$", "")
    if line:match("%S") then
      if not format then
        if line:find("::", 1, true) then format = "dat"
        elseif line:find("\t", 1, true) then format = "tab"
        elseif line:find(",", 1, true) then format = "csv"
        else f:close() fail("%s:%d: not a MovieLens ratings line (u.data, ratings.dat or ratings.csv)", path, lineno) end
        if format == "csv" and line:lower():match("^%s*userid") then goto continue end
      end
      local sep = format == "dat" and "::" or format == "tab" and "\t" or ","
      local cells, from = {}, 1
      while true do
        local a, b = line:find(sep, from, true)
        cells[#cells + 1] = line:sub(from, (a or 0) - 1)
        if not a then break end
        from = b + 1
      end
      local u, i, r = tonumber(cells[1]), tonumber(cells[2]), tonumber(cells[3])
      if #cells < 3 or not u or not i or not r or u % 1 ~= 0 or i % 1 ~= 0 then
        f:close()
        fail("%s:%d: '%s' is not user%sitem%srating[%stime] with whole-number ids", path, lineno, line,
          sep == "\t" and "\\t" or sep, sep == "\t" and "\\t" or sep, sep == "\t" and "\\t" or sep)
      end
      users[#users + 1], items[#items + 1], values[#values + 1] = u, i, r
    end
    ::continue::
  end
  f:close()
  if #users == 0 then fail("%s: no ratings", path) end
  return users, items, values
end

-- Writes a planted data set in ratings.csv format: `users` users, each in
-- one of `groups` taste groups; items' popularity follows a power law
-- (exponent 1.1), and each group likes its own 10% of the items ten times
-- more. A user rates 5 + a geometric number (mean 30) of items, drawn by
-- popularity times taste; rated items get 4 or 5 stars, and a quarter of
-- the ratings are low (1 to 3 stars: seen, not clicked).
function ratings.plant(path, o)
  o = o or {}
  local U, I, G = o.users or 3000, o.items or 1500, o.groups or 10
  local gen = lcg.new(o.seed or 1, 77)
  local rank = lcg.permutation(I, o.seed or 1, 78)
  local base = {}
  for i = 1, I do base[i] = (rank[i]) ^ -1.1 end
  local likes = {}
  for g = 1, G do
    likes[g] = {}
    for i = 1, I do likes[g][i] = gen() < 0.1 and 10 or 1 end
  end
  local lines = { "userId,movieId,rating,timestamp" }
  for u = 1, U do
    local g = math.floor(gen() * G) + 1
    local w, total = {}, 0
    for i = 1, I do
      total = total + base[i] * likes[g][i]
      w[i] = total
    end
    local n = 5 + math.floor(math.log(1 - gen()) * -30)
    if n > math.floor(I / 2) then n = math.floor(I / 2) end
    local seen = {}
    for _ = 1, n do
      local item
      repeat
        local t, lo, hi = gen() * total, 1, I
        while lo < hi do
          local mid = math.floor((lo + hi) / 2)
          if w[mid] < t then lo = mid + 1 else hi = mid end
        end
        item = lo
      until not seen[item]
      seen[item] = true
      local stars = gen() < 0.25 and (1 + math.floor(gen() * 3)) or (4 + math.floor(gen() * 2))
      lines[#lines + 1] = string.format("%d,%d,%d,%d", u, item, stars, 1000000 + u * 100)
    end
  end
  files.write_atomic(path, table.concat(lines, "\n") .. "\n")
end

local Split = {}
Split.__index = Split
Split.feeds = { clicks = "the user's clicks (a test user's fold-in part) as 0/1 over the items",
                heldout = "a test user's held-out clicks as 0/1 over the items (zeros for training users)" }

function Split:size() return #self.input end
function Split:order(shuffle, seed, epoch) self.ord = lcg.order(#self.input, shuffle, seed, epoch) end
function Split:labels(first, count)
  local out = {}
  for b = 1, count do out[b] = -1 end
  return out
end
function Split:fill(kind, g, node, first, count)
  if first < 0 or first + count > #self.input then
    fail("ratings: users %d..%d of a split of %d", first, first + count - 1, #self.input)
  end
  local lists = kind == "clicks" and self.input or kind == "heldout" and self.heldout or nil
  if not lists then fail("feed kind '%s' is not one ratings know (valid: clicks, heldout)", tostring(kind)) end
  local rows = {}
  for b = 1, count do rows[b] = lists[self.ord[first + b]] or {} end
  g.core:set_rows(node, self.items, rows)
end

local function split(input, heldout, items)
  local s = setmetatable({ input = input, heldout = heldout, items = items }, Split)
  s:order(false, 0, 0)
  return s
end

local OPTIONS = { "file", "planted", "threshold", "min_clicks", "heldout", "seed" }

function ratings.load(o)
  errors.check_keys("vg.ratings", o, OPTIONS)
  o = o or {}
  local path = o.file
  if not path then
    if not o.planted then fail("vg.ratings needs file = a MovieLens ratings file, or planted = a folder for the planted set") end
    core.mkdir(o.planted)
    path = o.planted .. "/planted_ratings.csv"
    if not files.exists(path) then ratings.plant(path, { seed = 1 }) end
  end
  local threshold, min_clicks, seed = o.threshold or 3.5, o.min_clicks or 5, o.seed or 1
  local users, items, values = read(path)
  -- Clicks per user, users in order of first appearance.
  local by_user, order = {}, {}
  for k = 1, #users do
    if values[k] >= threshold then
      local u = users[k]
      if not by_user[u] then by_user[u], order[#order + 1] = {}, u end
      local list = by_user[u]
      list[#list + 1] = items[k]
    end
  end
  local kept = {}
  for _, u in ipairs(order) do if #by_user[u] >= min_clicks then kept[#kept + 1] = u end end
  if #kept < 2 then
    fail("%s: %d users with at least %d ratings of %g or more; at least 2 are needed", path, #kept, min_clicks, threshold)
  end
  local perm = lcg.permutation(#kept, seed, 91)
  local nheld = o.heldout or math.max(1, math.floor(#kept / 10))
  if nheld < 1 or nheld >= #kept then fail("vg.ratings: heldout must be from 1 to %d users, got %s", #kept - 1, tostring(nheld)) end
  -- Items: those the training users clicked, numbered in order of first click.
  local index, nitems = {}, 0
  local train_users, test_users = {}, {}
  for k = 1, #kept do
    local u = kept[perm[k]]
    if k <= nheld then test_users[#test_users + 1] = u else train_users[#train_users + 1] = u end
  end
  table.sort(train_users)
  table.sort(test_users)
  for _, u in ipairs(train_users) do
    for _, i in ipairs(by_user[u]) do
      if not index[i] then nitems = nitems + 1; index[i] = nitems - 1 end
    end
  end
  local train_in = {}
  for n, u in ipairs(train_users) do
    local l = {}
    for _, i in ipairs(by_user[u]) do l[#l + 1] = index[i] end
    train_in[n] = l
  end
  -- Test users: known items only, 20% held out (at least one), the rest folded in.
  local test_in, test_out, gen = {}, {}, lcg.new(seed, 92)
  for _, u in ipairs(test_users) do
    local known = {}
    for _, i in ipairs(by_user[u]) do if index[i] then known[#known + 1] = index[i] end end
    if #known >= 2 then
      for j = #known, 2, -1 do
        local r = math.floor(gen() * j) + 1
        known[j], known[r] = known[r], known[j]
      end
      local nout = math.max(1, math.floor(0.2 * #known))
      local fold, out = {}, {}
      for j, i in ipairs(known) do if j <= nout then out[#out + 1] = i else fold[#fold + 1] = i end end
      test_in[#test_in + 1], test_out[#test_out + 1] = fold, out
    end
  end
  if #test_in == 0 then fail("%s: no test user has two clicks on items the training users clicked", path) end
  local pop = {}
  for i = 1, nitems do pop[i] = 0 end
  for _, l in ipairs(train_in) do for _, i in ipairs(l) do pop[i + 1] = pop[i + 1] + 1 end end
  local clicks = 0
  for _, l in ipairs(train_in) do clicks = clicks + #l end
  return {
    kind = "ratings", name = path, items = nitems, size = nitems, shape = { nitems },
    train = split(train_in, {}, nitems), test = split(test_in, test_out, nitems), popularity = pop,
    fingerprint = string.format("ratings %s: %d training users, %d test users, %d items, %d training clicks", path,
      #train_in, #test_in, nitems, clicks),
  }
end

-- The popularity baseline: each test user gets the items the training
-- users clicked most, less the user's fold-in ones. Returns a function
-- (k, ndcg) -> the mean over test users of Recall@k (or NDCG@k), with the
-- recall_at_k and ndcg_at_k ops' definitions.
function ratings.popularity(source)
  local items = {}
  for i = 1, source.items do items[i] = i - 1 end
  local pop = source.popularity
  table.sort(items, function(a, b) if pop[a + 1] ~= pop[b + 1] then return pop[a + 1] > pop[b + 1] end return a < b end)
  local test = source.test
  return function(k, ndcg)
    local total = 0
    for u = 1, #test.input do
      local fold, rel = {}, {}
      for _, i in ipairs(test.input[u]) do fold[i] = true end
      for _, i in ipairs(test.heldout[u]) do rel[i] = true end
      local nrel, hits, dcg, t = #test.heldout[u], 0, 0, 0
      for _, i in ipairs(items) do
        if t >= k then break end
        if not fold[i] then
          t = t + 1
          if rel[i] then hits, dcg = hits + 1, dcg + 1 / (math.log(t + 1) / math.log(2)) end
        end
      end
      local best = math.min(k, nrel)
      if ndcg then
        local ideal = 0
        for r = 1, best do ideal = ideal + 1 / (math.log(r + 1) / math.log(2)) end
        total = total + dcg / ideal
      else
        total = total + hits / best
      end
    end
    return total / #test.input
  end
end

return ratings
