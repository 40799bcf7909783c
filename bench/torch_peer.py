#!/usr/bin/python3
"""PyTorch peers of vaegraph's model scripts: the same architecture, data
order source, batch, optimizer, epochs and thread count. Prints a CSV row per
epoch with the columns vaegraph's metrics.csv uses, for bench/compare.sh.

  torch_peer.py vae|cvae|ae|conv_vae|aae|gumbel_vae|vq_vae [--epochs N] [--threads N] [--data DIR]
                [--init CKPT] [--save FILE]

--init starts from a vaegraph checkpoint's parameters (with --epochs 0 it
only evaluates them); --save writes the parameters after training under
vaegraph's names, for `vaegraph SCRIPT --init FILE`. Each model's `names`
maps the script's layer names to its own (bench/torch_weights.py).
"""
import argparse
import gzip
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import torch_weights


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def write_samples(model, path, n=10000):
    """n decoded draws from the prior as an IDX file of bytes, [n, 28, 28],
    for bench/score_samples.lua to score with vaegraph's judge."""
    model.eval()
    with torch.no_grad():
        x = model.dec(torch.randn(n, model.latent))
    pixels = (x.reshape(n, 28, 28).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", n, 28, 28) + pixels.tobytes())


def train_epoch(model, opt, nb, batch, loss_of):
    """One training epoch of nb batches: loss_of(i) is batch i's loss.
    Returns the mean loss and the examples per second."""
    model.train()
    total, t0 = 0.0, time.perf_counter()
    for i in range(nb):
        loss = loss_of(i)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    return total / nb, nb * batch / (time.perf_counter() - t0)


# --eval-mean: evaluation at z = mu (a Gumbel-softmax at its mode), as
# vaegraph's --eval-mean, so that the test loss of shared weights is one
# number in both.
EVAL_MEAN = False


def reparam(model, mu, logvar):
    if EVAL_MEAN and not model.training:
        return mu
    return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)


def kl_normal(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


class VAE(nn.Module):
    """graphs/vae.lua"""
    batch, flat, pm1 = 128, True, False
    names = {"encoder.fc1": "fc1", "encoder.mu": "mu", "encoder.logvar": "logvar", "decoder.fc1": "fc3",
             "decoder.fc2": "fc4"}

    def __init__(self):
        super().__init__()
        self.fc1, self.mu, self.logvar = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def losses(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = reparam(self, mu, logvar)
        xhat = torch.sigmoid(self.fc4(F.relu(self.fc3(z))))
        n = x.shape[0]
        rec = F.binary_cross_entropy(xhat, x, reduction="sum") / n
        kl = kl_normal(mu, logvar) / n
        return rec + kl, rec, kl

    def log_weights(self, x, samples):
        """[samples, n]: log p(x|z) + log p(z) - log q(z|x) for z ~ q(z|x)."""
        h = F.relu(self.fc1(x))
        mu, logvar = self.mu(h), self.logvar(h)
        eps = torch.randn(samples, *mu.shape)
        z = mu + eps * torch.exp(0.5 * logvar)
        xhat = torch.sigmoid(self.fc4(F.relu(self.fc3(z))))
        log_px = -F.binary_cross_entropy(xhat, x.expand_as(xhat), reduction="none").sum(-1)
        c = math.log(2 * math.pi)
        log_pz = (-0.5 * (z ** 2 + c)).sum(-1)
        log_qz = (-0.5 * (eps ** 2 + logvar + c)).sum(-1)
        return log_px + log_pz - log_qz


def nll_is(model, test, k, batch=128, chunk=100):
    """Burda et al.'s importance-sampled -log p(x), mean over the test set,
    K samples per example drawn in chunks."""
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(test), batch):
            x = test[i:i + batch]
            lw = torch.cat([model.log_weights(x, min(chunk, k - s)) for s in range(0, k, chunk)])
            total += -(torch.logsumexp(lw, 0) - math.log(k)).sum().item()
    return total / len(test)


class CVAE(nn.Module):
    """graphs/cvae.lua: the one-hot label joins the encoder's and the
    decoder's inputs."""
    batch, flat, pm1, labels = 128, True, False, True
    names = {"encoder.fc1": "fc1", "encoder.mu": "mu", "encoder.logvar": "logvar", "decoder.fc1": "dec.0",
             "decoder.fc2": "dec.2"}

    def __init__(self, k=10):
        super().__init__()
        self.fc1, self.mu, self.logvar = nn.Linear(784 + k, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.dec = mlp([20 + k, 400, 784], nn.Sigmoid())

    def losses(self, x, y):
        h = F.relu(self.fc1(torch.cat([x, y], 1)))
        mu, logvar = self.mu(h), self.logvar(h)
        z = reparam(self, mu, logvar)
        xhat = self.dec(torch.cat([z, y], 1))
        n = x.shape[0]
        rec = F.binary_cross_entropy(xhat, x, reduction="sum") / n
        kl = kl_normal(mu, logvar) / n
        return rec + kl, rec, kl


class AE(nn.Module):
    """graphs/ae.lua"""
    batch, flat, pm1 = 256, False, False
    names = {**{f"encoder.conv{i}": f"e{i}" for i in (1, 2, 3)}, **{f"decoder.conv{i}": f"d{i}" for i in (1, 2, 3, 4)}}

    def __init__(self):
        super().__init__()
        c = lambda i, o, p="same": nn.Conv2d(i, o, 3, padding=p)
        self.e1, self.e2, self.e3 = c(1, 16), c(16, 8), c(8, 8)
        self.d1, self.d2, self.d3, self.d4 = c(8, 8), c(8, 8), c(8, 16, 0), c(16, 1)

    def losses(self, x):
        v = F.max_pool2d(F.relu(self.e1(x)), 2)
        v = F.max_pool2d(F.relu(self.e2(v)), 2)
        v = F.max_pool2d(F.relu(self.e3(v)), 2, padding=1)
        v = F.interpolate(F.relu(self.d1(v)), scale_factor=2, mode="nearest")
        v = F.interpolate(F.relu(self.d2(v)), scale_factor=2, mode="nearest")
        v = F.interpolate(F.relu(self.d3(v)), scale_factor=2, mode="nearest")
        xhat = torch.sigmoid(self.d4(v))
        rec = F.binary_cross_entropy(xhat, x)
        return rec, rec, torch.zeros(())


class ConvVAE(nn.Module):
    """graphs/conv_vae.lua"""
    batch, flat, pm1 = 128, False, True
    names = {**{f"encoder.conv{i}": f"c{i}" for i in (1, 2, 3)}, **{f"decoder.up{i}": f"u{i}" for i in (1, 2, 3)},
             "encoder.mu": "mu", "encoder.logvar": "logvar", "decoder.fc": "fc"}

    def __init__(self, latent=8, beta=1.0):
        super().__init__()
        self.beta = beta
        self.c1, self.c2, self.c3 = nn.Conv2d(1, 16, 3, 2, 1), nn.Conv2d(16, 8, 3, 2, 1), nn.Conv2d(8, 8, 3, 2, 1)
        self.mu, self.logvar = nn.Linear(128, latent), nn.Linear(128, latent)
        self.fc = nn.Linear(latent, 128)
        self.u1 = nn.ConvTranspose2d(8, 8, 3, 2, 1)
        self.u2 = nn.ConvTranspose2d(8, 16, 3, 2, 1, output_padding=1)
        self.u3 = nn.ConvTranspose2d(16, 1, 3, 2, 1, output_padding=1)

    def losses(self, x):
        h = F.relu(self.c3(F.relu(self.c2(F.relu(self.c1(x)))))).flatten(1)
        mu, logvar = self.mu(h), self.logvar(h)
        z = reparam(self, mu, logvar)
        v = F.relu(self.fc(z)).view(-1, 8, 4, 4)
        xhat = torch.tanh(self.u3(F.relu(self.u2(F.relu(self.u1(v))))))
        n = x.shape[0]
        rec = F.mse_loss(xhat, x, reduction="sum") / n
        kl = kl_normal(mu, logvar) / n
        return rec + self.beta * kl, rec, kl


def mlp(sizes, out=None):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if out is not None:
        layers.append(out)
    return nn.Sequential(*layers)


class AAE(nn.Module):
    """graphs/aae.lua: three phases per step, each with its own Adam."""
    batch, flat, pm1 = 256, True, False
    columns = "reconstruction_loss,discriminator_loss,regularization_loss,test_rec,disc_acc_fake,disc_acc_real"

    # vaegraph's layer names -> this module's (bench/torch_weights.py): mlp()
    # puts each Linear at every other index of its Sequential.
    names = {**{f"encoder.fc{i}": f"enc.{2 * (i - 1)}" for i in range(1, 5)},
             **{f"decoder.fc{i}": f"dec.{2 * (i - 1)}" for i in range(1, 5)},
             **{f"discriminator.fc{i}": f"disc.{2 * (i - 1)}" for i in range(1, 6)}}

    def __init__(self, latent=8, h=1000, d=500, lr=1e-4, adv_lr=5e-5, adv_beta1=0.5):
        super().__init__()
        self.latent = latent
        self.enc = mlp([784, h, h, h, latent])
        self.dec = mlp([latent, h, h, h, 784], nn.Sigmoid())
        self.disc = mlp([latent, d, d, d, d, 1])
        self.opt_rec = torch.optim.Adam(list(self.enc.parameters()) + list(self.dec.parameters()), lr=lr)
        self.opt_disc = torch.optim.Adam(self.disc.parameters(), lr=adv_lr, betas=(adv_beta1, 0.999))
        self.opt_gen = torch.optim.Adam(self.enc.parameters(), lr=adv_lr, betas=(adv_beta1, 0.999))

    def train_step(self, x):
        n = x.shape[0]
        ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
        rec = F.binary_cross_entropy(self.dec(self.enc(x)), x)
        self.opt_rec.zero_grad()
        rec.backward()
        self.opt_rec.step()
        with torch.no_grad():
            fake = self.enc(x)
        real = torch.randn(n, self.latent)
        dl = (F.binary_cross_entropy_with_logits(self.disc(real), ones)
              + F.binary_cross_entropy_with_logits(self.disc(fake), zeros))
        self.opt_disc.zero_grad()
        dl.backward()
        self.opt_disc.step()
        # The discriminator's weights take no gradient in this phase.
        self.disc.requires_grad_(False)
        gl = F.binary_cross_entropy_with_logits(self.disc(self.enc(x)), ones)
        self.opt_gen.zero_grad()
        gl.backward()
        self.opt_gen.step()
        self.disc.requires_grad_(True)
        return np.array([rec.item(), dl.item(), gl.item()])

    def evaluate(self, x):
        code = self.enc(x)
        rec = F.binary_cross_entropy(self.dec(code), x)
        acc_fake = (self.disc(code) <= 0).float().mean()
        acc_real = (self.disc(torch.randn(x.shape[0], self.latent)) > 0).float().mean()
        return np.array([rec.item(), acc_fake.item(), acc_real.item()])


class GumbelVAE(nn.Module):
    """graphs/gumbel_vae.lua: 30 categorical variables of 10 categories."""
    batch, flat, pm1 = 100, True, False
    names = {**{f"encoder.fc{i}": f"enc.{2 * (i - 1)}" for i in range(1, 4)},
             **{f"decoder.fc{i}": f"dec.{2 * (i - 1)}" for i in range(1, 4)}}

    def __init__(self, n=30, k=10, hard=False):
        super().__init__()
        self.n, self.k, self.hard, self.step = n, k, hard, 0
        self.enc = mlp([784, 512, 256, n * k])
        self.dec = mlp([n * k, 256, 512, 784], nn.Sigmoid())

    def losses(self, x):
        if self.training:
            self.step += 1
        tau = max(0.5, math.exp(-3e-5 * self.step))
        logits = self.enc(x).view(-1, self.n, self.k)
        if EVAL_MEAN and not self.training:
            # --eval-mean: the noise-free mode, one-hot of argmax(logits),
            # as vaegraph's gumbel_softmax with eval = mode.
            y = F.one_hot(logits.argmax(-1), self.k).to(logits.dtype)
        else:
            y = F.gumbel_softmax(logits, tau=tau, hard=self.hard)
        xhat = self.dec(y.view(-1, self.n * self.k))
        n = x.shape[0]
        rec = F.binary_cross_entropy(xhat, x, reduction="sum") / n
        q, logq = F.softmax(logits, -1), F.log_softmax(logits, -1)
        kl = torch.sum(q * (logq + math.log(self.k))) / n
        return rec + kl, rec, kl


class VQVAE(nn.Module):
    """graphs/vq_vae.lua: a 7x7 grid of 16-d vectors, 64 codes."""
    batch, flat, pm1 = 128, False, False
    columns = ["test_rec", "test_codebook", "test_commitment", "test_perplexity"]
    names = {"encoder.conv1": "c1", "encoder.conv2": "c2", "codebook": "codebook", "decoder.up1": "u1",
             "decoder.up2": "u2"}

    def __init__(self, k=64, d=16, h=16, beta=0.25):
        super().__init__()
        self.k, self.d, self.beta = k, d, beta
        self.c1, self.c2 = nn.Conv2d(1, h, 3, 2, 1), nn.Conv2d(h, d, 3, 2, 1)
        self.codebook = nn.Parameter(torch.empty(k, d).uniform_(-1 / k, 1 / k))
        self.u1 = nn.ConvTranspose2d(d, h, 3, 2, 1, output_padding=1)
        self.u2 = nn.ConvTranspose2d(h, 1, 3, 2, 1, output_padding=1)

    def losses(self, x):
        z = self.c2(F.relu(self.c1(x)))
        zl = z.permute(0, 2, 3, 1)
        flat = zl.reshape(-1, self.d)
        ids = ((self.codebook ** 2).sum(1) - 2 * flat @ self.codebook.t()).argmin(1)
        e = self.codebook[ids].view(zl.shape).permute(0, 3, 1, 2)
        n = x.shape[0]
        codebook = ((e - z.detach()) ** 2).sum() / n
        commitment = ((z - e.detach()) ** 2).sum() / n
        xhat = torch.sigmoid(self.u2(F.relu(self.u1(z + (e - z).detach()))))
        rec = F.binary_cross_entropy(xhat, x, reduction="sum") / n
        usage = F.one_hot(ids, self.k).float().mean(0)
        perplexity = torch.exp(-(usage * torch.log(usage + 1e-10)).sum())
        return rec + codebook + self.beta * commitment, rec, codebook, commitment, perplexity


class SemisupVAE(nn.Module):
    """graphs/semisup_vae.lua: M2 (Kingma et al. 2014), its head variant, or
    the classifier alone on the labelled examples."""
    batch, flat, pm1 = 128, True, False

    def __init__(self, model="m2", k=10, h=500, z=50, alpha=1.0):
        super().__init__()
        self.model, self.k, self.alpha = model, k, alpha
        if model in ("m2", "classifier"):
            self.cls = mlp([784, h, k])
        if model == "m2":
            self.body = nn.Sequential(nn.Linear(784 + k, h), nn.ReLU())
            self.dec = mlp([z + k, h, 784], nn.Sigmoid())
        elif model == "head":
            self.body = nn.Sequential(nn.Linear(784, h), nn.ReLU())
            self.dec = mlp([z, h, 784], nn.Sigmoid())
            self.head = nn.Linear(z, k)
        if model != "classifier":
            self.mu, self.logvar = nn.Linear(h, z), nn.Linear(h, z)
        if model == "m2":
            # Every class's one-hot row: a parameter in vaegraph ("classes").
            self.register_buffer("eye", torch.eye(k))
        # vaegraph's layer names -> this module's, for the layers this kind has.
        names = {"classifier.fc1": "cls.0", "classifier.fc2": "cls.2", "encoder.fc1": "body.0", "encoder.mu": "mu",
                 "encoder.logvar": "logvar", "decoder.fc1": "dec.0", "decoder.fc2": "dec.2", "head": "head",
                 "classes": "eye"}
        own = {n.rpartition(".")[0] for n, _ in self.named_parameters()} | {n for n, _ in self.named_buffers()}
        self.names = {v: t for v, t in names.items() if t in own}

    def elbo_terms(self, x, y=None):
        h = self.body(x if y is None else torch.cat([x, y], 1))
        mu, logvar = self.mu(h), self.logvar(h)
        z = reparam(self, mu, logvar)
        xhat = self.dec(z if y is None else torch.cat([z, y], 1))
        rec = F.binary_cross_entropy(xhat, x, reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        return rec, kl, z

    def classify(self, x):
        """Logits of q(y|x), or of the head on z (and z's rec and kl)."""
        if self.model == "head":
            rec, kl, z = self.elbo_terms(x)
            return self.head(z), rec, kl
        return self.cls(x), None, None

    def loss(self, x, xl, yl, label_l):
        """The step's loss: the unlabelled batch x and the labelled batch."""
        ce_l = F.cross_entropy(self.classify(xl)[0], label_l) * self.alpha
        if self.model == "classifier":
            return ce_l
        if self.model == "head":
            rec, kl, _ = self.elbo_terms(x)
            return (rec + kl).mean() + ce_l
        n = x.shape[0]
        rec_all, kl_all, _ = self.elbo_terms(x.repeat_interleave(self.k, 0), self.eye.repeat(n, 1))
        l_all = (rec_all + kl_all + math.log(self.k)).view(n, self.k)
        logits = self.cls(x)
        q, log_q = F.softmax(logits, 1), F.log_softmax(logits, 1)
        unlabelled = (q * (l_all + log_q)).sum(1).mean()
        rec_l, kl_l, _ = self.elbo_terms(xl, yl)
        return unlabelled + (rec_l + kl_l + math.log(self.k)).mean() + ce_l

    def evaluate(self, x, y, label):
        """Per test example: cross-entropy, correct, rec and kl at the true y."""
        logits, rec, kl = self.classify(x)
        ce = F.cross_entropy(logits, label, reduction="none")
        correct = (logits.argmax(1) == label).float()
        if self.model == "classifier":
            rec = kl = torch.zeros(len(x))
        elif self.model == "m2":
            rec, kl, _ = self.elbo_terms(x, y)
        return ce, correct, rec, kl


def run_semisup(a, train, test, ytrain, ytest, rng):
    """semisup_vae: the labelled subset from vaegraph (bench/labelled_indices.lua).
    Each step an unlabelled batch (all training images) and a labelled batch,
    the labelled images cycling in a new order each pass, as the script does."""
    keep = np.array([int(v) for v in open(a.labelled_file).read().split()], dtype=np.int64)
    xl_all, label_all = train[keep], ytrain[keep]
    alpha = 0.1 * len(train) / len(keep)
    model = SemisupVAE(a.model_kind, alpha=alpha)
    if a.init:
        torch_weights.load(model, a.init, model.names)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    b = model.batch
    nb, nbl = len(train) // b, len(keep) // b
    eye = torch.eye(10)
    cols = ["test_accuracy", "test_ce"] + ([] if a.model_kind == "classifier" else ["test_rec", "test_kl"])
    print("epoch,train_loss," + ",".join(cols) + ",examples_per_s", flush=True)
    state = {"step": 0, "order_l": None}

    def step_loss(i):
        step = state["step"]
        if step % nbl == 0:
            state["order_l"] = torch.from_numpy(rng.permutation(len(keep)))
        il = state["order_l"][(step % nbl) * b:(step % nbl + 1) * b]
        state["step"] = step + 1
        return model.loss(train[order[i * b:(i + 1) * b]], xl_all[il], eye[label_all[il]], label_all[il])

    # --epochs 0: only evaluate (the training columns blank), as for --init.
    for epoch in range(0 if a.epochs == 0 else 1, a.epochs + 1):
        mean_loss, rate = float("nan"), float("nan")
        if epoch > 0:
            order = torch.from_numpy(rng.permutation(len(train)))
            mean_loss, rate = train_epoch(model, opt, nb, b, step_loss)
        model.eval()
        sums = np.zeros(4)
        with torch.no_grad():
            for i in range(0, len(test), b):
                x, label = test[i:i + b], ytest[i:i + b]
                ce, correct, rec, kl = model.evaluate(x, eye[label], label)
                sums += [correct.sum().item(), ce.sum().item(), rec.sum().item(), kl.sum().item()]
        sums /= len(test)
        vals = [sums[0], sums[1]] + ([] if a.model_kind == "classifier" else [sums[2], sums[3]])
        print(f"{epoch},{mean_loss:.6g}," + ",".join(f"{v:.6g}" for v in vals) + f",{rate:.6g}", flush=True)
    if a.save:
        torch_weights.save(model, a.save, model.names)


MODELS = {"vae": VAE, "cvae": CVAE, "ae": AE, "conv_vae": ConvVAE, "aae": AAE, "gumbel_vae": GumbelVAE, "vq_vae": VQVAE, "semisup_vae": SemisupVAE}


def run_phases(model, train, test, rng, a):
    """Models that step themselves (several phases, each its own optimizer)."""
    b = model.batch
    nb = len(train) // b
    print(f"epoch,{model.columns},examples_per_s", flush=True)
    # --epochs 0: only evaluate (the training columns blank), as for --init.
    for epoch in range(0 if a.epochs == 0 else 1, a.epochs + 1):
        sums, rate = np.full(3, np.nan), float("nan")
        if epoch > 0:
            order = torch.from_numpy(rng.permutation(len(train)))
            model.train()
            sums, t0 = 0, time.perf_counter()
            for i in range(nb):
                sums = sums + model.train_step(train[order[i * b:(i + 1) * b]])
            sums = sums / nb
            rate = nb * b / (time.perf_counter() - t0)
        model.eval()
        # Every test example, the last batch smaller, weighted by its size,
        # as vaegraph evaluates.
        ev = 0
        with torch.no_grad():
            for i in range(0, len(test), b):
                part = test[i:i + b]
                ev = ev + model.evaluate(part) * len(part)
        cells = [f"{v:.6g}" for v in list(sums) + list(ev / len(test))]
        print(f"{epoch},{','.join(cells)},{rate:.6g}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--eval-ll", type=lambda t: [int(k) for k in t.split(",")], default=[],
                    help="vae: K (or K1,K2,...) samples for the importance-sampled -log p(x) after the last epoch; "
                         "the last K's goes in the CSV, each K's to stderr with its time")
    ap.add_argument("--labelled-file", help="semisup_vae: the labelled examples, one index a line")
    ap.add_argument("--model-kind", default="m2", help="semisup_vae: m2, head or classifier")
    ap.add_argument("--latent", type=int, help="aae: the code's size (default: the class's)")
    ap.add_argument("--adv-beta1", type=float, help="aae: Adam's beta1 in the adversarial phases (default: the class's)")
    ap.add_argument("--samples", help="aae: after training, write 10,000 samples from the prior here (IDX bytes)")
    ap.add_argument("--limit", type=int, help="use only the first N training and test examples, as vaegraph's --limit")
    ap.add_argument("--init", help="start from this vaegraph checkpoint's parameters (--epochs 0: only evaluate them)")
    ap.add_argument("--save", help="after training, write the parameters under vaegraph's names (for vaegraph --init)")
    ap.add_argument("--eval-mean", action="store_true", help="evaluate at z = mu (vaegraph's --eval-mean)")
    a = ap.parse_args()
    global EVAL_MEAN
    EVAL_MEAN = a.eval_mean
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    if a.model == "semisup_vae":
        x = lambda stem: torch.from_numpy(read_idx(f"{a.data}/{stem}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
        y = lambda stem: torch.from_numpy(read_idx(f"{a.data}/{stem}-labels-idx1-ubyte.gz").astype(np.int64))
        return run_semisup(a, x("train"), x("t10k"), y("train"), y("t10k"), rng)
    kw = {k: v for k, v in (("latent", a.latent), ("adv_beta1", a.adv_beta1)) if v is not None}
    model = MODELS[a.model](**kw)
    if (a.init or a.save) and not hasattr(model, "names"):
        sys.exit(f"torch_peer.py: {a.model} has no map to vaegraph's parameter names yet (--init, --save)")
    if a.init:
        torch_weights.load(model, a.init, model.names)
    shape = (-1, 784) if model.flat else (-1, 1, 28, 28)
    scale, shift = (2 / 255, -1) if model.pm1 else (1 / 255, 0)

    def load(stem):
        return torch.from_numpy(read_idx(f"{a.data}/{stem}-images-idx3-ubyte.gz").reshape(shape).astype(np.float32) * scale + shift)

    train, test = load("train")[:a.limit], load("t10k")[:a.limit]
    # Each batch is the model's arguments: the images, and for conditional
    # models their one-hot labels.
    if getattr(model, "labels", False):
        onehot = lambda stem: F.one_hot(torch.from_numpy(read_idx(f"{a.data}/{stem}-labels-idx1-ubyte.gz").astype(np.int64)),
                                        10).float()
        train, test = (train, onehot("train")[:a.limit]), (test, onehot("t10k")[:a.limit])
    else:
        train, test = (train,), (test,)
    ntrain, ntest = len(train[0]), len(test[0])
    pick = lambda split, idx: [t[idx] for t in split]
    if hasattr(model, "train_step"):
        run_phases(model, train[0], test[0], rng, a)
        if a.samples:
            write_samples(model, a.samples)
        if a.save:
            torch_weights.save(model, a.save, model.names)
        return
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    b = model.batch
    nb = ntrain // b
    columns = getattr(model, "columns", ["test_rec", "test_kl"])
    ll = a.eval_ll and hasattr(model, "log_weights")
    print("epoch,train_loss,test_loss," + ",".join(columns) + ",examples_per_s" + (",test_nll_is,is_seconds" if ll else ""),
          flush=True)
    for epoch in range(0 if a.epochs == 0 else 1, a.epochs + 1):
        mean_loss, rate = float("nan"), float("nan")
        if epoch > 0:
            order = torch.from_numpy(rng.permutation(ntrain))
            mean_loss, rate = train_epoch(model, opt, nb, b, lambda i: model.losses(*pick(train, order[i * b:(i + 1) * b]))[0])
        model.eval()
        # Every test example, the last batch smaller, as vaegraph evaluates.
        sums = np.zeros(len(columns) + 1)
        with torch.no_grad():
            for i in range(0, ntest, b):
                part = pick(test, slice(i, i + b))
                sums += [v.item() * len(part[0]) for v in model.losses(*part)]
        sums /= ntest
        cells = ",".join(f"{v:.6g}" for v in sums)
        extra = ""
        if ll and epoch == a.epochs:
            for k in a.eval_ll:
                t1 = time.perf_counter()
                v = nll_is(model, test[0], k)
                seconds = time.perf_counter() - t1
                print(f"importance-sampled -log p(x), {k} samples per example: {v:.4f} nats per example ({seconds:.1f} s)",
                      file=sys.stderr, flush=True)
            extra = f",{v:.6g},{seconds:.1f}"
        elif ll:
            extra = ",,"
        print(f"{epoch},{mean_loss:.6g},{cells},{rate:.6g}{extra}", flush=True)
    if a.save:
        torch_weights.save(model, a.save, model.names)


if __name__ == "__main__":
    main()
