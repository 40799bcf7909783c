-- Data sources: MNIST-format files and folders of PNG images carry their
-- shape; the options every image source takes (classes, labelled, limit,
-- compress) do what they say and refuse what they do not know; feeds give
-- pixels, one-hot rows, class ids and label masks. Usage: data.lua DIR.
-- (Calls sit in closures without tail calls, so errors name this file.)
local vg = require "vaegraph"
local dir = assert(arg[1], "usage: data.lua DIR")

local function run(cmd)
  local ok = os.execute(cmd)
  assert(ok == true or ok == 0, "failed: " .. cmd)
end
local self = arg[0]:gsub("data%.lua$", "make_data.lua")
local exe = arg[-1] and arg[-1] ~= "" and arg[-1] or "vaegraph"
-- The program running this script makes the files (stock Lua needs the paths set).
local function make(...)
  local args = table.concat({ ... }, " ")
  run(string.format("%s %s %s > /dev/null", os.getenv("VG_RUN") or exe, self, args))
end

local function expect(fn, want)
  local ok, err = pcall(fn)
  assert(not ok, "no error; wanted: " .. want)
  if not tostring(err):find(want, 1, true) then error(string.format("\n  got  %s\n  want %s", tostring(err), want), 2) end
end

local function count(list, v)
  local n = 0
  for _, x in ipairs(list) do if x == v then n = n + 1 end end
  return n
end

-- MNIST-format files of 8x8 images: the source knows their shape.
make("idx", dir .. "/idx8", 8, 400)
local d = vg.mnist{ dir = dir .. "/idx8" }
assert(d.kind == "images" and d.channels == 1 and d.height == 8 and d.width == 8 and d.size == 64, "8x8 shape")
assert(d.shape[1] == 1 and d.shape[2] == 8 and d.shape[3] == 8, "shape list")
assert(d.classes == 10 and d.class_names == nil, "10 unnamed classes")
assert(d.train:size() == 400 and d.test:size() == 100, "400 and 100 examples")
assert(d.fingerprint:find("400 images 1x8x8", 1, true), d.fingerprint)

-- classes and labelled: two classes kept, ten labels of each left in training.
local s = vg.mnist{ dir = dir .. "/idx8", classes = { 0, 1 }, labelled = 10 }
assert(s.train:size() == 80 and s.test:size() == 20, "classes 0 and 1: 80 and 20 examples, got " .. s.train:size())
assert(s.classes == 10, "the class count stays, so one-hot widths do")
local tl = s.train:labels(0, s.train:size())
assert(count(tl, 0) == 10 and count(tl, 1) == 10 and count(tl, -1) == 60, "10 labels of each class, the rest none")
local te = s.test:labels(0, s.test:size())
assert(count(te, 0) == 10 and count(te, 1) == 10 and count(te, -1) == 0, "the test set keeps every label")
-- The seed chooses which: the same for the same seed, others for another.
local s2 = vg.mnist{ dir = dir .. "/idx8", classes = { 0, 1 }, labelled = 10, seed = 1 }
local s3 = vg.mnist{ dir = dir .. "/idx8", classes = { 0, 1 }, labelled = 10, seed = 2 }
local same, differ = true, false
for i, l in ipairs(s2.train:labels(0, 80)) do
  same = same and l == tl[i]
  differ = differ or l ~= s3.train:labels(0, 80)[i]
end
assert(same and differ, "labelled subsets follow the seed")
-- classes for each split, and limit.
local sep = vg.mnist{ dir = dir .. "/idx8", classes = { train = { 3 }, test = { 3, 4, 5 } }, limit = 25 }
assert(sep.train:size() == 25 and sep.test:size() == 25, "limit 25 after the class filter")
assert(count(sep.train:labels(0, 25), 3) == 25, "training on class 3 only")
assert(count(sep.test:labels(0, 25), 4) > 0, "testing on 3, 4 and 5")

-- Misspelt or wrong options are errors at this line.
expect(function() local x = vg.mnist{ dir = dir .. "/idx8", clases = { 1 } } return x end,
  "data.lua:66: vg.mnist: unknown option 'clases' (valid: classes, labelled, limit, seed, compress, dir, names)")
expect(function() local x = vg.mnist{ dir = dir .. "/idx8", labelled = 0 } return x end,
  "vg.mnist: labelled must be a whole number >= 1, got 0")
expect(function() local x = vg.mnist{ dir = dir .. "/idx8", classes = { 11 } } return x end, "11")
expect(function() local x = vg.mnist{ dir = dir .. "/none" } return x end, "/none: no MNIST-format files")

-- Feeds: class ids (-1 without a label), one-hot rows (zero without), masks.
local g = vg.graph{ batch = 8 }
local x = g:input("x", s.shape)
local y, onehot, mask = g:input("y", {}), g:input("onehot", { 10 }), g:input("mask", {})
s.train:order(false, 0, 0)
s.train:fill("image", g, x.id, 0, 8)
s.train:fill("label", g, y.id, 0, 8)
s.train:fill("onehot", g, onehot.id, 0, 8)
s.train:fill("has_label", g, mask.id, 0, 8)
local ys, oh, m, px = g.core:data(y.id), g.core:data(onehot.id), g.core:data(mask.id), g.core:data(x.id)
assert(#px == 8 * 64, "8 images of 64 pixels")
for i = 1, 8 do
  assert(ys[i] == tl[i], "label feed")
  assert(m[i] == (tl[i] >= 0 and 1 or 0), "mask feed")
  local ones = 0
  for c = 1, 10 do ones = ones + oh[(i - 1) * 10 + c] end
  assert(ones == (tl[i] >= 0 and 1 or 0), "one-hot row sums to 1 with a label, 0 without")
end
for _, v in ipairs(px) do assert(v >= 0 and v <= 1, "pixels / 255") end
-- A smaller batch gives the input that many rows.
s.test:fill("image", g, x.id, 0, 3)
assert(x:shape()[1] == 3, "a batch of 3 gives x 3 rows, got " .. x:shape()[1])
expect(function() s.train:fill("pixels", g, x.id, 0, 8) end,
  "feed kind 'pixels' is not one an image source knows (valid: has_label, image, image_pm1, label, onehot)")

-- compress = true: the same data held compressed, so the same fingerprint,
-- labels and pixels; anything but a boolean is refused.
local sc = vg.mnist{ dir = dir .. "/idx8", classes = { 0, 1 }, labelled = 10, compress = true }
assert(sc.fingerprint == s.fingerprint, sc.fingerprint .. " against " .. s.fingerprint)
local ip, ic = s.train.set:info(), sc.train.set:info()
assert(not ip.compressed and ic.compressed and ip.pixel_bytes == 80 * 64, "compressed, or not")
-- --compress on the command line overrides what a script asked, both ways.
local images = require "vaegraph.data.images"
images.compress_override = false
assert(not vg.mnist{ dir = dir .. "/idx8", compress = true }.train.set:info().compressed, "--compress=false")
images.compress_override = true
assert(vg.mnist{ dir = dir .. "/idx8" }.test.set:info().compressed, "--compress")
images.compress_override = nil
local gc = vg.graph{ batch = 80 }
local xc = gc:input("x", s.shape)
for _, split in ipairs({ "train", "test" }) do
  local n = s[split]:size()
  local plain, packed = {}, {}
  for k, src in ipairs({ s, sc }) do
    src[split]:order(true, 3, 1)
    src[split]:fill("image", gc, xc.id, 0, n)
    local got = gc.core:data(xc.id)
    for i = 1, #got do (k == 1 and plain or packed)[i] = got[i] end
  end
  assert(#plain == n * 64, split .. ": " .. #plain .. " pixels")
  for i = 1, #plain do assert(plain[i] == packed[i], split .. ": compressed pixel " .. i .. " differs") end
  local lp, lc = s[split]:labels(0, n), sc[split]:labels(0, n)
  for i = 1, n do assert(lp[i] == lc[i], split .. ": label " .. i) end
end
expect(function() local v = vg.mnist{ dir = dir .. "/idx8", compress = "yes" } return v end,
  "vg.mnist: compress must be true or false, got yes")

-- The labelled examples as a split of their own, every one with its label.
local ls = s.train:labelled()
assert(ls:size() == 20 and ls == s.train:labelled(), "20 labelled examples, made once")
local ll = ls:labels(0, 20)
assert(count(ll, 0) == 10 and count(ll, 1) == 10, "the labelled split keeps the labels")
local bare = vg.core.imageset{ n = 3, channels = 1, height = 2, width = 2, pixels = string.rep("\0", 12) }
expect(function() local x = bare:labelled() return x end, "the 3 training examples carry no label")

-- vg.train reads a labelled batch every step beside the main one: feeds
-- from = "labelled", cycling through the labelled examples; bad ones are errors.
local function tiny(feed, data)
  local tg = vg.graph{ batch = 8 }
  local xi, xl = tg:input("x", s.shape), tg:input("xl", s.shape)
  local yl = tg:input("yl", { 10 })
  local m = tg:group "m"
  local lin = vg.linear(m, "lin", 64, 10)
  local out = lin(vg.reshape(xi, { dims = { -1, 64 } }))
  local loss = vg.mean(out) + vg.mean(vg.mse(lin(vg.reshape(xl, { dims = { -1, 64 } })), yl))
  return vg.train{ graph = tg, data = data or s, epochs = 1, feed = feed,
    phases = { { "train", loss = loss, update = { m } } }, eval = { test_out = vg.mean(out) } }
end
vg.opts = { quiet = true, out = dir .. "/stream", epochs = 1 }
local run = tiny({ x = "image", xl = { "image", from = "labelled" }, yl = { "onehot", from = "labelled" } })
assert(run.streams[1].batches == 2 and run.streams[1].cycle == 4, "80 examples are 10 steps: 5 cycles of 2 labelled batches")
expect(function() tiny({ x = "image", xl = { "image", from = "unlabelled" }, yl = "onehot" }) end,
  "vg.train feed 'xl': from = 'unlabelled' is not a stream (valid: labelled, the training examples with a label)")
expect(function() tiny({ x = "image", xl = { "image", form = "labelled" }, yl = "onehot" }) end,
  "vg.train feed 'xl': unknown key 'form' (valid: the kind first, then from)")
local few = vg.mnist{ dir = dir .. "/idx8", classes = { 0, 1 }, labelled = 3 }
expect(function() tiny({ x = "image", xl = { "image", from = "labelled" }, yl = "onehot" }, few) end,
  "vg.train feed 'xl': 6 training examples with a label are fewer than a batch of 8")
vg.opts = false

-- A folder of colour PNGs, three classes in sub-folders: names from the
-- folders, every tenth image held out for testing.
make("png", dir .. "/rgb", 12, 60, 3, 3)
local f = vg.image_folder{ dir = dir .. "/rgb" }
assert(f.channels == 3 and f.height == 12 and f.width == 12, "12x12 colour")
assert(f.classes == 3 and f.class_names[1] == "cat" and f.class_names[3] == "fish", "classes from folder names")
assert(f.train:size() == 54 and f.test:size() == 6, "every tenth to test: " .. f.train:size() .. "/" .. f.test:size())
-- vg.images chooses by what the folder holds; size and channels convert.
local f2 = vg.images{ dir = dir .. "/rgb", size = 6, channels = 1, classes = { "dog" } }
assert(f2.channels == 1 and f2.height == 6 and f2.size == 36, "resized to 6x6 grey")
assert(count(f2.train:labels(0, f2.train:size()), 1) == f2.train:size(), "only dogs")
expect(function() local x = vg.image_folder{ dir = dir .. "/rgb", classes = { "horse" } } return x end,
  "vg.image_folder: no class named 'horse' (the classes are cat, dog, fish)")
-- train/ and test/ sub-folders are the splits.
make("png_split", dir .. "/split", 8, 30, 2, 1)
local sp = vg.image_folder{ dir = dir .. "/split" }
assert(sp.train:size() == 30 and sp.test:size() == 8 and sp.channels == 1, "train/ and test/ folders")
expect(function() local x = vg.image_folder{ dir = dir .. "/idx8" } return x end, "idx8")
print("ok")
