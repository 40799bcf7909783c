-- Semi-supervised VAE, Kingma, Rezende, Mohamed and Welling 2014's M2: a
-- classifier q(y|x), an encoder q(z|x,y) and a decoder p(x|y,z). Only a
-- few training images keep their labels (--labelled per class, chosen by
-- the seed); the rest are unlabelled.
--   labelled (x, y):  -ELBO(x, y) + alpha * cross-entropy of q(y|x)
--   unlabelled x:     E over y ~ q(y|x) of -ELBO(x, y), minus the entropy
--                     of q(y|x): every class is tried (the batch is
--                     expanded K times), weighted by the classifier
-- alpha is Kingma et al.'s 0.1 N, per labelled example here 0.1 times the
-- training examples per label. The test accuracy is q(y|x)'s.
-- --model head is the simpler variant: an ordinary VAE whose code z also
-- feeds a classifier, trained on reconstruction + KL + cross-entropy of the
-- labelled examples. --model classifier trains M2's classifier on the
-- labelled examples alone: the baseline the unlabelled images should beat.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, labelled = 100, hidden = 500, latent = 50, lr = 3e-4, model = "m2" }
if opt.model ~= "m2" and opt.model ~= "head" and opt.model ~= "classifier" then
  error("--model is m2, head or classifier, got '" .. opt.model .. "'")
end

-- labelled: only this many labels per class are kept; the others read -1.
local data = vg.images{ dir = opt.data, labelled = opt.labelled }
local D, K = data.size, data.classes
local n, with_label = data.train:size(), 0
for _, l in ipairs(data.train:labels(0, n)) do if l >= 0 then with_label = with_label + 1 end end
local alpha = 0.1 * n / math.max(1, with_label)

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { D })
local y = g:input("y", { K })          -- one-hot, a zero row without a label
local label = g:input("label", {})     -- the class id, -1 without a label
local has = g:input("has_label", {})   -- 1 or 0
local cls, enc, dec = g:group "classifier", g:group "encoder", g:group "decoder"
local H, Z = opt.hidden, opt.latent

-- A classifier's cross-entropy per example (0 without a label) and whether
-- its choice is right (the one-hot of its choice against y's).
local function classified(logits)
  return vg.cross_entropy(logits, label, { reduction = "none", ignore = -1, name = "ce" }),
         vg.per_example(vg.one_hot(vg.argmax(logits), { classes = K }) * y, { name = "correct" })
end

local loss, ce, correct, test_rec, test_kl, decode_in
if opt.model == "m2" then
  -- q(y|x)
  local logits = vg.mlp(cls, { D, H, K }, nil, { prefix = "classifier" })(x)
  local log_q = vg.log_softmax(logits)
  ce, correct = classified(logits)
  local body = vg.mlp(enc, { D + K, H }, vg.relu)
  local to_mu, to_logvar = vg.linear(enc, "encoder.mu", H, Z), vg.linear(enc, "encoder.logvar", H, Z)
  local decode = vg.mlp(dec, { Z + K, H, D }, vg.sigmoid)
  -- -ELBO(x, y) per example for one-hot rows y: reconstruction + KL + log K
  -- (the uniform p(y)).
  local function neg_elbo(xs, ys)
    local h = body(vg.concat(xs, ys, { axis = 1 }))
    local mu, logvar = to_mu(h), to_logvar(h)
    local z = vg.reparam(mu, logvar)
    local xhat = decode(vg.concat(z, ys, { axis = 1 }))
    local rec = vg.per_example(vg.bce(xhat, xs, { reduction = "none" }))
    local kl = vg.per_example(vg.kl_normal(mu, logvar, { reduction = "none" }))
    return rec + kl + math.log(K), rec, kl
  end
  -- Every example with every class: x repeated K times in a row, beside
  -- the K one-hot rows, as many times as the batch has examples.
  local classes = g:param(g:group "constants", "classes", { K, K }, "eye")
  local l_all = vg.reshape(neg_elbo(vg.repeat_interleave(x, { axis = 0, times = K }), vg.tile(classes, x, { axis = 0 })),
    { dims = { -1, K } })                                     -- [B, K]
  local q = vg.softmax(logits)
  local unlabelled = vg.sum(q * (l_all + log_q), { axis = 1 })  -- E_q[-ELBO] - H(q)
  local labelled = vg.sum(y * l_all, { axis = 1 })              -- -ELBO(x, y) at the true y
  loss = vg.mean(has * (labelled + ce * alpha) + (1 - has) * unlabelled, { name = "loss" })
  -- On the test set, whose labels are all there: the terms at the true y.
  local _, rec, kl = neg_elbo(x, y)
  test_rec, test_kl = vg.mean(rec), vg.mean(kl)
  decode_in = function(z_in) return decode(vg.concat(z_in, y, { axis = 1 })) end
elseif opt.model == "classifier" then
  ce, correct = classified(vg.mlp(cls, { D, H, K }, nil, { prefix = "classifier" })(x))
  loss = vg.mean(has * ce * alpha, { name = "loss" })
else
  local h = vg.mlp(enc, { D, H }, vg.relu)(x)
  local mu, logvar = vg.linear(enc, "encoder.mu", H, Z)(h), vg.linear(enc, "encoder.logvar", H, Z)(h)
  local z = vg.reparam(mu, logvar)
  local decode = vg.mlp(dec, { Z, H, D }, vg.sigmoid)
  -- The head classifies z: its logits replace q(y|x)'s.
  ce, correct = classified(vg.linear(cls, "head", Z, K)(z))
  local rec = vg.per_example(vg.bce(decode(z), x, { reduction = "none" }))
  local kl = vg.per_example(vg.kl_normal(mu, logvar, { reduction = "none" }))
  loss = vg.mean(rec + kl + has * ce * alpha, { name = "loss" })
  test_rec, test_kl = vg.mean(rec), vg.mean(kl)
  decode_in = decode
end

local z_in = g:input("z_in", { Z })
local decoded = decode_in and decode_in(z_in)
local groups = opt.model == "classifier" and { cls } or { cls, enc, dec }
local eval = { test_accuracy = vg.mean(correct, { name = "accuracy" }), test_ce = vg.mean(ce) }
if test_rec then eval.test_rec, eval.test_kl = test_rec, test_kl end

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image", y = "onehot", label = "label", has_label = "has_label" },
  phases = { { "train", loss = loss, update = groups, optim = vg.adam{ lr = opt.lr } } },
  eval = eval,
  scores = { correct = correct },
  -- M2 draws a row per class; the head model's decoder knows no class.
  show = decoded and { z = z_in, decoded = decoded, condition = opt.model == "m2" and "y" or nil },
}
