-- Sentence VAE (Bowman et al. 2016, "Generating Sentences from a Continuous
-- Space"): an LSTM encoder reads the sentence into a Gaussian code z; an
-- LSTM decoder, its initial state computed from z, predicts the sentence
-- word by word from the words before (teacher forcing). The KL term is
-- annealed from 0 so the decoder learns to use z before the KL pulls the
-- posterior to the prior; word dropout (--word-dropout) weakens the decoder
-- further. Losses are nats per sentence.
--
-- Data: sentences from Debian's fortunes by default, or --data DIR with
-- Penn Treebank-style train/valid/test .txt files (../shared/data/ptb;
-- PTB has already replaced its rare words by <unk>: use --min-count 1).
-- Words seen fewer than --min-count times in the training file are <unk>.
--
-- --latent N is a Gaussian code of N dimensions; --latent categorical puts
-- a discrete code between encoder and decoder instead: --variables
-- categorical variables of --categories classes each, sampled by
-- Gumbel-softmax at a temperature annealed from 1 towards 0.5 (as
-- graphs/gumbel_vae.lua), with the KL to the uniform categorical.
local vg = require "vaegraph"
local sentences = require "vaegraph.sentences"

local opt = vg.options{ epochs = 10, batch = 32, embed = 300, hidden = 256, latent = "16", variables = 16, categories = 16, lr = 1e-3,
                        max_len = 60, min_count = 2, lower = false, word_dropout = 0, embedding_dropout = 0,
                        anneal = "logistic", k = 0.0025, x0 = 2500, temperature = 1 }

local data = vg.text{ dir = opt.data, lower = opt.lower, min_count = opt.min_count, max_len = opt.max_len,
                      cache = (opt.out or "out/sentence_vae") .. "/corpus" }
local V = data.vocab:size()
local categorical = opt.latent == "categorical"
local Z = categorical and opt.variables * opt.categories or tonumber(opt.latent)
if not Z or Z < 1 or Z % 1 ~= 0 then error("--latent is a size (16) or categorical, got '" .. opt.latent .. "'") end

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
-- A batch: <sos> w1 .. wn padded with <pad> (id 0), the targets w1 .. wn
-- <eos>, and n + 1 per sentence. The time axis is the longest allowed; each
-- batch takes the length of its longest sentence.
local tokens = g:input("tokens", { opt.max_len })
local targets = g:input("targets", { opt.max_len })
local lengths = g:input("lengths", {})
local model = g:group "model"

local embed = vg.embedding(model, "embedding", V, opt.embed)
local encoder = vg.lstm(model, "encoder.rnn", opt.embed, opt.hidden)
local latent2hidden = vg.linear(model, "decoder.init", Z, opt.hidden)
local decoder = vg.lstm(model, "decoder.rnn", opt.embed, opt.hidden)
local output = vg.linear(model, "decoder.out", opt.hidden, V)

-- Encoder: the state after each sentence's last word, to the code: z and,
-- for reconstructions and homotopies, the posterior's mean `mu` (for the
-- categorical code, its class probabilities).
local h = encoder(embed(tokens), lengths, { output = "last" })
local z, mu, kl, tau, prior, log_prior_ratio, z_ll
local kl_weight = g:scalar "kl_weight"
if categorical then
  local logits = vg.reshape(vg.linear(model, "encoder.logits", opt.hidden, Z)(h), { dims = { -1, opt.variables, opt.categories } })
  tau = g:scalar "tau"
  z = vg.flatten(vg.gumbel_softmax(logits, tau, { name = "z" }))
  mu = vg.flatten(vg.softmax(logits))
  kl = vg.kl_categorical(logits, { reduction = "batchmean", name = "kl" })
  prior = g:prior(Z, { kind = "categorical", categories = opt.categories, name = "prior" })
  -- For --eval-ll, the discrete model: a hard sample is an exact draw.
  local hard = vg.gumbel_softmax(logits, tau, { hard = 1, name = "z_hard" })
  z_ll = vg.flatten(hard)
  log_prior_ratio = -opt.variables * math.log(opt.categories) - vg.log_categorical(hard, logits)
else
  local logvar
  mu, logvar = vg.linear(model, "encoder.mu", opt.hidden, Z)(h), vg.linear(model, "encoder.logvar", opt.hidden, Z)(h)
  z = vg.reparam(mu, logvar, { name = "z" })
  kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
  z_ll, log_prior_ratio = z, vg.log_standard_normal(z) - vg.log_normal(z, mu, logvar)
end

-- Decoder: initial state from z, input words with word dropout (<unk> in
-- place of a word with probability p, in training only).
local dec_in = vg.dropout(embed(vg.word_dropout(tokens, { p = opt.word_dropout })), { p = opt.embedding_dropout })
local states = decoder(dec_in, lengths, { h0 = latent2hidden(z) })
-- The projection onto the vocabulary and the loss see only positions inside
-- sentences (pack drops the padding); the NLL is summed over each
-- sentence's words and <eos>, then averaged over sentences. One op does
-- both, cross_entropy(output(x), ...) without storing the logits: at a
-- batch of 60-word sentences they and their gradient would be 97 MB each,
-- so it makes them 1,024 words at a time, again in the backward.
local nll = vg.linear_cross_entropy(vg.pack(states, lengths), output.weight, output.bias, vg.pack(targets, lengths),
  lengths, { reduction = "batchmean", name = "nll" })
local loss = nll + kl * kl_weight

-- The importance weight for --eval-ll: each sentence's log-likelihood given
-- the code (over every position; padding targets are ignored), plus
-- log p(z) - log q(z|x).
local sentence_ll = vg.per_example(vg.linear_cross_entropy(decoder(embed(tokens), lengths, { h0 = latent2hidden(z_ll) }),
  output.weight, output.bias, targets, { reduction = "none", ignore = 0 })) * -1
local log_weight = sentence_ll + log_prior_ratio

-- Generation, one word at a time, with the same layers: z gives the initial
-- state; a step reads the last word and the state [h, c] and gives the
-- next word's logits and the next state.
local gen_z = g:input("gen_z", { Z })
local gen_token = g:input("gen_token", { 1 })
local gen_lengths = g:input("gen_lengths", {})
local gen_state = g:input("gen_state", { 2 * opt.hidden })
local h_in = vg.slice(gen_state, { axis = 1, start = 0, len = opt.hidden })
local c_in = vg.slice(gen_state, { axis = 1, start = opt.hidden, len = opt.hidden })
local next_state = decoder(embed(gen_token), gen_lengths, { h0 = h_in, c0 = c_in, output = "state" })
local gen_logits = output(vg.slice(next_state, { axis = 1, start = 0, len = opt.hidden }))

assert(opt.anneal == "logistic" or opt.anneal == "linear", "--anneal must be logistic or linear, got " .. opt.anneal)
local anneal = opt.anneal == "linear" and vg.schedule.linear{ steps = opt.x0 }
  or vg.schedule.logistic{ k = opt.k, x0 = opt.x0 }

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { tokens = "tokens", targets = "targets", lengths = "lengths" },
  phases = { { "train", loss = loss, update = { model }, optim = vg.adam{ lr = opt.lr } } },
  weights = { kl_weight = anneal,
              tau = categorical and function(step) return math.max(0.5, math.exp(-3e-5 * step)) end or nil },
  -- Per test sentence; tokens per sentence count the <eos>.
  eval = { test_nll = nll, test_kl = kl, test_tokens = vg.mean(lengths) },
  derived = { test_ppl = function(r) return math.exp((r.test_nll + r.test_kl) / r.test_tokens) end },
  log_weight = log_weight,
  report = sentences.report{
    vocab = data.vocab, test = data.test, max_len = opt.max_len, temperature = opt.temperature, prior = prior,
    encoder = { tokens = tokens, lengths = lengths, mu = mu },
    generate = { z = gen_z, h0 = latent2hidden(gen_z), token = gen_token, lengths = gen_lengths,
                 state = gen_state, next_state = next_state, logits = gen_logits },
  },
}
