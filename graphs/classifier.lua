-- A small convolutional classifier of the image data, and the judge of
-- every image model's samples (--quality): 3x3 convolutions of 32 and 64
-- channels, each followed by a 2x2 max-pool, then 128 ReLU features,
-- dropout 0.5 and the class logits; cross-entropy, Adam. About 92% on
-- Fashion-MNIST's test set after 10 epochs.
--
-- The judge the other scripts use (--quality) is this script's full
-- default run, kept in out/judge/ (made there when missing), or --judge
-- FILE: they compare the 128 features of their samples with those of the
-- test images (sample_fd, FID's formula) and count the classes it sees in
-- them (sample_classes).
-- The network is vg.judge.network, so that the judge and this script
-- cannot drift apart.
local vg = require "vaegraph"

local opt = vg.options(vg.judge.DEFAULTS)

-- Fashion-MNIST, or --data DIR (sides a multiple of 4).
local data = vg.images{ dir = opt.data }

return vg.train(vg.judge.experiment(vg, data, opt))
