-- Prints the users graphs/multvae.lua trains and tests on, after its
-- preparation (data/ratings.lua), so the PyTorch peer uses the same split:
-- a line "items N", then a line per training user "train i i ...", then a
-- line per test user "test i i ... | j j ..." (fold-in | held-out items,
-- numbered from 0).
--   vaegraph bench/ratings_split.lua [--data FILE] [--out DIR] [--split-seed N]
local vg = require "vaegraph"
local opt = vg.options{ split_seed = 1 }
local data = vg.ratings{ file = opt.data ~= "" and opt.data or nil, planted = opt.out or "out/multvae", seed = opt.split_seed }
local lines = { "items " .. data.items }
for _, l in ipairs(data.train.input) do lines[#lines + 1] = "train " .. table.concat(l, " ") end
for u, l in ipairs(data.test.input) do
  lines[#lines + 1] = "test " .. table.concat(l, " ") .. " | " .. table.concat(data.test.heldout[u], " ")
end
print(table.concat(lines, "\n"))
