-- MNIST-format files (IDX, raw or .gz) as an image source: a folder with
-- train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
-- t10k-labels-idx1-ubyte, images of any size. A folder with only the t10k
-- files (as ../shared/data/mnist) trains and tests on them, with a warning.
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local files = require "vaegraph.files"
local images = require "vaegraph.data.images"
local mnist = {}

mnist.FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
mnist.FASHION_NAMES = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                        "Ankle boot" }
-- The first ten labels of Fashion-MNIST's test set: how its files are
-- recognised wherever they are, to name the classes in pictures.
local FASHION_TEST_LABELS = { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 }

local function idx_file(dir, stem)
  for _, name in ipairs{ stem, stem .. ".gz" } do
    if files.exists(dir .. "/" .. name) then return dir .. "/" .. name end
  end
end

function mnist.has_files(dir)
  return idx_file(dir, "train-images-idx3-ubyte") or idx_file(dir, "t10k-images-idx3-ubyte")
end

local function is_fashion(test)
  local n = test:info().n
  if n < #FASHION_TEST_LABELS then return false end
  local first = test:labels(0, #FASHION_TEST_LABELS)
  for i, l in ipairs(FASHION_TEST_LABELS) do if first[i] ~= l then return false end end
  return true
end

-- vg.mnist{ dir, names, classes, labelled, limit, seed, compress } -> an image source.
function mnist.load(o)
  o = images.checked_options("vg.mnist", o, { "dir", "names" })
  local dir = o.dir or mnist.FASHION_MNIST
  local test_im, test_lb = idx_file(dir, "t10k-images-idx3-ubyte"), idx_file(dir, "t10k-labels-idx1-ubyte")
  local train_im, train_lb = idx_file(dir, "train-images-idx3-ubyte"), idx_file(dir, "train-labels-idx1-ubyte")
  if not test_im and not train_im then
    errors.fail("%s: no MNIST-format files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz])%s", dir,
      dir == mnist.FASHION_MNIST and "; install the Debian package dataset-fashion-mnist (scripts/setup.sh does)" or "")
  end
  if not train_im or not test_im then
    io.stderr:write(string.format("warning: %s has only the %s set; training and testing on it\n", dir,
      train_im and "training" or "test"))
  end
  -- Two sets from the same files when one is missing: each is filtered on its own.
  local train = core.idx_images(train_im or test_im, train_im and train_lb or test_lb)
  local test = core.idx_images(test_im or train_im, test_im and test_lb or train_lb)
  local names = o.names
  if names == nil and is_fashion(test) then names = mnist.FASHION_NAMES end
  return images.source("vg.mnist", dir, train, test, o, names or nil)
end

return mnist
