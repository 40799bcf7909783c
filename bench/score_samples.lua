-- Scores a file of samples with the judge, as --quality scores a model's
-- own: sample_fd against the test images and sample_classes. The file is
-- IDX, unsigned bytes (--quality --save-samples writes one; so does
-- bench/torch_peer.py --samples FILE), so that samples from vaegraph and
-- from PyTorch are scored by one judge in one way.
--   vaegraph bench/score_samples.lua --samples FILE [--judge CKPT] [--data DIR]
local vg = require "vaegraph"
local quality = require "vaegraph.train.quality"

local opt = vg.options{ samples = "", batch = 500 }
if opt.samples == "" then error("give the samples: --samples FILE (IDX, unsigned bytes)", 0) end
local data = vg.images{ dir = opt.data }
local run = { vg = vg, data = data, opt = opt, batch = opt.batch, ntest = data.test:size() }
local m = quality.score_set(run, vg.core.idx_images(opt.samples))
print(string.format("%s: sample_fd %.4f sample_classes %.4f", opt.samples, m.sample_fd, m.sample_classes))
