-- Denoising autoencoder: the convolutional autoencoder of graphs/ae.lua
-- learns to map corrupted images (Gaussian noise of mean 0.5 and sd 0.3
-- added, clamped to [0, 1]) to the clean ones. The noise is a graph node,
-- drawn afresh every step from the run's seed.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 256, lr = 1e-3, noise_mean = 0.5, noise_sd = 0.3 }

local data = vg.images{ dir = opt.data }
local C, H, W = data.channels, data.height, data.width
if H % 4 ~= 0 or W % 4 ~= 0 or (H / 4) % 2 ~= (W / 4) % 2 then
  error(string.format("this network halves the images twice, so their sides must be multiples of 4 " ..
    "(both odd or both even multiples); %s has %dx%d images", data.name, H, W))
end
local odd = (H / 4) % 2 == 1

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", data.shape)
local noisy = vg.clamp(vg.gaussian_noise(x, { mean = opt.noise_mean, sd = opt.noise_sd }), { min = 0, max = 1, name = "noisy" })
local enc, dec = g:group "encoder", g:group "decoder"

local function encode(v)
  v = vg.maxpool2d(vg.relu(vg.conv2d(enc, "encoder.conv1", C, 16, 3, { padding = "same" })(v)))
  v = vg.maxpool2d(vg.relu(vg.conv2d(enc, "encoder.conv2", 16, 8, 3, { padding = "same" })(v)))
  v = vg.relu(vg.conv2d(enc, "encoder.conv3", 8, 8, 3, { padding = "same" })(v))
  return vg.maxpool2d(v, { padding = odd and 1 or 0 })
end

local function decode(v)
  v = vg.upsample(vg.relu(vg.conv2d(dec, "decoder.conv1", 8, 8, 3, { padding = "same" })(v)))
  v = vg.upsample(vg.relu(vg.conv2d(dec, "decoder.conv2", 8, 8, 3, { padding = "same" })(v)))
  v = vg.upsample(vg.relu(vg.conv2d(dec, "decoder.conv3", 8, 16, 3, { padding = odd and 0 or "same" })(v)))
  return vg.sigmoid(vg.conv2d(dec, "decoder.conv4", 16, C, 3, { padding = "same" })(v))
end

local denoised = decode(encode(noisy))
local loss = vg.bce(denoised, x, { reduction = "mean", name = "rec" })

return vg.train{
  not_likelihood = "a denoising autoencoder's loss is a reconstruction error: with no prior and no posterior it defines no p(x)",
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  -- PSNR in dB against the clean images: of the noisy input, of the output.
  eval = { test_loss = loss, test_rec = loss, test_psnr_noisy = vg.psnr(noisy, x), test_psnr_denoised = vg.psnr(denoised, x) },
  show = { rows = { x, noisy, denoised } },
}
