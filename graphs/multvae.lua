-- Mult-VAE (Liang, Krishnan, Hoffman and Jebara 2018): a VAE for
-- collaborative filtering from implicit feedback. A user is the 0/1 vector
-- of their clicks over the items; the encoder reads it L2-normalised with
-- dropout 0.5, through 600 tanh units to a 200-d Gaussian code; the decoder
-- maps the code through 600 tanh units to logits over the items, and the
-- clicks' likelihood is multinomial: sum of x_i log softmax(logits)_i. The
-- KL term's weight rises linearly to beta = 0.2 (the paper's cap).
--
-- Evaluation, as the paper's: each test user's clicks are split 80/20; the
-- model reads the 80% (the code's mean, no dropout) and ranks every other
-- item; Recall@20, Recall@50 and NDCG@100 score the ranking against the
-- held-out 20% (recall's denominator min(k, held-out items)). The same
-- figures for ranking by popularity (clicks among the training users) are
-- the baseline beside them.
--
-- Data: --data FILE, ratings in a MovieLens format (u.data, ratings.dat,
-- ratings.csv); ratings >= --threshold (3.5; the
-- paper's code keeps those above 3.5, so give 4 on half-star data) are
-- clicks, users with fewer than 5 are
-- dropped, a tenth of the users are test users. Without --data, a planted
-- set made once in <out>/planted_ratings.csv: 3,000 users in 10 taste
-- groups over 1,500 items of power-law popularity (data/ratings.lua).
-- The paper anneals over 200,000 steps of 500 users on MovieLens-20M; for
-- data sets this size the weight reaches its cap after --anneal-steps.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 50, batch = 100, hidden = 600, latent = 200, lr = 1e-3, beta = 0.2, anneal_steps = 1000,
                        dropout = 0.5, split_seed = 1, threshold = 3.5 }

local out = opt.out or "out/multvae"
-- The users' split is the data's, not the model's: --split-seed, not --seed.
local data = vg.ratings{ file = opt.data ~= "" and opt.data or nil, planted = out, seed = opt.split_seed,
                         threshold = opt.threshold }
local N = data.items

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { N })                -- clicks (a test user's fold-in part)
local heldout = g:input("heldout", { N })    -- a test user's held-out clicks
local enc, dec = g:group "encoder", g:group "decoder"

-- x / ||x||, then dropout (in training only).
local inv_norm = vg.exp(vg.log(vg.sum(x * x, { axis = 1 }) + 1e-12) * -0.5)
local h = vg.tanh(vg.linear(enc, "encoder.fc1", N, opt.hidden)(vg.dropout(x * inv_norm, { p = opt.dropout })))
local mu = vg.linear(enc, "encoder.mu", opt.hidden, opt.latent)(h)
local logvar = vg.linear(enc, "encoder.logvar", opt.hidden, opt.latent)(h)
-- A sample in training; the mean when ranking for test users.
local z = vg.reparam(mu, logvar, { eval = "mean", name = "z" })
local logits = vg.linear(dec, "decoder.out", opt.hidden, N)(vg.tanh(vg.linear(dec, "decoder.fc1", opt.latent, opt.hidden)(z)))

local nll = vg.mean(vg.per_example(x * vg.log_softmax(logits)) * -1, { name = "nll" })
local kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
local beta = g:scalar "beta"
local loss = nll + kl * beta

-- Per test user: the ranking of the items not folded in, against the held-out ones.
local recall20 = vg.recall_at_k(logits, heldout, x, { k = math.min(20, N) })
local recall50 = vg.recall_at_k(logits, heldout, x, { k = math.min(50, N) })
local ndcg100 = vg.ndcg_at_k(logits, heldout, x, { k = math.min(100, N) })

-- The popularity baseline's figures, the same every epoch.
local popular = require("vaegraph.data.ratings").popularity(data)
local baseline = { popularity_recall20 = popular(math.min(20, N)), popularity_recall50 = popular(math.min(50, N)),
                   popularity_ndcg100 = popular(math.min(100, N), true) }
local derived = {}
for name, v in pairs(baseline) do derived[name] = function() return v end end

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "clicks", heldout = "heldout" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  weights = { beta = vg.schedule.linear{ from = 0, to = opt.beta, steps = opt.anneal_steps } },
  eval = { test_loss = loss, test_recall20 = vg.mean(recall20), test_recall50 = vg.mean(recall50),
           test_ndcg100 = vg.mean(ndcg100) },
  scores = { recall20 = recall20, recall50 = recall50, ndcg100 = ndcg100 },
  derived = derived,
  not_likelihood = "Mult-VAE's evaluation ranks held-out clicks from the fold-in ones; its multinomial likelihood " ..
    "of a user's clicks leaves out the count of clicks, so it is not a likelihood of the data",
}
