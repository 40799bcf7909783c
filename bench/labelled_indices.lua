-- Prints the training examples that keep their labels in semisup_vae.lua
-- (their places in the training files, from 0), so the PyTorch peer trains
-- on the same labelled subset:
--   vaegraph bench/labelled_indices.lua [--labelled 100] [--seed 1] [--data DIR]
local vg = require "vaegraph"
local opt = vg.options{ labelled = 100 }
local data = vg.images{ dir = opt.data, labelled = opt.labelled }
local n = data.train:size()
data.train:order(false, 0, 0)
local out = {}
for i, l in ipairs(data.train:labels(0, n)) do
  if l >= 0 then out[#out + 1] = tostring(i - 1) end
end
print(table.concat(out, "\n"))
