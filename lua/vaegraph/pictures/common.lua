-- What the pictures share: the geometry of the images a node holds, a grid
-- of images from plans' values, filling the inputs from the test set, and
-- the random keys pictures draw with.
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local pictures = {}

-- Channels, height and width of the images a node holds, one per row: its
-- own shape when it is [B, C, H, W]; the data's images when its rows have
-- as many values; else square grey images.
function pictures.geometry(run, node)
  local shape = node:shape()
  if #shape == 4 then return shape[2], shape[3], shape[4] end
  local n = node:per_example()
  local img = run.image
  if img and img.channels * img.height * img.width == n then return img.channels, img.height, img.width end
  local s = math.floor(math.sqrt(n) + 0.5)
  if s * s == n then return 1, s, s end
  errors.fail("show: '%s' %s holds %d values per example, which are not images of the data's size%s", node:name(),
    tostring(node), n, img and string.format(" (%dx%dx%d)", img.channels, img.height, img.width) or "")
end

-- How much a grid enlarges h x w images: small ones, so they can be seen.
function pictures.scale(h, w) return math.max(1, math.min(4, math.floor(64 / math.max(h, w)))) end

-- Writes a grid of images taken in order from sources { plan, node, first,
-- rows }, `cols` a row, all of the first source's geometry.
function pictures.grid(run, path, sources, cols)
  local c, h, w = pictures.geometry(run, sources[1][2])
  local src = {}
  for i, s in ipairs(sources) do
    local ci, hi, wi = pictures.geometry(run, s[2])
    if ci ~= c or hi ~= h or wi ~= w then
      errors.fail("show: '%s' holds %dx%dx%d images, '%s' %dx%dx%d; a picture's rows must match", s[2]:name(), ci, hi, wi,
        sources[1][2]:name(), c, h, w)
    end
    src[i] = { s[1], s[2].id, s[3], s[4] }
  end
  core.grid_png(path, src, cols, c, h, w, run.lo, run.hi, pictures.scale(h, w))
end

-- Fills the inputs with `count` test examples from position `first` of one
-- fixed shuffle of the test set: the same examples every epoch, and from
-- every class even when the files are sorted by class (a folder of images).
function pictures.fill_test(run, first, count)
  run.data.test:order(true, 0, pictures.SHOW_KEY)
  run.fill(run.data.test, first, count)
end

-- Random keys apart from training steps and evaluation.
pictures.SHOW_KEY = 2 ^ 41
pictures.PRIOR_KEY = 2 ^ 42

return pictures
