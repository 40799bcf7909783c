-- A VAE with a 2-D latent space, as in the classic Keras tutorial: 784-512-2,
-- ReLU, sigmoid output, MSE summed over pixels + KL, RMSprop. With two latent
-- dimensions the codes can be plotted as they are: the scatter shows how the
-- classes arrange themselves.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, hidden = 512, lr = 1e-3 }

local data = vg.images{ dir = opt.data }
local D = data.size

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { D })
local enc, dec = g:group "encoder", g:group "decoder"

local h = vg.relu(vg.linear(enc, "encoder.fc1", D, opt.hidden)(x))
local mu = vg.linear(enc, "encoder.mu", opt.hidden, 2)(h)
local logvar = vg.linear(enc, "encoder.logvar", opt.hidden, 2)(h)
local z = vg.reparam(mu, logvar, { name = "z" })
local decode = vg.mlp(dec, { 2, opt.hidden, D }, vg.sigmoid)
local xhat = decode(z)
local z_in = g:input("z_in", { 2 })
local decoded = decode(z_in)

local kl_weight = g:scalar "kl_weight"
local rec = vg.mse(xhat, x, { reduction = "batchmean", name = "rec" })
local kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
local loss = rec + kl * kl_weight

-- The importance weight of z for --eval-ll. The summed squared error is the
-- negative log-likelihood of a Gaussian decoder of variance 1/2 per value
-- (less a constant), so that is the likelihood estimated: a density.
local log_weight = vg.log_gaussian(xhat, x, 0.5) + vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar)

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.rmsprop{ lr = opt.lr } } },
  weights = { kl_weight = vg.schedule.constant(1) },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
  log_weight = log_weight,
  show = { input = x, reconstruction = xhat, code = mu, z = z_in, decoded = decoded },
}
