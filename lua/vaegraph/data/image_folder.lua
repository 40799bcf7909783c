-- A folder of PNG images as an image source, laid out as torchvision's
-- ImageFolder: DIR/<class>/*.png, the class names sorted. With DIR/train and
-- DIR/test each laid out so, those are the splits; otherwise every tenth
-- image of each class is held out for testing. Grey or colour, any size:
-- images are resized to `size` (default: the first image's), colour wins
-- unless `channels = 1`.
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local files = require "vaegraph.files"
local images = require "vaegraph.data.images"
local folder = {}

folder.TEST_EVERY = 10

local function size_of(what, size)
  if size == nil then return 0, 0 end
  if type(size) == "number" then size = { size, size } end
  if type(size) ~= "table" or #size ~= 2 then errors.fail("%s: size is a number or {height, width}", what) end
  for _, v in ipairs(size) do
    if type(v) ~= "number" or v % 1 ~= 0 or v < 1 or v > 16384 then errors.fail("%s: size values are whole numbers 1..16384", what) end
  end
  return size[1], size[2]
end

local function same_names(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

-- vg.image_folder{ dir, size, channels, classes, labelled, limit, seed, compress }
function folder.load(o)
  o = images.checked_options("vg.image_folder", o, { "dir", "size", "channels" })
  local dir = o.dir
  if type(dir) ~= "string" then errors.fail("vg.image_folder: dir (a folder of PNG images) is needed") end
  local h, w = size_of("vg.image_folder", o.size)
  if o.channels ~= nil and o.channels ~= 1 and o.channels ~= 3 then errors.fail("vg.image_folder: channels is 1 or 3") end
  local want = { height = h, width = w, channels = o.channels or 0 }
  local train, test, names
  if files.is_dir(dir .. "/train") and files.is_dir(dir .. "/test") then
    local train_names, test_names
    train, train_names = core.image_folder(dir .. "/train", want)
    -- The test images take the training images' size and channels.
    local ti = train:info()
    test, test_names = core.image_folder(dir .. "/test", { height = ti.height, width = ti.width, channels = ti.channels })
    if not same_names(train_names, test_names) then
      errors.fail("%s: the classes of train/ (%s) and test/ (%s) differ", dir, table.concat(train_names, ", "),
        table.concat(test_names, ", "))
    end
    names = train_names
  else
    local all
    all, names = core.image_folder(dir, want)
    train, test = all:split_every(folder.TEST_EVERY)
    if test:info().n == 0 then
      errors.fail("%s: %d images are too few to hold every %dth out for testing", dir, train:info().n, folder.TEST_EVERY)
    end
  end
  return images.source("vg.image_folder", dir, train, test, o, #names > 0 and names or nil)
end

return folder
