-- Convolutional VAE: stride-2 convolutions 1->16->8->8 down to 8x4x4, a
-- linear map to an 8-d latent (mu, logvar); the decoder maps z back to
-- 8x4x4 and up through three transposed convolutions to a tanh output.
-- Inputs are scaled to [-1, 1]; the loss is MSE summed over pixels plus
-- beta * KL, per example.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, lr = 1e-3, latent = 8, beta = 1.0 }

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { 1, 28, 28 })
local enc, dec = g:group "encoder", g:group "decoder"

-- act is applied inside each convolution (Keras's activation argument).
local down = { stride = 2, padding = 1, act = "relu" }
local h = vg.conv2d(enc, "encoder.conv1", 1, 16, 3, down)(x)   -- 16x14x14
h = vg.conv2d(enc, "encoder.conv2", 16, 8, 3, down)(h)         -- 8x7x7
h = vg.conv2d(enc, "encoder.conv3", 8, 8, 3, down)(h)          -- 8x4x4
h = vg.flatten(h)                                                                                -- 128
local mu = vg.linear(enc, "encoder.mu", 128, opt.latent)(h)
local logvar = vg.linear(enc, "encoder.logvar", 128, opt.latent)(h)
local z = vg.reparam(mu, logvar, { name = "z" })

local fc = vg.linear(dec, "decoder.fc", opt.latent, 128)
local up1 = vg.conv_transpose2d(dec, "decoder.up1", 8, 8, 3, { stride = 2, padding = 1, act = "relu" })  -- 8x7x7
local up2 = vg.conv_transpose2d(dec, "decoder.up2", 8, 16, 3,
                                { stride = 2, padding = 1, output_padding = 1, act = "relu" })          -- 16x14x14
local up3 = vg.conv_transpose2d(dec, "decoder.up3", 16, 1, 3,
                                { stride = 2, padding = 1, output_padding = 1, act = "tanh" })          -- 1x28x28
local function decode(v)
  v = vg.reshape(vg.relu(fc(v)), { dims = { opt.batch, 8, 4, 4 } })
  return up3(up2(up1(v)))
end
local xhat = decode(z)

local beta = g:scalar "kl_weight"
local rec = vg.mse(xhat, x, { reduction = "batchmean", name = "rec" })
local kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
local loss = rec + kl * beta

local z_in = g:input("z_in", { opt.latent })
local decoded = decode(z_in)

return vg.train{
  graph = g,
  epochs = opt.epochs,
  feed = { x = "image_pm1" },
  range = { -1, 1 },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  weights = { kl_weight = vg.schedule.constant(opt.beta) },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
  show = { input = x, reconstruction = xhat, code = mu, z = z_in, decoded = decoded },
}
