-- Anomaly detection with a VAE: train on normal data only, then score every
-- test example by how badly the model explains it (An and Cho 2015):
--   rec       the reconstruction's negative log-likelihood, one sample of z
--   neg_elbo  rec + KL: a bound on -log p(x)
--   nll_is    with --eval-ll K, the importance-sampled -log p(x) itself
-- Each score's AUROC and average precision at picking out the anomalous
-- test examples go in metrics.csv; test_scores.csv has every example's
-- scores; anomaly.png shows the scores' histograms and ROC curves, and
-- extremes.png (images) the test images ranked most and least anomalous.
--
-- Images (default Fashion-MNIST, or --data DIR): the one-class protocol.
-- Train on class --normal (0: T-shirt/top), test on all classes: every
-- other class is anomalous. A Bernoulli decoder, as graphs/vae.lua's.
-- Tables (--csv FILE): rows of numeric features with a class column
-- (--label, default "label"; an empty cell is an unknown class, counted
-- anomalous). Every 5th row of each class is held out for testing;
-- training keeps the rows of class --normal. Features are standardised
-- with the training rows' statistics; the decoder gives each feature a
-- Gaussian, mean and variance (An and Cho's reconstruction probability).
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, hidden = 0, latent = 0, lr = 1e-3, normal = 0, csv = "", label = "label" }

local tabular = opt.csv ~= ""
local data
if tabular then
  data = vg.csv{ file = opt.csv, label = opt.label, classes = { train = { opt.normal } } }
else
  data = vg.images{ dir = opt.data, classes = { train = { opt.normal } } }
end
local D = data.size
-- Sizes by data: vae.lua's for images; for a handful of features, a
-- hidden layer a few times wider and a code a quarter as wide.
local H = opt.hidden > 0 and opt.hidden or (tabular and math.max(32, 4 * D) or 400)
local Z = opt.latent > 0 and opt.latent or (tabular and math.max(2, math.ceil(D / 4)) or 20)

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { D })
local enc, dec = g:group "encoder", g:group "decoder"
local h = vg.relu(vg.linear(enc, "encoder.fc1", D, H)(x))
local mu = vg.linear(enc, "encoder.mu", H, Z)(h)
local logvar = vg.linear(enc, "encoder.logvar", H, Z)(h)
local z = vg.reparam(mu, logvar, { name = "z" })
-- Images: pixel probabilities. Tables: each feature's mean and log
-- variance, so that a feature the normal rows pin down weighs more.
local net = vg.mlp(dec, { Z, H, tabular and 2 * D or D }, not tabular and vg.sigmoid or nil)
local function decode(v)
  local out = net(v)
  if not tabular then return out end
  return vg.slice(out, { axis = 1, start = 0, len = D }), vg.slice(out, { axis = 1, start = D, len = D })
end
local xhat, x_logvar = decode(z)
-- log p(x|z) per example: Bernoulli pixels, or Gaussian features.
local log_px = tabular and vg.log_normal(x, xhat, x_logvar) or vg.log_bernoulli(xhat, x)
local rec = log_px * -1
local kl = vg.per_example(vg.kl_normal(mu, logvar, { reduction = "none" }))
local neg_elbo = rec + kl
local loss = vg.mean(neg_elbo, { name = "loss" })

-- AUROC and average precision of each score; nll_is's are blank without
-- --eval-ll.
local function anomalous(label) return label ~= opt.normal end
local score_metrics = {}
for _, name in ipairs{ "rec", "neg_elbo", "nll_is" } do
  local function flags(s)
    local f = {}
    for i, l in ipairs(s.label) do f[i] = anomalous(l) end
    return f
  end
  score_metrics["auroc_" .. name] = function(s) return s[name] and vg.stats.auroc(s[name], flags(s)) end
  score_metrics["ap_" .. name] = function(s) return s[name] and vg.stats.average_precision(s[name], flags(s)) end
end

local z_in = g:input("z_in", { Z })

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = tabular and "features" or "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  eval = { test_loss = loss, test_rec = vg.mean(rec), test_kl = vg.mean(kl) },
  scores = { rec = rec, neg_elbo = neg_elbo },
  score_metrics = score_metrics,
  log_weight = log_px + vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar),
  show = not tabular and { input = x, reconstruction = xhat, code = mu, z = z_in, decoded = decode(z_in) } or nil,
  pictures = { anomaly = vg.pictures.anomaly{ scores = { "rec", "neg_elbo", "nll_is" }, anomalous = anomalous,
                                              rank_by = "neg_elbo", input = x } },
}
