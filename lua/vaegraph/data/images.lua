-- What every image source shares: the options each takes (classes,
-- labelled, limit, compress), checked by key, and the data-source interface on top of
-- two C image sets (runtime/imageset.h). A format's own file (mnist.lua,
-- image_folder.lua, or a user's) only has to make those two sets.
--
-- The interface (docs/guide.md, "Data sources"):
--   source.kind            "images" (or "text")
--   source.train/.test     splits, each with
--     split:size()                          examples
--     split:order(shuffle, seed, epoch)     this epoch's order (a function of the three)
--     split:fill(kind, graph, node, first, count)
--                                            examples first .. first+count-1 of the order into
--                                            an input, which takes `count` rows
--     split:labels(first, count)            their labels (-1: no label)
--     split.feeds                           the kinds fill knows, with what each gives
--     split:labelled()                      (optional) the examples with a label, a split
--   source.shape, .size    one example's shape {C, H, W} and value count
--   source.channels, .height, .width
--   source.classes, .class_names            class count and names (names may be nil)
--   source.fingerprint     a text a checkpoint records, so a resume on other data is refused
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local images = {}

images.NO_LABEL = -1

-- Options every image source takes, besides its own.
images.OPTIONS = { "classes", "labelled", "limit", "seed", "compress" }

-- Feed kinds: how an input is filled from a split's examples.
local FEEDS = {
  image = { "pixels / 255, in [0, 1]", function(set, g, id, first, count) set:pixels(g, id, first, count, 1 / 255, 0) end },
  image_pm1 = { "pixels scaled to [-1, 1]", function(set, g, id, first, count) set:pixels(g, id, first, count, 2 / 255, -1) end },
  onehot = { "the label one-hot (a zero row without a label)", function(set, g, id, first, count) set:onehot(g, id, first, count) end },
  label = { "the class id, -1 without a label (cross_entropy's ignored id)", function(set, g, id, first, count) set:class_ids(g, id, first, count) end },
  has_label = { "1 for an example with a label, else 0", function(set, g, id, first, count) set:label_mask(g, id, first, count) end },
}

local Split = {}
Split.__index = Split
Split.feeds = {}
for kind, f in pairs(FEEDS) do Split.feeds[kind] = f[1] end

function Split:size() return self.n end
function Split:order(shuffle, seed, epoch) self.set:order(shuffle, seed, epoch) end
function Split:labels(first, count) return self.set:labels(first, count) end

function Split:fill(kind, g, node, first, count)
  local f = FEEDS[kind]
  if not f then
    local kinds = {}
    for k in pairs(FEEDS) do kinds[#kinds + 1] = k end
    table.sort(kinds)
    errors.fail("feed kind '%s' is not one an image source knows (valid: %s)", tostring(kind), table.concat(kinds, ", "))
  end
  f[2](self.set, g.core, node, first, count)
end

local function split(set) return setmetatable({ set = set, n = set:info().n }, Split) end

-- The examples that carry a label, as a split of their own (made once):
-- semi-supervised training draws a labelled batch from it every step.
function Split:labelled()
  if not self.labelled_part then self.labelled_part = split(self.set:labelled()) end
  return self.labelled_part
end

-- Class ids from a list of ids or names (image folders name their classes).
local function class_ids(what, list, names)
  if type(list) ~= "table" or #list == 0 then errors.fail("%s: classes is a list of class ids or names", what) end
  local ids = {}
  for i, c in ipairs(list) do
    if type(c) == "string" then
      local id
      for k, n in ipairs(names or {}) do if n == c then id = k - 1 end end
      if not id then
        errors.fail("%s: no class named '%s' (the classes are %s)", what, c, names and table.concat(names, ", ") or "unnamed")
      end
      c = id
    end
    if type(c) ~= "number" or c % 1 ~= 0 or c < 0 then errors.fail("%s: classes[%d] is not a class id", what, i) end
    ids[#ids + 1] = c
  end
  return ids
end

-- `classes` for both splits, or { train = ..., test = ... } for each.
local function classes_for(what, o, names)
  local c = o.classes
  if c == nil then return nil, nil end
  if type(c) == "table" and (c.train or c.test) then
    for k in pairs(c) do
      if k ~= "train" and k ~= "test" then errors.fail("%s: classes is a list, or a table with train and test lists", what) end
    end
    return c.train and class_ids(what, c.train, names), c.test and class_ids(what, c.test, names)
  end
  local ids = class_ids(what, c, names)
  return ids, ids
end

local function whole(what, key, v)
  if v ~= nil and (type(v) ~= "number" or v % 1 ~= 0 or v < 1) then
    errors.fail("%s: %s must be a whole number >= 1, got %s", what, key, tostring(v))
  end
  return v
end

-- A label file is trusted for its class count only as far as it is
-- consistent: a label beyond the named classes is a wrong file, never a new
-- class; without names, ids no example carries (10..199 when one label
-- reads 200) are worth a warning, unless the `classes` option made them.
local function check_labels(what, name, sets, classes, names, filtered)
  local seen = {}
  for _, side in ipairs{ "training", "test" } do
    local set = sets[side]
    local n = set:info().n
    local labels = n > 0 and set:labels(0, n) or {}
    for i = 1, n do
      local l = labels[i]
      if names and l >= #names then
        errors.fail("%s: %s: %s example %d has label %d, but the data set has %d classes (0..%d: %s)", what, name, side,
          i, l, #names, #names - 1, table.concat(names, ", "))
      end
      if l >= 0 then seen[l] = true end
    end
  end
  if names or filtered or classes < 2 then return end
  local missing = {}
  for c = 0, classes - 1 do
    if not seen[c] then
      if #missing == 0 or missing[#missing].last < c - 1 then missing[#missing + 1] = { first = c, last = c } end
      missing[#missing].last = c
    end
  end
  if #missing == 0 then return end
  local parts = {}
  for _, m in ipairs(missing) do parts[#parts + 1] = m.first == m.last and tostring(m.first) or (m.first .. ".." .. m.last) end
  io.stderr:write(string.format("warning: %s: %s: labels run 0..%d but no example has class %s: is a label file wrong?\n",
    what, name, classes - 1, table.concat(parts, ", ")))
end

-- The command line's --compress (vaegraph.lua sets it; nil when not given),
-- which overrides a script's compress option for every image source.
images.compress_override = nil

-- "60000 images in 22.8 MB (compressed)": what a split holds in memory.
local function held(set)
  local i = set:info()
  return string.format("%d images in %.1f MB (%s)", i.n, i.pixel_bytes / 1e6, i.compressed and "compressed" or "bytes")
end

-- images.source(what, name, train_set, test_set, o, names) -> a source
-- called `name` (its folder): the options applied (classes, then limit,
-- then labelled, which keeps the labels of `labelled` training examples per
-- class, chosen by the seed; compress = true, or --compress, holds both
-- splits compressed in memory, which the fills then decode); `what` names
-- the caller in errors.
function images.source(what, name, train, test, o, names)
  if o.compress ~= nil and type(o.compress) ~= "boolean" then
    errors.fail("%s: compress must be true or false, got %s", what, tostring(o.compress))
  end
  local compress = o.compress
  if images.compress_override ~= nil then compress = images.compress_override end
  local keep_train, keep_test = classes_for(what, o, names)
  if keep_train then train:keep_classes(keep_train) end
  if keep_test then test:keep_classes(keep_test) end
  local limit = whole(what, "limit", o.limit)
  if limit then
    train:limit(limit)
    test:limit(limit)
  end
  local labelled = whole(what, "labelled", o.labelled)
  if labelled then train:label_subset(labelled, o.seed or 1) end
  local ti, si = train:info(), test:info()
  if ti.channels ~= si.channels or ti.height ~= si.height or ti.width ~= si.width then
    errors.fail("%s: training images are %dx%dx%d, test images %dx%dx%d", name, ti.channels, ti.height, ti.width,
      si.channels, si.height, si.width)
  end
  local classes = math.max(ti.classes, si.classes, names and #names or 0)
  check_labels(what, name, { training = train, test = test }, classes, names, o.classes)
  -- Fingerprints before compressing: the same text, without decoding.
  local fingerprint = string.format("train %s; test %s", train:fingerprint(), test:fingerprint())
  if compress then
    train:compress(name .. ": training images")
    test:compress(name .. ": test images")
  end
  return {
    kind = "images", name = name, train = split(train), test = split(test),
    channels = ti.channels, height = ti.height, width = ti.width,
    shape = { ti.channels, ti.height, ti.width }, size = ti.channels * ti.height * ti.width,
    classes = classes, class_names = names,
    fingerprint = fingerprint,
    held = string.format("training %s; test %s", held(train), held(test)),
  }
end

-- A source from sets a format made; checks the options it was given.
function images.checked_options(what, o, own)
  local valid = {}
  for _, k in ipairs(images.OPTIONS) do valid[#valid + 1] = k end
  for _, k in ipairs(own) do valid[#valid + 1] = k end
  errors.check_keys(what, o, valid)
  return o or {}
end

images.core = core
return images
