-- Convolutional VAE: stride-2 convolutions C->16->8->8 down to 8 channels
-- an eighth of the image's side (8x4x4 on 28x28), a linear map to an 8-d
-- latent (mu, logvar); the decoder maps z back to that grid and up through
-- three transposed convolutions to a tanh output. Inputs are scaled to
-- [-1, 1]; the loss is MSE summed over pixels plus beta * KL, per example.
-- Any image size and channel count (grey or colour).
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, lr = 1e-3, latent = 8, beta = 1.0 }

local data = vg.images{ dir = opt.data }
local C = data.channels

-- Each stride-2 convolution (padding 1) takes a side s to ceil(s / 2); each
-- transposed one gives back 2 s - 1 + output_padding, which picks the side
-- the encoder had.
local function halve(s) return math.floor((s + 1) / 2) end
local h1, w1 = halve(data.height), halve(data.width)
local h2, w2 = halve(h1), halve(w1)
local h3, w3 = halve(h2), halve(w2)
local function out_pad(big, small_h, big_w, small_w)
  local ph, pw = big - (2 * small_h - 1), big_w - (2 * small_w - 1)
  if ph ~= pw then
    error(string.format("the transposed convolutions need one output padding for both sides; %s's %dx%d images give %d and %d",
      data.name, data.height, data.width, ph, pw))
  end
  return ph
end

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", data.shape)
local enc, dec = g:group "encoder", g:group "decoder"

-- act is applied inside each convolution (Keras's activation argument).
local down = { stride = 2, padding = 1, act = "relu" }
local h = vg.conv2d(enc, "encoder.conv1", C, 16, 3, down)(x)   -- 16x14x14 on 28x28
h = vg.conv2d(enc, "encoder.conv2", 16, 8, 3, down)(h)         -- 8x7x7
h = vg.conv2d(enc, "encoder.conv3", 8, 8, 3, down)(h)          -- 8x4x4
h = vg.flatten(h)
local flat = 8 * h3 * w3                                       -- 128
local mu = vg.linear(enc, "encoder.mu", flat, opt.latent)(h)
local logvar = vg.linear(enc, "encoder.logvar", flat, opt.latent)(h)
local z = vg.reparam(mu, logvar, { name = "z" })

local fc = vg.linear(dec, "decoder.fc", opt.latent, flat)
local function up(name, cin, cout, big_h, small_h, big_w, small_w, act)
  return vg.conv_transpose2d(dec, name, cin, cout, 3,
    { stride = 2, padding = 1, output_padding = out_pad(big_h, small_h, big_w, small_w), act = act })
end
local up1 = up("decoder.up1", 8, 8, h2, h3, w2, w3, "relu")                              -- 8x7x7
local up2 = up("decoder.up2", 8, 16, h1, h2, w1, w2, "relu")                             -- 16x14x14
local up3 = up("decoder.up3", 16, C, data.height, h1, data.width, w1, "tanh")            -- C x H x W
local function decode(v)
  v = vg.reshape(vg.relu(fc(v)), { dims = { -1, 8, h3, w3 } })
  return up3(up2(up1(v)))
end
local xhat = decode(z)

local beta = g:scalar "kl_weight"
local rec = vg.mse(xhat, x, { reduction = "batchmean", name = "rec" })
local kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
local loss = rec + kl * beta

-- The importance weight of z for --eval-ll: a Gaussian decoder of variance
-- 1/2 per value, under which the summed squared error is the negative
-- log-likelihood less a constant (a density of values in [-1, 1]).
local log_weight = vg.log_gaussian(xhat, x, 0.5) + vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar)

local z_in = g:input("z_in", { opt.latent })
local decoded = decode(z_in)

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image_pm1" },
  range = { -1, 1 },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  weights = { kl_weight = vg.schedule.constant(opt.beta) },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
  log_weight = log_weight,
  show = { input = x, reconstruction = xhat, code = mu, z = z_in, decoded = decoded },
}
