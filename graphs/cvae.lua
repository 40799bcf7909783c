-- Conditional VAE (Sohn et al. 2015): the one-hot label is concatenated to
-- the encoder's input and to the decoder's input, so the decoder learns
-- p(x | z, y) and can draw any class on request.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, hidden = 400, latent = 20, lr = 1e-3 }

-- Images of any size with their class labels: D values and K classes.
local data = vg.images{ dir = opt.data }
local D, K = data.size, data.classes
if K < 2 then error(string.format("a conditional VAE needs labelled data of two or more classes; %s has %d", data.name, K)) end

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x, y = g:input("x", { D }), g:input("y", { K })
local enc, dec = g:group "encoder", g:group "decoder"

local h = vg.relu(vg.linear(enc, "encoder.fc1", D + K, opt.hidden)(vg.concat(x, y, { axis = 1 })))
local mu = vg.linear(enc, "encoder.mu", opt.hidden, opt.latent)(h)
local logvar = vg.linear(enc, "encoder.logvar", opt.hidden, opt.latent)(h)
local z = vg.reparam(mu, logvar, { name = "z" })
local decode = vg.mlp(dec, { opt.latent + K, opt.hidden, D }, vg.sigmoid)
local xhat = decode(vg.concat(z, y, { axis = 1 }))

-- The decoder on a latent input, conditioned on y: samples get one row per
-- class.
local z_in = g:input("z_in", { opt.latent })
local decoded = decode(vg.concat(z_in, y, { axis = 1 }))

local kl_weight = g:scalar "kl_weight"
local rec = vg.bce(xhat, x, { reduction = "batchmean", name = "rec" })
local kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
local loss = rec + kl * kl_weight

-- The importance weight of z for --eval-ll: an estimate of log p(x | y).
local log_weight = vg.log_bernoulli(xhat, x) + vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar)

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image", y = "onehot" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  weights = { kl_weight = vg.schedule.constant(1) },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
  log_weight = log_weight,
  show = { input = x, reconstruction = xhat, code = mu, z = z_in, decoded = decoded, condition = "y" },
}
