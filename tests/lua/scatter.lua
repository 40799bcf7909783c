-- The latent scatter from Lua: codes and prior draws as one set of points
-- (a flat list or a core.rows kept in C), the last `background` of them drawn
-- grey behind the codes; both forms draw the same picture, and what is
-- refused says what.
local vg = require "vaegraph"
local core = vg.core
local dir = os.tmpname()
os.remove(dir)
core.mkdir(dir)

local function fails(f, text)
  local ok, err = pcall(f)
  assert(not ok and tostring(err):find(text, 1, true), tostring(err))
end
local function read(path)
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  return bytes
end

-- 12 codes then 4 prior draws of 3 values: the rows come through a plan.
local flat = {}
for i = 1, 16 * 3 do flat[i] = math.sin(i * 1.7) * (i % 3 + 1) end
local g = vg.graph{ batch = 4 }
local x = g:input("x", { 3 })
local p = g:compile{ name = "codes", fetch = { x } }
local rows = core.rows(3, 16)
for b = 0, 3 do
  local part = {}
  for k = 1, 12 do part[k] = flat[b * 12 + k] end
  g.core:data(x.id, part)
  p:run(0)
  rows:add(p, x.id, 4)
end
assert(rows:count() == 16)
local labels = { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2 }
assert(core.scatter_png(dir .. "/list.png", flat, 3, labels, 4, 160, "list", { "a", "b", "c" }) == 0)
assert(core.scatter_png(dir .. "/rows.png", rows, 3, labels, 4, 160, "list", { "a", "b", "c" }) == 0)
assert(read(dir .. "/list.png") == read(dir .. "/rows.png"), "a core.rows and the same numbers as a list draw differently")
-- The background count changes the picture: with none, the last 4 are codes.
assert(core.scatter_png(dir .. "/none.png", rows, 3, labels, 0, 160, "list", { "a", "b", "c" }) == 0)
assert(read(dir .. "/none.png") ~= read(dir .. "/rows.png"), "the background count changed nothing")
local w, h = core.png_read(dir .. "/rows.png")
assert(w == 160 and h == 160, string.format("%dx%d, want 160x160", w, h))
-- A non-finite code is skipped and counted, not drawn.
flat[4] = 0 / 0
assert(core.scatter_png(dir .. "/nan.png", flat, 3, labels, 4, 160, "nan", nil) == 1)

fails(function() core.scatter_png(dir .. "/x.png", rows, 3, labels, 17, 160) end, "17 background points, but only 16")
fails(function() core.scatter_png(dir .. "/x.png", rows, 2, labels, 0, 160) end, "rows of 3 values, plot of 2")
fails(function() core.scatter_png(dir .. "/x.png", flat, 3, labels, -1, 160) end, "-1 background points")
fails(function() core.rows(3, -5) end, "expected count -5")
for _, f in ipairs{ "list", "rows", "none", "nan" } do os.remove(dir .. "/" .. f .. ".png") end
os.remove(dir)
print("ok")
