-- VQ-VAE (van den Oord, Vinyals and Kavukcuoglu 2017): a convolutional
-- encoder maps each image to a 7x7 grid of 16-d vectors (on 28x28 images),
-- each replaced by its nearest of 64 learned codes; the decoder sees only
-- the codes. The quantisation has no gradient, so the reconstruction's
-- gradient passes straight through it to the encoder; the codebook loss
-- moves the codes towards the encoder's vectors, and the commitment loss
-- (weighted by beta) keeps the encoder near its codes. Perplexity, exp of
-- the entropy of code usage, says how many codes are in use.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 128, codes = 64, dim = 16, hidden = 16, lr = 1e-3, beta = 0.25 }

local data = vg.images{ dir = opt.data }
local C = data.channels
if data.height % 4 ~= 0 or data.width % 4 ~= 0 then
  error(string.format("the encoder halves the images twice, so their sides must be multiples of 4; %s has %dx%d images",
    data.name, data.height, data.width))
end

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", data.shape)
local enc, dec, book = g:group "encoder", g:group "decoder", g:group "codebook"

-- Encoder: two stride-2 convolutions, to a (H/4)x(W/4) grid of dim-vectors.
local h = vg.conv2d(enc, "encoder.conv1", C, opt.hidden, 3, { stride = 2, padding = 1, act = "relu" })(x)
local z_e = vg.conv2d(enc, "encoder.conv2", opt.hidden, opt.dim, 3, { stride = 2, padding = 1 })(h)

-- The codebook, initialised as in the paper's implementations.
local codebook = g:param(book, "codebook", { opt.codes, opt.dim }, "uniform", -1 / opt.codes, 1 / opt.codes)
local vq = vg.vector_quantize(z_e, codebook, { axis = 1, reduction = "batchmean" })

-- Decoder: two stride-2 transposed convolutions back to the image.
local d1 = vg.conv_transpose2d(dec, "decoder.up1", opt.dim, opt.hidden, 3,
  { stride = 2, padding = 1, output_padding = 1, act = "relu" })(vq.quantized)
local xhat = vg.conv_transpose2d(dec, "decoder.up2", opt.hidden, C, 3,
  { stride = 2, padding = 1, output_padding = 1, act = "sigmoid" })(d1)

-- Per example: reconstruction in nats, codebook and commitment summed over
-- the grid.
local rec = vg.bce(xhat, x, { reduction = "batchmean", name = "rec" })
local loss = rec + vq.codebook_loss + vq.commitment_loss * opt.beta

-- A picture of the codes' use over the test set: how often each is chosen.
local codes_picture = {
  keys = {},
  prepare = function(run) return { plan = run.graph:compile{ name = "codes", fetch = { vq.codes } } } end,
  draw = function(run, s)
    local counts = {}
    for k = 1, opt.codes do counts[k] = 0 end
    run.data.test:order(false, 0, 0)
    for first = 0, run.ntest - 1, run.batch do
      local count = math.min(run.batch, run.ntest - first)
      run.fill(run.data.test, first, count)
      s.plan:run(1, first)
      local ids = s.plan:value(vq.codes.id)
      for i = 1, #ids do counts[ids[i] + 1] = counts[ids[i] + 1] + 1 end
    end
    local xs, used = {}, 0
    for k = 1, opt.codes do
      xs[k] = k - 1
      if counts[k] > 0 then used = used + 1 end
    end
    vg.core.lines_png(run.out .. "/codes.png", {
      { title = string.format("uses of each code on the test set (%d of %d used)", used, opt.codes),
        series = { { label = "uses", x = xs, y = counts } } } }, 1, 720, 300,
      string.format("%s, epoch %d", run.script, run.epoch))
  end,
}

return vg.train{
  not_likelihood = "a VQ-VAE's codes are chosen deterministically and its prior over codes is not learnt here, so it defines no p(x) to estimate",
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec, book }, optim = vg.adam{ lr = opt.lr } } },
  eval = { test_loss = loss, test_rec = rec, test_codebook = vq.codebook_loss, test_commitment = vq.commitment_loss,
           test_perplexity = vq.perplexity },
  scores = { rec = vg.per_example(vg.bce(xhat, x, { reduction = "none" })) },
  show = { input = x, reconstruction = xhat },
  pictures = { codes = codes_picture },
}
