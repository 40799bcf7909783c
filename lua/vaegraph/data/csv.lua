-- Tabular data: CSV files of numeric feature rows (sensor records, say),
-- with a header naming the columns and optionally a label column of class
-- ids (an empty cell: no label). Features are standardised with the
-- training rows' means and standard deviations, so the test rows are
-- scaled the same way. The data-source interface is data/images.lua's, of
-- kind "table": feeds `features` (the standardised row) and `label`.
--   vg.csv{ train = FILE, test = FILE, label = "column", classes, limit }
--   vg.csv{ file = FILE, every = 5, ... }: one file, every 5th row of each
--   class held out for testing
-- Malformed input is an error naming the file, line and column.
local errors = require "vaegraph.errors"
local lcg = require "vaegraph.data.lcg"
local csv = {}

local fail = errors.fail

-- Class ids run 0..MAX_CLASS (the image sets' limit too): a label past it is
-- a wrong column, not a million classes.
csv.MAX_CLASS = 1048575

local function split_line(line)
  local cells = {}
  for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c:match("^%s*(.-)%s*$") end
  return cells
end

-- { names, rows = { {features}, ... }, labels = {...}, lines = {...} } of one file.
local function read(path, label_col)
  local f, err = io.open(path, "rb")
  if not f then fail("vg.csv: cannot open %s (%s)", path, tostring(err)) end
  local header, names, at_label, rows, labels, lines = nil, {}, nil, {}, {}, {}
  local lineno = 0
  for line in f:lines() do
    lineno = lineno + 1
    line = line:gsub("\r$", "")
    if line:find('"', 1, true) then
      f:close()
      fail("%s:%d: a quoted field; vg.csv reads plain numeric fields only", path, lineno)
    end
    if line:match("%S") then
      local cells = split_line(line)
      if not header then
        header = cells
        local seen = {}
        for i, name in ipairs(cells) do
          if name == "" then f:close() fail("%s:%d: column %d has no name", path, lineno, i) end
          if seen[name] then f:close() fail("%s:%d: two columns are named '%s' (%d and %d)", path, lineno, name, seen[name], i) end
          seen[name] = i
          if name == label_col then at_label = i else names[#names + 1] = name end
        end
        if label_col and not at_label then
          f:close()
          fail("%s:%d: no column named '%s' for the labels (the columns are %s)", path, lineno, label_col, table.concat(header, ", "))
        end
        if #names == 0 then f:close() fail("%s:%d: no feature columns", path, lineno) end
      else
        if #cells ~= #header then
          f:close()
          fail("%s:%d: %d fields, but the header has %d", path, lineno, #cells, #header)
        end
        local row, label = {}, -1
        for i, c in ipairs(cells) do
          local v = tonumber(c)
          if i == at_label then
            if c ~= "" then
              if not v or v % 1 ~= 0 or v < 0 or v > csv.MAX_CLASS then
                f:close()
                fail("%s:%d: label '%s' in column '%s' is not a class id (a whole number from 0 to %d, or empty for none)",
                  path, lineno, c, label_col, csv.MAX_CLASS)
              end
              label = math.floor(v) -- 5.0 and 0x5 are the class 5
            end
          else
            if not v or v ~= v or v == math.huge or v == -math.huge then
              f:close()
              fail("%s:%d: column '%s' (field %d) is '%s', not a finite number", path, lineno, header[i], i, c)
            end
            row[#row + 1] = v
          end
        end
        rows[#rows + 1], labels[#labels + 1], lines[#lines + 1] = row, label, lineno
      end
    end
  end
  f:close()
  if not header then fail("%s: empty; a CSV file starts with a header line naming its columns", path) end
  if #rows == 0 then fail("%s: a header but no rows", path) end
  return { names = names, rows = rows, labels = labels, lines = lines, path = path }
end

local Split = {}
Split.__index = Split
Split.feeds = { features = "the row's features, standardised by the training rows' statistics",
                label = "the class id, -1 without a label" }

function Split:size() return #self.rows end
function Split:order(shuffle, seed, epoch) self.ord = lcg.order(#self.rows, shuffle, seed, epoch) end
function Split:labels(first, count)
  local out = {}
  for b = 1, count do out[b] = self.labels_[self.ord[first + b]] end
  return out
end
function Split:fill(kind, g, node, first, count)
  if first < 0 or first + count > #self.rows then
    fail("table data: rows %d..%d of a split of %d", first, first + count - 1, #self.rows)
  end
  local vals = {}
  if kind == "features" then
    local mean, sd, D = self.mean, self.sd, #self.mean
    g.core:set_shape(node, { count, D })
    for b = 1, count do
      local row = self.rows[self.ord[first + b]]
      for j = 1, D do vals[(b - 1) * D + j] = (row[j] - mean[j]) / sd[j] end
    end
  elseif kind == "label" then
    g.core:set_shape(node, { count })
    for b = 1, count do vals[b] = self.labels_[self.ord[first + b]] end
  else
    fail("feed kind '%s' is not one table data knows (valid: features, label)", tostring(kind))
  end
  g.core:data(node, vals)
end

local function split(rows, labels, mean, sd)
  local s = setmetatable({ rows = rows, labels_ = labels, mean = mean, sd = sd }, Split)
  s:order(false, 0, 0)
  return s
end

-- Rows whose labels are in `keep` (a list of class ids), in file order.
local function keep_classes(t, keep, what)
  local want = {}
  for _, c in ipairs(keep) do want[c] = true end
  local rows, labels, lines = {}, {}, {}
  for i, l in ipairs(t.labels) do
    if want[l] then rows[#rows + 1], labels[#labels + 1], lines[#lines + 1] = t.rows[i], l, t.lines[i] end
  end
  if #rows == 0 then fail("vg.csv: no %s rows of classes %s", what, table.concat(keep, ", ")) end
  t.rows, t.labels, t.lines = rows, labels, lines
end

local OPTIONS = { "file", "train", "test", "label", "every", "classes", "limit" }

function csv.load(o)
  errors.check_keys("vg.csv", o, OPTIONS)
  o = o or {}
  if not o.file and not o.train then fail("vg.csv needs file = FILE (split by every) or train = FILE [, test = FILE]") end
  if o.file and (o.train or o.test) then fail("vg.csv: give file, or train and test, not both") end
  local train, test
  if o.file then
    local all = read(o.file, o.label)
    local every = o.every or 5
    if every < 2 or every % 1 ~= 0 then fail("vg.csv: every must be a whole number >= 2, got %s", tostring(every)) end
    train = { names = all.names, rows = {}, labels = {}, lines = {}, path = o.file }
    test = { names = all.names, rows = {}, labels = {}, lines = {}, path = o.file }
    local seen = {}
    for i, row in ipairs(all.rows) do
      local l = all.labels[i]
      seen[l] = (seen[l] or 0) + 1
      local t = seen[l] % every == 0 and test or train
      t.rows[#t.rows + 1], t.labels[#t.labels + 1], t.lines[#t.lines + 1] = row, l, all.lines[i]
    end
    if #test.rows == 0 then fail("%s: every %d-th row of each class gives no test rows", o.file, every) end
  else
    if not o.test then fail("vg.csv: train = FILE needs test = FILE too (or give file = FILE and every = k)") end
    train, test = read(o.train, o.label), read(o.test, o.label)
    if table.concat(train.names, ",") ~= table.concat(test.names, ",") then
      fail("vg.csv: %s has the feature columns %s, %s has %s; they must be the same, in the same order", o.train,
        table.concat(train.names, ", "), o.test, table.concat(test.names, ", "))
    end
  end
  local classes = o.classes
  if classes then
    local tr, te = classes, classes
    if classes.train or classes.test then tr, te = classes.train, classes.test end
    if tr then keep_classes(train, tr, "training") end
    if te then keep_classes(test, te, "test") end
  end
  if o.limit ~= nil and (type(o.limit) ~= "number" or o.limit < 1 or o.limit % 1 ~= 0) then
    fail("vg.csv: limit must be a whole number >= 1, got %s", tostring(o.limit))
  end
  if o.limit then
    for _, t in ipairs{ train, test } do
      while #t.rows > o.limit do t.rows[#t.rows], t.labels[#t.labels] = nil, nil end
    end
  end
  -- The training rows' statistics standardise both splits.
  -- Sums run over values divided by the column's largest magnitude, so that
  -- features near the double range (1e308) give finite statistics.
  local D, n = #train.names, #train.rows
  local mean, sd = {}, {}
  for j = 1, D do
    local scale = 0
    for i = 1, n do scale = math.max(scale, math.abs(train.rows[i][j])) end
    if scale == 0 then scale = 1 end
    local s = 0
    for i = 1, n do s = s + train.rows[i][j] / scale end
    local m = s / n
    local v = 0
    for i = 1, n do v = v + (train.rows[i][j] / scale - m) ^ 2 end
    local d = math.sqrt(v / n)
    mean[j], sd[j] = m * scale, d * scale
    if d < 1e-12 then sd[j] = 1 end -- a constant column stays centred
  end
  -- What the graph is fed, (x - mean) / sd as floats, must be finite: a
  -- value far outside the training rows' spread is named, not fed as inf.
  local FLOAT_MAX = 3.4028234663852886e38
  for _, t in ipairs{ train, test } do
    for i, row in ipairs(t.rows) do
      for j = 1, D do
        local z = (row[j] - mean[j]) / sd[j]
        if not (z > -FLOAT_MAX and z < FLOAT_MAX) then
          fail("%s:%d: column '%s' is %s, %s standard deviations from the training rows' mean %s: beyond a float",
            t.path, t.lines[i], train.names[j], tostring(row[j]), tostring(z), tostring(mean[j]))
        end
      end
    end
  end
  local top = -1
  for _, t in ipairs{ train, test } do for _, l in ipairs(t.labels) do if l > top then top = l end end end
  -- What a checkpoint records: the sizes and a checksum of the values.
  local sum = 0
  for _, t in ipairs{ train, test } do
    for i, row in ipairs(t.rows) do
      for j, v in ipairs(row) do sum = (sum + v * ((i * 31 + j) % 997)) % 1e9 end
    end
  end
  return {
    kind = "table", name = o.file or o.train, train = split(train.rows, train.labels, mean, sd),
    test = split(test.rows, test.labels, mean, sd), columns = train.names, mean = mean, sd = sd,
    shape = { D }, size = D, classes = top + 1,
    fingerprint = string.format("table %d+%d rows of %d columns, checksum %.6f", #train.rows, #test.rows, D, sum),
  }
end

return csv
