#!/usr/bin/python3
"""PyTorch peer of vaegraph's sentence VAE (Bowman et al. 2016): an LSTM
encoder to a Gaussian latent, an LSTM decoder started from it, sharing one
embedding, with word dropout and KL annealing. vaegraph computes the same
thing, so data handling, model and metrics follow one written spec; this script
is the reference for the side-by-side speed and quality benchmark.
Prints a CSV row per epoch on stdout, vocabulary and sentence counts on stderr.

  torch_sentence_vae.py [--train FILE] [--test FILE] [--epochs N] [--threads N]
                        [--anneal logistic|linear] [--word-dropout P] [--limit N]
"""
import argparse
import math
import sys
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, SOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<pad>", "<sos>", "<eos>", "<unk>"]


def read_sentences(path, lower, limit):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = (line.lower() if lower else line).split()
            if words:
                out.append(words)
                if limit is not None and len(out) >= limit:
                    break
    return out


def build_vocab(sentences, min_count):
    # Counted over whole sentences, before the max-length cut.
    counts = Counter(w for s in sentences for w in s if w not in SPECIALS)
    kept = sorted((kv for kv in counts.items() if kv[1] >= min_count), key=lambda kv: (-kv[1], kv[0]))
    vocab = {w: i for i, w in enumerate(SPECIALS)}
    for w, _ in kept:
        vocab[w] = len(vocab)
    return vocab


def encode(sentences, vocab, max_len):
    return [[vocab.get(w, UNK) for w in s[:max_len - 1]] for s in sentences]


def make_batch(ids):
    """Input [<sos>]+words, target words+[<eos>], both padded with <pad>."""
    lengths = torch.tensor([len(s) + 1 for s in ids], dtype=torch.int64)
    tb = int(lengths.max())
    inp = torch.zeros(len(ids), tb, dtype=torch.int64)
    tgt = torch.zeros(len(ids), tb, dtype=torch.int64)
    for i, s in enumerate(ids):
        t = torch.tensor(s, dtype=torch.int64)
        inp[i, 0] = SOS
        inp[i, 1:len(s) + 1] = t
        tgt[i, :len(s)] = t
        tgt[i, len(s)] = EOS
    return inp, tgt, lengths


class SentenceVAE(nn.Module):
    def __init__(self, vocab_size, embed, hidden, latent, word_dropout, embedding_dropout, categories=None):
        """latent: a Gaussian code's size; with categories, the number of
        categorical variables of that many classes (--latent categorical)."""
        super().__init__()
        self.word_dropout, self.categories, self.tau = word_dropout, categories, 1.0
        self.embedding = nn.Embedding(vocab_size, embed)
        self.encoder = nn.LSTM(embed, hidden, batch_first=True)
        if categories:
            self.logits = nn.Linear(hidden, latent * categories)
            latent *= categories
        else:
            self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.latent2hidden = nn.Linear(latent, hidden)
        self.emb_drop = nn.Dropout(embedding_dropout)
        self.decoder = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def losses(self, inp, tgt, lengths):
        """Summed (not averaged) NLL and KL over the batch."""
        packed = pack_padded_sequence(self.embedding(inp), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.encoder(packed)
        h = h_n[-1]
        # Sampled at test time too: the reported NLL is a one-sample estimate.
        if self.categories:
            logits = self.logits(h).view(h.shape[0], -1, self.categories)
            z = F.gumbel_softmax(logits, tau=self.tau).flatten(1)
            log_q = F.log_softmax(logits, -1)
            kl = (log_q.exp() * (log_q + math.log(self.categories))).sum()
        else:
            mu, logvar = self.mu(h), self.logvar(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        dec_in = inp
        if self.training and self.word_dropout > 0:
            drop = (torch.rand(inp.shape) < self.word_dropout) & (inp > EOS)
            dec_in = inp.masked_fill(drop, UNK)
        h0 = self.latent2hidden(z).unsqueeze(0)
        packed = pack_padded_sequence(self.emb_drop(self.embedding(dec_in)), lengths,
                                      batch_first=True, enforce_sorted=False)
        y, _ = self.decoder(packed, (h0, torch.zeros_like(h0)))
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=inp.shape[1])
        logits = self.out(y)
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                              ignore_index=PAD, reduction="sum")
        return nll, kl


def kl_weight(step, a):
    if a.anneal == "linear":
        return min(1.0, step / a.x0)
    t = a.k * (step - a.x0)
    # Two forms so neither exp can overflow for large |t|.
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="/work/shared/data/ptb/ptb.valid.txt")
    ap.add_argument("--test", default="/work/shared/data/ptb/ptb.test.txt")
    ap.add_argument("--lower", action="store_true")
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--max-len", type=int, default=60)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--embed", type=int, default=300)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--latent", default="16", help="a Gaussian code's size, or categorical")
    ap.add_argument("--variables", type=int, default=16, help="--latent categorical: variables")
    ap.add_argument("--categories", type=int, default=16, help="--latent categorical: classes of each")
    ap.add_argument("--word-dropout", type=float, default=0.0)
    ap.add_argument("--embedding-dropout", type=float, default=0.0)
    ap.add_argument("--anneal", choices=["logistic", "linear"], default="logistic")
    ap.add_argument("--k", type=float, default=0.0025)
    ap.add_argument("--x0", type=float, default=2500)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None, help="use at most N training and N test sentences")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    train_words = read_sentences(a.train, a.lower, a.limit)
    test_words = read_sentences(a.test, a.lower, a.limit)
    vocab = build_vocab(train_words, a.min_count)
    train, test = encode(train_words, vocab, a.max_len), encode(test_words, vocab, a.max_len)
    test_tokens = sum(len(s) + 1 for s in test)
    print(f"vocab {len(vocab)}, train sentences {len(train)}, test sentences {len(test)}, "
          f"test tokens {test_tokens}", file=sys.stderr, flush=True)

    categorical = a.latent == "categorical"
    model = SentenceVAE(len(vocab), a.embed, a.hidden, a.variables if categorical else int(a.latent), a.word_dropout,
                        a.embedding_dropout, a.categories if categorical else None)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    b = a.batch
    nb = len(train) // b
    step = 0
    print("epoch,train_loss,test_nll,test_kl,kl_weight,test_ppl,sentences_per_s", flush=True)
    for epoch in range(1, a.epochs + 1):
        order = rng.permutation(len(train))
        model.train()
        total, t0 = 0.0, time.perf_counter()
        for i in range(nb):
            inp, tgt, lengths = make_batch([train[j] for j in order[i * b:(i + 1) * b]])
            step += 1
            w = kl_weight(step, a)
            model.tau = max(0.5, math.exp(-3e-5 * step))  # graphs/sentence_vae.lua's schedule
            nll, kl = model.losses(inp, tgt, lengths)
            loss = (nll + w * kl) / b
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        seconds = time.perf_counter() - t0
        model.eval()
        sum_nll = sum_kl = 0.0
        with torch.no_grad():
            for i in range(0, len(test), b):
                nll, kl = model.losses(*make_batch(test[i:i + b]))
                sum_nll += nll.item()
                sum_kl += kl.item()
        n = len(test)
        ppl = math.exp((sum_nll + sum_kl) / test_tokens)
        cells = [total / nb if nb else float("nan"), sum_nll / n, sum_kl / n, kl_weight(step, a), ppl,
                 nb * b / seconds if nb else float("nan")]
        print(f"{epoch}," + ",".join(f"{v:.6g}" for v in cells), flush=True)


if __name__ == "__main__":
    main()
