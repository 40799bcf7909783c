-- 2x super-resolution: the network sees each image averaged down to 14x14
-- and must give back the 28x28 original. It learns a correction to bilinear
-- upscaling (residual learning, as in VDSR), so it starts from the baseline
-- it has to beat; both PSNRs are reported.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 256, lr = 1e-3, width = 16 }

local data = vg.images{ dir = opt.data }
local C, H, W = data.channels, data.height, data.width
if H % 2 ~= 0 or W % 2 ~= 0 then
  error(string.format("2x super-resolution halves the images, so their sides must be even; %s has %dx%d images", data.name, H, W))
end

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", data.shape)
local low = vg.avgpool2d(x, { kernel = 2, name = "low" })                             -- C x H/2 x W/2
local nearest = vg.upsample(low, { scale = 2, mode = "nearest", name = "nearest" })   -- for display
local bilinear = vg.upsample(low, { scale = 2, mode = "bilinear", name = "bilinear" })

local net = g:group "net"
local w = opt.width
local h = vg.relu(vg.conv2d(net, "net.conv1", C, w, 3, { padding = "same" })(bilinear))
h = vg.relu(vg.conv2d(net, "net.conv2", w, w, 3, { padding = "same" })(h))
h = vg.relu(vg.conv2d(net, "net.conv3", w, w, 3, { padding = "same" })(h))
local residual = vg.conv2d(net, "net.conv4", w, C, 3, { padding = "same" })(h)
local out = vg.clamp(bilinear + residual, { min = 0, max = 1, name = "out" })

local loss = vg.mse(out, x, { reduction = "mean", name = "rec" })

return vg.train{
  not_likelihood = "a super-resolution autoencoder's loss is a reconstruction error: it defines no p(x)",
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { net }, optim = vg.adam{ lr = opt.lr } } },
  eval = { test_loss = loss, test_rec = loss, test_psnr_bilinear = vg.psnr(bilinear, x), test_psnr_model = vg.psnr(out, x) },
  show = { rows = { nearest, bilinear, out, x } },
}
