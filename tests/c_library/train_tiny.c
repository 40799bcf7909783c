/* A C program on the installed library alone (no Lua): a small VAE-style
 * autoencoder learns to reconstruct 16-pixel patterns, then its parameters
 * and optimizer state go to a checkpoint, which a fresh graph loads and
 * evaluates to the same loss. Built by tests/c_library.sh with
 *   cc train_tiny.c $(pkg-config --cflags --libs vaegraph)
 * Prints "ok: ..." and exits 0 when every check holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <vaegraph/vaegraph.h>

enum { B = 64, D = 16, H = 32, Z = 4 };

static int fail(vg_graph *g, const char *what) {
  fprintf(stderr, "FAIL: %s: %s\n", what, g ? vg_graph_error(g) : "");
  exit(1);
}

/* One PyTorch-initialised linear layer, as vg.linear builds it. */
static int linear(vg_graph *g, int group, const char *name, int x, int in, int out, const char *act) {
  char w[64], b[64];
  snprintf(w, sizeof w, "%s.weight", name), snprintf(b, sizeof b, "%s.bias", name);
  const int64_t wd[2] = {out, in}, bd[1] = {out};
  const double bound = 1 / sqrt((double)in);
  const int ids[3] = {x, vg_param(g, group, w, vg_shape_of(2, wd), (vg_init){VG_INIT_KAIMING_UNIFORM, sqrt(5.0), 0}),
                      vg_param(g, group, b, vg_shape_of(1, bd), (vg_init){VG_INIT_UNIFORM, -bound, bound})};
  const int y = vg_node_add(g, VG_OP_LINEAR, name, 3, ids, act);
  if (y < 0) fail(g, name);
  return y;
}

/* The graph: x -> 32 relu -> mu, logvar -> z (reparam) -> 32 relu -> 16 logits;
 * loss = BCE(logits, x) + KL, both means over the batch. */
static vg_graph *build(int *x, int *loss, int *group) {
  vg_graph *g = vg_graph_new(7);
  const int64_t xd[2] = {B, D};
  *x = vg_input(g, "x", vg_shape_of(2, xd));
  *group = vg_group_new(g, "net");
  const int h = linear(g, *group, "enc", *x, D, H, "act=relu");
  const int mu = linear(g, *group, "mu", h, H, Z, NULL), logvar = linear(g, *group, "logvar", h, H, Z, NULL);
  const int ml[2] = {mu, logvar};
  const int z = vg_node_add(g, VG_OP_REPARAM, "z", 2, ml, NULL);
  const int out = linear(g, *group, "dec_out", linear(g, *group, "dec", z, Z, H, "act=relu"), H, D, NULL);
  const int rec_in[2] = {out, *x};
  const int rec = vg_node_add(g, VG_OP_BCE_LOGITS, "rec", 2, rec_in, "reduction=mean");
  const int kl = vg_node_add(g, VG_OP_KL_NORMAL, "kl", 2, ml, "reduction=mean");
  const int parts[2] = {rec, kl};
  *loss = vg_node_add(g, VG_OP_ADD, "loss", 2, parts, NULL);
  if (rec < 0 || kl < 0 || *loss < 0) fail(g, "loss");
  return g;
}

/* Four 16-pixel patterns (stripes and halves), one per example in turn. */
static void batch(float *x) {
  for (int i = 0; i < B; i++)
    for (int j = 0; j < D; j++) {
      const int k = i % 4;
      x[i * D + j] = (float)(k == 0 ? j % 2 : k == 1 ? j < D / 2 : k == 2 ? (j / 4) % 2 : j >= D / 2);
    }
}

int main(int argc, char **argv) {
  const char *ckpt = argc > 1 ? argv[1] : "tiny.safetensors";
  char err[1024];
  int x, loss, group;
  vg_graph *g = build(&x, &loss, &group);
  vg_plan *train;
  const vg_plan_spec spec = {.name = "train", .loss = loss, .update = &group, .nupdate = 1};
  if (vg_plan_compile(g, &spec, &train)) fail(g, "compile");
  vg_optim_conf conf = vg_optim_defaults(VG_OPTIM_ADAM);
  conf.lr = 1e-2;
  vg_optim *adam;
  if (vg_optim_new(g, &conf, &group, NULL, 1, &adam)) fail(g, "adam");
  double first = 0, last = 0;
  for (int step = 0; step < 400; step++) {
    batch(vg_input_fill(g, x));
    if (vg_plan_run(train, (uint64_t)step)) fail(g, "run");
    vg_optim_step(adam);
    const double l = vg_plan_value(train, loss)[0];
    if (step < 10) first += l / 10;
    if (step >= 390) last += l / 10;
  }
  printf("loss %.4f -> %.4f\n", first, last);
  if (!(last < 0.75 * first)) fail(NULL, "the loss did not fall by a quarter");

  const vg_phase_state phase = {"train", adam};
  const char *meta[] = {"script", "train_tiny.c"};
  if (vg_checkpoint_save(ckpt, g, &phase, 1, meta, 1, err, sizeof err)) {
    fprintf(stderr, "FAIL: save: %s\n", err);
    return 1;
  }
  /* The same step on the trained graph and on a fresh one loaded from the
   * checkpoint: the same loss, to the bit. */
  batch(vg_input_fill(g, x));
  if (vg_plan_run(train, 1000)) fail(g, "run");
  const float trained = vg_plan_value(train, loss)[0];

  int x2, loss2, group2;
  vg_graph *g2 = build(&x2, &loss2, &group2);
  vg_plan *train2;
  const vg_plan_spec spec2 = {.name = "train", .loss = loss2, .update = &group2, .nupdate = 1};
  if (vg_plan_compile(g2, &spec2, &train2)) fail(g2, "compile");
  vg_optim *adam2;
  if (vg_optim_new(g2, &conf, &group2, NULL, 1, &adam2)) fail(g2, "adam");
  const vg_phase_state phase2 = {"train", adam2};
  const char *keys[] = {"script"};
  char values[1][256];
  if (vg_checkpoint_load(ckpt, g2, &phase2, 1, keys, 1, values, err, sizeof err)) {
    fprintf(stderr, "FAIL: load: %s\n", err);
    return 1;
  }
  batch(vg_input_fill(g2, x2));
  if (vg_plan_run(train2, 1000)) fail(g2, "run");
  const float loaded = vg_plan_value(train2, loss2)[0];
  if (loaded != trained) {
    fprintf(stderr, "FAIL: loaded loss %.9g, trained %.9g\n", loaded, trained);
    return 1;
  }
  printf("ok: trained (loss %.4f -> %.4f), saved %s (script %s) and loaded it to the same loss %.6f\n", first, last,
         ckpt, values[0], loaded);
  vg_optim_free(adam), vg_optim_free(adam2);
  vg_plan_free(train), vg_plan_free(train2);
  vg_graph_free(g), vg_graph_free(g2);
  return 0;
}
