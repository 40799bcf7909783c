-- 2x super-resolution: the network sees each image averaged down to 14x14
-- and must produce the 28x28 original. Bilinear upscaling is the baseline
-- it has to beat; both PSNRs are reported.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 256, lr = 1e-3, width = 32 }

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { 1, 28, 28 })
local low = vg.avgpool2d(x, { kernel = 2, name = "low" })                       -- 1x14x14
local nearest = vg.upsample(low, { scale = 2, mode = "nearest", name = "nearest" })
local bilinear = vg.upsample(low, { scale = 2, mode = "bilinear", name = "bilinear" })

local net = g:group "net"
local w = opt.width
local h = vg.relu(vg.conv2d(net, "net.conv1", 1, w, 3, { padding = "same" })(low))        -- w x14x14
h = vg.relu(vg.conv2d(net, "net.conv2", w, w, 3, { padding = "same" })(h))
h = vg.relu(vg.conv_transpose2d(net, "net.up", w, w, 4, { stride = 2, padding = 1 })(h))  -- w x28x28
h = vg.relu(vg.conv2d(net, "net.conv3", w, w, 3, { padding = "same" })(h))
local out = vg.sigmoid(vg.conv2d(net, "net.conv4", w, 1, 3, { padding = "same" })(h))

local loss = vg.mse(out, x, { reduction = "mean", name = "rec" })

return vg.train{
  graph = g,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { net }, optim = vg.adam{ lr = opt.lr } } },
  eval = { test_loss = loss, test_rec = loss, test_psnr_bilinear = vg.psnr(bilinear, x), test_psnr_model = vg.psnr(out, x) },
  show = { rows = { nearest, bilinear, out, x } },
}
