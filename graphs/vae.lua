-- Variational autoencoder (Kingma & Welling 2014), as in PyTorch's example:
-- 784-400-20 with ReLU, Bernoulli decoder (sigmoid, BCE summed over pixels),
-- diagonal Gaussian posterior, KL to N(0, I). Losses are nats per example.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, hidden = 400, latent = 20, lr = 1e-3 }

-- Fashion-MNIST, or --data DIR: MNIST-format files or a folder of PNGs, of
-- any size; the model's input is as wide as an image has values.
local data = vg.images{ dir = opt.data }
local D = data.size

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { D })
local enc, dec = g:group "encoder", g:group "decoder"

-- Encoder: x -> h -> (mu, logvar)
local h = vg.relu(vg.linear(enc, "encoder.fc1", D, opt.hidden)(x))
local mu = vg.linear(enc, "encoder.mu", opt.hidden, opt.latent)(h)
local logvar = vg.linear(enc, "encoder.logvar", opt.hidden, opt.latent)(h)

-- Sample z = mu + eps * sigma, decode to pixel probabilities.
local z = vg.reparam(mu, logvar, { name = "z" })
local decode = vg.mlp(dec, { opt.latent, opt.hidden, D }, vg.sigmoid)
local xhat = decode(z)

-- The same decoder (shared weights) on a latent input the trainer fills:
-- samples from the prior and interpolations between test images.
local z_in = g:input("z_in", { opt.latent })
local decoded = decode(z_in)

-- The KL term's weight is an input set every step from a schedule: constant
-- 1 is the plain VAE; vg.schedule.linear{ steps = 5000 } anneals it.
local kl_weight = g:scalar "kl_weight"
local rec = vg.bce(xhat, x, { reduction = "batchmean", name = "rec" })
local kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
local loss = rec + kl * kl_weight

-- Per test example (test_scores.csv): the negative ELBO and its two terms,
-- an anomaly score or a bound on -log p(x) for each image.
local rec_i = vg.per_example(vg.bce(xhat, x, { reduction = "none" }))
local kl_i = vg.per_example(vg.kl_normal(mu, logvar, { reduction = "none" }))

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  weights = { kl_weight = vg.schedule.constant(1) },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
  scores = { rec = rec_i, kl = kl_i, neg_elbo = rec_i + kl_i },
  show = { input = x, reconstruction = xhat, code = mu, z = z_in, decoded = decoded },
}
