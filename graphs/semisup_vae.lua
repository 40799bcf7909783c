-- Semi-supervised VAE, Kingma, Rezende, Mohamed and Welling 2014's M2: a
-- classifier q(y|x), an encoder q(z|x,y) and a decoder p(x|y,z). Only a
-- few training images keep their labels (--labelled per class, chosen by
-- the seed). Each step reads two batches, as in the paper's code: one of
-- the training images taken as unlabelled, and one of the labelled ones,
-- which cycle (vg.train's feed from = "labelled").
--   labelled (x, y):  -ELBO(x, y) + alpha * cross-entropy of q(y|x)
--   unlabelled x:     E over y ~ q(y|x) of -ELBO(x, y), minus the entropy
--                     of q(y|x): every class is tried (the batch is
--                     expanded K times), weighted by the classifier
-- The loss is the two batches' means added. alpha is Kingma et al.'s
-- 0.1 N with the sums over each set made means: 0.1 times the training
-- images per label. The test accuracy is q(y|x)'s.
-- --model head is the simpler variant: an ordinary VAE whose code z also
-- feeds a classifier, trained on reconstruction + KL of the unlabelled
-- batch and the cross-entropy of the labelled one. --model classifier
-- trains M2's classifier on the labelled batches alone, step for step: the
-- baseline the unlabelled images should beat.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, labelled = 100, hidden = 500, latent = 50, lr = 3e-4, model = "m2" }
if opt.model ~= "m2" and opt.model ~= "head" and opt.model ~= "classifier" then
  error("--model is m2, head or classifier, got '" .. opt.model .. "'")
end

-- labelled: only this many labels per class are kept; the others read -1.
local data = vg.images{ dir = opt.data, labelled = opt.labelled }
local D, K = data.size, data.classes
local alpha = 0.1 * data.train:size() / data.train:labelled():size()

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
-- The unlabelled batch (in training; the test set in evaluation, whose
-- labels y and label are all there) and the labelled batch.
local x, y, label = g:input("x", { D }), g:input("y", { K }), g:input("label", {})
local xl, yl, label_l = g:input("x_labelled", { D }), g:input("y_labelled", { K }), g:input("label_labelled", {})
local cls, enc, dec = g:group "classifier", g:group "encoder", g:group "decoder"
local H, Z = opt.hidden, opt.latent

-- A classifier's cross-entropy per example, and whether its choice is
-- right (the one-hot of its choice against the true one-hot).
local function cross_entropy(logits, ids) return vg.cross_entropy(logits, ids, { reduction = "none" }) end
local function correct(logits)
  return vg.per_example(vg.one_hot(vg.argmax(logits), { classes = K }) * y, { name = "correct" })
end

local loss, ce, right, test_rec, test_kl, decode_in, log_weight
if opt.model == "m2" then
  local classify = vg.mlp(cls, { D, H, K }, nil, { prefix = "classifier" })
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
  -- Every unlabelled example with every class: x repeated K times in a
  -- row, beside the K one-hot rows, as many times as the batch has examples.
  local classes = g:param(g:group "constants", "classes", { K, K }, "eye")
  local l_all = vg.reshape(neg_elbo(vg.repeat_interleave(x, { axis = 0, times = K }), vg.tile(classes, x, { axis = 0 })),
    { dims = { -1, K } })                                     -- [B, K]
  local logits = classify(x)
  local unlabelled = vg.sum(vg.softmax(logits) * (l_all + vg.log_softmax(logits)), { axis = 1 })  -- E_q[-ELBO] - H(q)
  local labelled = neg_elbo(xl, yl) + cross_entropy(classify(xl), label_l) * alpha
  loss = vg.add(vg.mean(unlabelled), vg.mean(labelled), { name = "loss" })
  -- On the test set: the classifier, and the ELBO's terms at the true y.
  ce, right = cross_entropy(logits, label), correct(logits)
  local _, rec, kl = neg_elbo(x, y)
  test_rec, test_kl = vg.mean(rec), vg.mean(kl)
  decode_in = function(z_in) return decode(vg.concat(z_in, y, { axis = 1 })) end
  -- The importance weight for --eval-ll, of log p(x) with y unseen: y drawn
  -- from q(y|x) (a hard Gumbel-softmax sample is an exact draw), z from
  -- q(z|x,y); p(y) is uniform.
  local y_s = vg.gumbel_softmax(logits, { hard = 1, name = "y_sample" })
  local h_s = body(vg.concat(x, y_s, { axis = 1 }))
  local mu_s, logvar_s = to_mu(h_s), to_logvar(h_s)
  local z_s = vg.reparam(mu_s, logvar_s)
  log_weight = vg.log_bernoulli(decode(vg.concat(z_s, y_s, { axis = 1 })), x) + vg.log_standard_normal(z_s)
    - vg.log_normal(z_s, mu_s, logvar_s) - math.log(K) - vg.log_categorical(y_s, logits)
elseif opt.model == "classifier" then
  local classify = vg.mlp(cls, { D, H, K }, nil, { prefix = "classifier" })
  loss = vg.mean(cross_entropy(classify(xl), label_l) * alpha, { name = "loss" })
  local logits = classify(x)
  ce, right = cross_entropy(logits, label), correct(logits)
else
  local body = vg.mlp(enc, { D, H }, vg.relu)
  local to_mu, to_logvar = vg.linear(enc, "encoder.mu", H, Z), vg.linear(enc, "encoder.logvar", H, Z)
  local decode = vg.mlp(dec, { Z, H, D }, vg.sigmoid)
  local head = vg.linear(cls, "head", Z, K)
  local function code(xs)
    local h = body(xs)
    local mu, logvar = to_mu(h), to_logvar(h)
    return vg.reparam(mu, logvar), mu, logvar
  end
  local z, mu, logvar = code(x)
  log_weight = vg.log_bernoulli(decode(z), x) + vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar)
  local rec = vg.per_example(vg.bce(decode(z), x, { reduction = "none" }))
  local kl = vg.per_example(vg.kl_normal(mu, logvar, { reduction = "none" }))
  -- The head classifies z: its logits replace q(y|x)'s.
  loss = vg.add(vg.mean(rec + kl), vg.mean(cross_entropy(head(code(xl)), label_l) * alpha), { name = "loss" })
  local logits = head(z)
  ce, right = cross_entropy(logits, label), correct(logits)
  test_rec, test_kl = vg.mean(rec), vg.mean(kl)
  decode_in = decode
end

local z_in = g:input("z_in", { Z })
local decoded = decode_in and decode_in(z_in)
local groups = opt.model == "classifier" and { cls } or { cls, enc, dec }
local eval = { test_accuracy = vg.mean(right, { name = "accuracy" }), test_ce = vg.mean(ce) }
if test_rec then eval.test_rec, eval.test_kl = test_rec, test_kl end

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image", y = "onehot", label = "label",
           x_labelled = { "image", from = "labelled" }, y_labelled = { "onehot", from = "labelled" },
           label_labelled = { "label", from = "labelled" } },
  phases = { { "train", loss = loss, update = groups, optim = vg.adam{ lr = opt.lr } } },
  eval = eval,
  scores = { correct = right },
  log_weight = log_weight,
  not_likelihood = "--model classifier trains a classifier alone, which models no p(x)",
  -- M2 draws a row per class; the head model's decoder knows no class.
  show = decoded and { z = z_in, decoded = decoded, condition = opt.model == "m2" and "y" or nil },
}
