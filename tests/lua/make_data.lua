-- Makes small image data sets for tests, so no test depends on files from
-- elsewhere. Each class is a bright disc at its own place (and, in colour,
-- its own hue) on a dark noisy background: easy to learn, and a picture of
-- it shows whether a model learned anything.
--   vaegraph make_data.lua idx DIR SIZE N        MNIST-format files, SIZE x SIZE,
--                                                N training and N/4 test images, 10 classes
--   vaegraph make_data.lua png DIR SIZE N K C    DIR/<class>/<i>.png: K classes
--                                                (cat, dog, ...), C channels
--   vaegraph make_data.lua png_split DIR SIZE N K C   the same under DIR/train and DIR/test
local core = require "vaegraph.core"

local NAMES = { "cat", "dog", "fish", "frog", "owl", "bee", "cow", "elk", "fox", "yak" }

math.randomseed(7)

local function disc_image(k, classes, size, channels)
  local angle = 2 * math.pi * k / classes
  local cx, cy = size / 2 + size / 4 * math.cos(angle), size / 2 + size / 4 * math.sin(angle)
  local r = size / 5 + 0.5
  local hue = { 0.3 + 0.7 * ((k % 3) == 0 and 1 or 0), 0.3 + 0.7 * ((k % 3) == 1 and 1 or 0), 0.3 + 0.7 * ((k % 3) == 2 and 1 or 0) }
  local bytes = {}
  -- Channel-planar for IDX (one channel); interleaved for PNG.
  for y = 0, size - 1 do
    for x = 0, size - 1 do
      local inside = (x + 0.5 - cx) ^ 2 + (y + 0.5 - cy) ^ 2 <= r * r
      for c = 1, channels do
        local v = (inside and 220 * (channels == 3 and hue[c] or 1) or 0) + math.random(0, 30)
        bytes[#bytes + 1] = string.char(math.min(255, math.floor(v)))
      end
    end
  end
  return table.concat(bytes)
end

local function be32(n)
  return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local function idx(dir, size, n)
  core.mkdir(dir)
  for _, part in ipairs{ { "train", n }, { "t10k", math.max(1, math.floor(n / 4)) } } do
    local images, labels = {}, {}
    for i = 1, part[2] do
      local k = (i - 1) % 10
      images[i] = disc_image(k, 10, size, 1)
      labels[i] = string.char(k)
    end
    write(dir .. "/" .. part[1] .. "-images-idx3-ubyte",
      "\0\0\8\3" .. be32(part[2]) .. be32(size) .. be32(size) .. table.concat(images))
    write(dir .. "/" .. part[1] .. "-labels-idx1-ubyte", "\0\0\8\1" .. be32(part[2]) .. table.concat(labels))
  end
end

local function png(dir, size, n, classes, channels)
  for k = 0, classes - 1 do
    local sub = dir .. "/" .. NAMES[k + 1]
    core.mkdir(sub)
    for i = 1, math.ceil(n / classes) do
      core.png_write(string.format("%s/%04d.png", sub, i), size, size, channels, disc_image(k, classes, size, channels))
    end
  end
end

local kind, dir = arg[1], arg[2]
local size, n = tonumber(arg[3]), tonumber(arg[4])
if kind == "idx" then idx(dir, size, n)
elseif kind == "png" then png(dir, size, n, tonumber(arg[5]), tonumber(arg[6]))
elseif kind == "png_split" then
  png(dir .. "/train", size, n, tonumber(arg[5]), tonumber(arg[6]))
  png(dir .. "/test", size, math.max(tonumber(arg[5]), math.floor(n / 4)), tonumber(arg[5]), tonumber(arg[6]))
else
  error("usage: make_data.lua idx|png|png_split DIR SIZE N [K C]")
end
print("ok: " .. dir)
