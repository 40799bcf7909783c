-- Variational autoencoder (Kingma & Welling 2014), as in PyTorch's example:
-- 784-400-20 with ReLU, Bernoulli decoder (sigmoid, BCE summed over pixels),
-- diagonal Gaussian posterior, KL to N(0, I). Losses are nats per example.
-- --eval-ll K estimates each test image's log p(x) from K posterior samples
-- (Burda et al. 2015); --iwae K trains on their K-sample bound instead.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, hidden = 400, latent = 20, lr = 1e-3, iwae = 0 }

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

-- The importance weight of the sample z, per example: --eval-ll K averages
-- K of them into an estimate of log p(x) (Burda et al. 2015).
local log_weight = vg.log_bernoulli(xhat, x) + vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar)

-- --iwae K trains on Burda et al.'s bound instead: K samples per example
-- (the encoder's output repeated K times), the loss minus the mean over
-- examples of logsumexp over k of log w_k - log K. K = 1 is the ELBO.
local train_loss = loss
if opt.iwae > 0 then
  local K = opt.iwae
  local function rep(v) return vg.repeat_interleave(v, { axis = 0, times = K }) end
  local mu_k, logvar_k = rep(mu), rep(logvar)
  local z_k = vg.reparam(mu_k, logvar_k, { name = "z_iwae" })
  local lw = vg.log_bernoulli(decode(z_k), rep(x)) + vg.log_standard_normal(z_k) - vg.log_normal(z_k, mu_k, logvar_k)
  train_loss = vg.mean(vg.logsumexp(vg.reshape(lw, { dims = { -1, K } }), { axis = 1 }) * -1 + math.log(K),
    { name = "iwae_loss" })
end

-- Per test example (test_scores.csv): the negative ELBO and its two terms,
-- an anomaly score or a bound on -log p(x) for each image.
local rec_i = vg.per_example(vg.bce(xhat, x, { reduction = "none" }))
local kl_i = vg.per_example(vg.kl_normal(mu, logvar, { reduction = "none" }))

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = train_loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  weights = { kl_weight = vg.schedule.constant(1) },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
  scores = { rec = rec_i, kl = kl_i, neg_elbo = rec_i + kl_i },
  log_weight = log_weight,
  show = { input = x, reconstruction = xhat, code = mu, z = z_in, decoded = decoded },
}
