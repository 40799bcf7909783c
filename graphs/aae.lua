-- Adversarial autoencoder (Makhzani et al. 2016): a deterministic
-- autoencoder whose codes a discriminator learns to tell from samples of a
-- prior, while the encoder learns to fool it, so that the codes take the
-- prior's shape. Each step runs three phases in turn:
--   reconstruction  encoder and decoder, BCE of the reconstruction
--   discriminator   the discriminator: prior samples are real (1), codes fake (0)
--   regularization  the encoder alone: its codes should pass for real
-- --latent 2 gives a 2-D code, whose prior can be --prior mixture (10
-- gaussians around a circle) instead of the standard gaussian.
--
-- The defaults make the codes match the prior (README: "The adversarial
-- autoencoder"): an 8-d code, and Adam with beta1 = 0.5 in the two
-- adversarial phases, as GANs are trained, since with beta1 = 0.9 the
-- discriminator and the encoder overshoot each other and take turns
-- winning. --config tutorial restores the seed tutorial's 150-d code and
-- beta1 = 0.9, whose codes stay a cloud beside the prior (code_fd 228
-- against 5 with --quality) and whose samples are mostly tops.
local vg = require "vaegraph"

local opt, given = vg.options{ epochs = 10, batch = 256, config = "matched", latent = 8, prior = "gaussian", hidden = 1000,
                               disc_hidden = 500, lr = 1e-4, adv_lr = 5e-5, adv_beta1 = 0.5 }
local TUTORIAL = { latent = 150, adv_beta1 = 0.9 }
if opt.config == "tutorial" then
  for k, v in pairs(TUTORIAL) do
    if not given[k] then opt[k] = v end
  end
elseif opt.config ~= "matched" then
  error("--config must be matched or tutorial, got '" .. opt.config .. "'", 0)
end
if opt.prior ~= "gaussian" and opt.prior ~= "mixture" then
  error("--prior must be gaussian or mixture, got '" .. opt.prior .. "'", 0)
end
if opt.prior == "mixture" and opt.latent ~= 2 then error("--prior mixture needs --latent 2", 0) end

-- The images stay compressed in memory (--compress=false holds them as
-- bytes): Fashion-MNIST's training set in 23 MB instead of 47, beside 99 MB
-- of weights and Adam moments, for about 3 us of decoding per example
-- against the 400 us its training costs.
local data = vg.images{ dir = opt.data, compress = true }
local D = data.size

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { D })
local enc, dec, disc = g:group "encoder", g:group "decoder", g:group "discriminator"

-- Encoder D-1000-1000-1000-latent (D = 784 for 28x28 images) and its
-- mirror, ReLU between layers; the code is linear, the output a sigmoid.
local h = opt.hidden
local encode = vg.mlp(enc, { D, h, h, h, opt.latent })
local decode = vg.mlp(dec, { opt.latent, h, h, h, D }, vg.sigmoid)
-- Discriminator latent-500-500-500-500-1: one logit.
local d = opt.disc_hidden
local discriminate = vg.discriminator(disc, { opt.latent, d, d, d, d, 1 })

local code = encode(x)
local xhat = decode(code)
local real = g:prior(opt.latent, { kind = opt.prior, name = "prior" })

-- 1. Reconstruction.
local rec = vg.bce(xhat, x, { reduction = "mean", name = "rec" })
-- 2. Discriminator: the codes enter through stop_gradient, so this phase
-- cannot move the encoder (it updates only its own group in any case; the
-- stop also spares the backward pass through the encoder).
local d_real, d_fake = discriminate(real), discriminate(vg.stop_gradient(code))
local disc_loss = vg.adversarial_loss(d_real, true) + vg.adversarial_loss(d_fake, false)
-- 3. Regularization: the encoder, through the discriminator, toward "real".
local gen_loss = vg.adversarial_loss(discriminate(code), true, { name = "gen" })

-- Decoding a latent input: samples from the prior and interpolations.
local z_in = g:input("z_in", { opt.latent })
local decoded = decode(z_in)

return vg.train{
  not_likelihood = "an adversarial autoencoder's encoder is deterministic and its codes are matched to the prior by a discriminator: there is no posterior density to weight samples by",
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = {
    { "reconstruction", loss = rec, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } },
    { "discriminator", loss = disc_loss, update = { disc }, optim = vg.adam{ lr = opt.adv_lr, beta1 = opt.adv_beta1 } },
    { "regularization", loss = gen_loss, update = { enc }, optim = vg.adam{ lr = opt.adv_lr, beta1 = opt.adv_beta1 } },
  },
  eval = {
    test_rec = rec,
    -- The discriminator's accuracy on test codes (fake) and prior samples
    -- (real): 0.5 on both when it cannot tell them apart.
    disc_acc_real = vg.binary_accuracy(d_real, { target = 1 }),
    disc_acc_fake = vg.binary_accuracy(d_fake, { target = 0 }),
  },
  show = { input = x, reconstruction = xhat, code = code, z = z_in, decoded = decoded, prior = real },
}
