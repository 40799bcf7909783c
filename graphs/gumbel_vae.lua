-- Categorical VAE (Jang, Gu and Poole 2016, "Categorical Reparameterization
-- with Gumbel-Softmax"): the latent is 30 categorical variables of 10
-- categories each. The encoder gives their logits; a Gumbel-softmax sample,
-- soft at temperature tau, stands in for the discrete code, so gradients
-- reach the encoder; tau is annealed from 1 towards 0.5 as training goes
-- on, the samples growing closer to one-hot. With --hard the forward pass
-- uses the one-hot code itself and the backward the soft one's gradient
-- (straight-through). The KL term is to the uniform categorical prior; the
-- decoder is Bernoulli. Losses are nats per example.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 100, variables = 30, categories = 10, lr = 1e-3, hard = false,
                        tau0 = 1.0, tau_min = 0.5, anneal_rate = 3e-5 }

local data = vg.images{ dir = opt.data }
local D, N, K = data.size, opt.variables, opt.categories

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { D })
local enc, dec = g:group "encoder", g:group "decoder"

-- Encoder D-512-256 to N x K logits.
local logits = vg.reshape(vg.mlp(enc, { D, 512, 256, N * K })(x), { dims = { -1, N, K }, name = "logits" })

-- tau = max(tau_min, tau0 exp(-r step)): a weight set every step.
local tau = g:scalar "tau"
local code = vg.gumbel_softmax(logits, tau, { hard = opt.hard and 1 or 0, name = "code" })

-- Decoder N K-256-512-D, Bernoulli.
local decode = vg.mlp(dec, { N * K, 256, 512, D }, vg.sigmoid)
local xhat = decode(vg.flatten(code))

local rec = vg.bce(xhat, x, { reduction = "batchmean", name = "rec" })
local kl = vg.kl_categorical(logits, { reduction = "batchmean", name = "kl" })
local loss = rec + kl

-- Samples: one-hot codes drawn from the uniform prior, decoded.
local z_in = g:input("z_in", { N * K })
local prior = g:prior(N * K, { kind = "categorical", categories = K, name = "prior" })

-- The importance weight for --eval-ll, of the discrete model: a hard
-- Gumbel-softmax sample's forward is the one-hot of argmax(logits + Gumbel
-- noise), an exact draw from q(z|x); the prior is uniform, log p(z) = -N log K.
local hard = vg.gumbel_softmax(logits, tau, { hard = 1, name = "code_hard" })
local log_weight = vg.log_bernoulli(decode(vg.flatten(hard)), x) - N * math.log(K) - vg.log_categorical(hard, logits)

local rec_i = vg.per_example(vg.bce(xhat, x, { reduction = "none" }))
local kl_i = vg.kl_categorical(logits, { reduction = "none" })

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  weights = { tau = function(step) return math.max(opt.tau_min, opt.tau0 * math.exp(-opt.anneal_rate * step)) end },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
  scores = { rec = rec_i, kl = vg.per_example(kl_i), neg_elbo = rec_i + vg.per_example(kl_i) },
  log_weight = log_weight,
  -- The latent scatter shows each image's class probabilities, by PCA.
  show = { input = x, reconstruction = xhat, code = vg.flatten(vg.softmax(logits)), z = z_in, decoded = decode(z_in),
           prior = prior },
}
