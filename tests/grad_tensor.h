/* Gradient-check cases and checks for the ops of tensors: broadcasting, reductions over axes, permute, tile, repeat, nearest codes.
 * Included by test_grad.c twice: with GRAD_CASES defined, inside its table
 * of cases (a case per line, as there); with GRAD_CHECKS defined, before its
 * main, for checks beyond the gradient (distributions, exact values):
 * tensor_checks(op) runs those of one op. */
#ifdef GRAD_CASES
    /* broadcasting: a value per example against every value of it, either side */
    {"add", 2, {"3,4,5", "3"}, {ANY, ANY}, "", 0},
    {"add", 2, {"3,1", "3,2,2"}, {ANY, ANY}, "", 0},
    {"add", 2, {"3,1", "3"}, {ANY, ANY}, "", 0},
    {"add", 2, {"64,515", "64"}, {ANY, ANY}, "", LARGE},
    {"add", 2, {"64,1", "64,8,65"}, {ANY, ANY}, "", LARGE},
    {"sub", 2, {"2,3,2", "2,3"}, {ANY, ANY}, "", 0},
    {"sub", 2, {"3", "3,5"}, {ANY, ANY}, "", 0},
    {"sub", 2, {"64,8,65", "64,8,1"}, {ANY, ANY}, "", LARGE},
    {"mul", 2, {"3,4", "3,1"}, {ANY, ANY}, "", 0},
    {"mul", 2, {"3", "3,2,2"}, {ANY, ANY}, "", 0},
    {"mul", 2, {"3,4,1,1", "3,4,2,3"}, {ANY, ANY}, "", 0},
    {"mul", 2, {"", "2,3"}, {ANY, ANY}, "", 0},
    {"mul", 2, {"64,515", "64"}, {ANY, ANY}, "", LARGE},
    {"mul", 2, {"64", "64,8,65"}, {ANY, ANY}, "", LARGE},
    {"scale", 1, {"3,7"}, {ANY}, "factor=-2.5 shift=0.75", 0},
    {"scale", 1, {"64,515"}, {ANY}, "factor=0.3 shift=1", LARGE},
    /* reductions over several axes: each kind of run (kept or removed) last */
    {"sum", 1, {"3,4,5"}, {ANY}, "axes=0,2", 0},
    {"sum", 1, {"2,3,4,5"}, {ANY}, "axes=-1,1", 0},
    {"sum", 1, {"2,3,1,4"}, {ANY}, "axes=2,3", 0},
    {"sum", 1, {"3,4"}, {ANY}, "axes=1,0", 0},
    {"sum", 1, {"64,8,65"}, {ANY}, "axes=0,2", LARGE},
    {"sum", 1, {"32,16,7,7"}, {ANY}, "axes=0,2,3", LARGE},
    {"mean", 1, {"2,3,4,5"}, {ANY}, "axes=0,2,3", 0},
    {"mean", 1, {"3,2,5"}, {ANY}, "axes=1,2", 0},
    {"mean", 1, {"4,3,2"}, {ANY}, "axes=0", 0},
    {"mean", 1, {"64,8,65"}, {ANY}, "axes=1,2", LARGE},
    {"mean", 1, {"8,64,65"}, {ANY}, "axes=0", LARGE},
    /* permute: per-example transposes (both ways), one transpose, a gather
     * with and without the last axis staying, size-1 axes, no move */
    {"permute", 1, {"2,3,4,5"}, {ANY}, "dims=0,2,3,1", 0},
    {"permute", 1, {"2,3,4,5"}, {ANY}, "dims=0,3,1,2", 0},
    {"permute", 1, {"2,3,4"}, {ANY}, "dims=2,0,1", 0},
    {"permute", 1, {"2,3,4,5"}, {ANY}, "dims=3,1,0,2", 0},
    {"permute", 1, {"2,3,4"}, {ANY}, "dims=1,0,2", 0},
    {"permute", 1, {"3,1,4,2"}, {ANY}, "dims=-1,1,0,2", 0},
    {"permute", 1, {"3,4"}, {ANY}, "dims=0,1", 0},
    {"permute", 1, {"32,16,7,7"}, {ANY}, "dims=0,2,3,1", LARGE},
    {"permute", 1, {"32,7,7,16"}, {ANY}, "dims=0,3,1,2", LARGE},
    {"permute", 1, {"200,300"}, {ANY}, "dims=1,0", LARGE},
    {"permute", 1, {"16,10,10,11"}, {ANY}, "dims=3,1,0,2", LARGE},
    {"permute", 1, {"64,8,40"}, {ANY}, "dims=1,0,2", LARGE},
    /* tile and repeat_interleave along the first, a middle and the last axis */
    {"tile", 1, {"2,3,4"}, {ANY}, "axis=1 times=3", 0},
    {"tile", 1, {"3,4"}, {ANY}, "axis=0 times=2", 0},
    {"tile", 1, {"2,3"}, {ANY}, "times=2", 0},
    {"tile", 1, {"64,515"}, {ANY}, "axis=0 times=2", LARGE},
    /* times from a second input's batch: [3,4] once per example of 5 */
    {"tile", 2, {"3,4", "5,2"}, {ANY, ANY}, "axis=0", 0},
    {"repeat_interleave", 2, {"3,4", "5,2"}, {ANY, ANY}, "axis=0", 0},
    {"tile", 1, {"64,8,65"}, {ANY}, "axis=1 times=3", LARGE},
    {"repeat_interleave", 1, {"2,3,4"}, {ANY}, "axis=1 times=3", 0},
    {"repeat_interleave", 1, {"3,4"}, {ANY}, "axis=0 times=2", 0},
    {"repeat_interleave", 1, {"2,3"}, {ANY}, "times=2", 0},
    {"repeat_interleave", 1, {"64,515"}, {ANY}, "axis=0 times=2", LARGE},
    {"repeat_interleave", 1, {"64,8,65"}, {ANY}, "axis=-1 times=3", LARGE},
    /* nearest_code: no gradient; float against double here, the values in
     * its own checks; the VQ-VAE's shape at 1 and 2 threads */
    {"nearest_code", 2, {"3,5,4", "7,4"}, {ANY, ANY}, "", 0},
    {"nearest_code", 2, {"128,7,7,16", "64,16"}, {ANY, ANY}, "", LARGE},
#endif

#ifdef GRAD_CHECKS
/* One node of an op over inputs of given shapes and values, run by the
 * double and the float kernels. The checks' values are small binary
 * fractions, so both builds must give exactly the expected numbers. */
typedef struct tnode {
  vg_graph *g;
  int id;
  bufs b;
} tnode;

static int tnode_make(tnode *t, const char *op, int nin, const char *const shapes[], const char *attrs) {
  gcase c = {op, nin, {0}, {0}, attrs, 0};
  t->g = vg_graph_new(SEED);
  int in[VG_MAX_IN];
  for (int k = 0; k < nin; k++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", k + 1);
    c.shapes[k] = shapes[k];
    in[k] = vg_input(t->g, name, parse_shape(shapes[k]));
  }
  t->id = vg_node_add(t->g, vg_op_find(op), "node", nin, in, attrs);
  CHECK(t->id >= 0, "%s [%s]: cannot build: %s", op, attrs, vg_graph_error(t->g));
  if (t->id < 0) {
    vg_graph_free(t->g);
    return 0;
  }
  bufs_make(&t->b, t->g, &t->g->nodes[t->id], &c);
  return 1;
}

static void tnode_set(tnode *t, int k, const double *v) {
  for (int64_t i = 0; i < t->b.nx[k]; i++) t->b.xf[k][i] = (float)(t->b.x[k][i] = v[i]);
}

/* Forward, and with dy the backward into zeroed gradients; the float
 * results must equal the double ones bit for bit. */
static void tnode_run(tnode *t, const double *dy) {
  const vg_node *n = &t->g->nodes[t->id];
  bufs *b = &t->b;
  if (dy)
    for (int64_t i = 0; i < b->ny; i++) b->rf[i] = (float)(b->r[i] = dy[i]);
  for (int k = 0; k < b->nin; k++) {
    memset(b->dx[k], 0, (size_t)b->nx[k] * sizeof(double));
    memset(b->dxf[k], 0, (size_t)b->nx[k] * sizeof(float));
  }
  vg_kernel_f64 k64 = kernel64(t->g, n, t->id, b);
  vg_kernel_f32 k32 = kernel32(t->g, n, t->id, b);
  vg_ops_f64[n->op]->forward(&k64), vg_ops_f32[n->op]->forward(&k32);
  if (dy && vg_ops_f64[n->op]->backward) vg_ops_f64[n->op]->backward(&k64), vg_ops_f32[n->op]->backward(&k32);
  int bad = 0;
  for (int64_t i = 0; i < b->ny; i++) bad += b->y[i] != (double)b->yf[i] && !(isnan(b->y[i]) && isnan(b->yf[i]));
  for (int k = 0; dy && k < b->nin; k++)
    for (int64_t i = 0; i < b->nx[k]; i++) bad += b->dx[k][i] != (double)b->dxf[k][i];
  CHECK(bad == 0, "%s: %d float results differ from the double ones", vg_ops_f64[n->op]->name, bad);
}

static void tnode_free(tnode *t) {
  bufs_free(&t->b);
  vg_graph_free(t->g);
}

/* The graph's error after adding one node, or "" if it was accepted. */
static const char *tensor_refusal(vg_graph *g, const char *op, int nin, const char *const shapes[], const char *attrs) {
  int in[VG_MAX_IN];
  vg_graph_set_where(g, "vq.lua:7");
  for (int k = 0; k < nin; k++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", k + 1);
    in[k] = vg_node_find(g, name);
    if (in[k] < 0) in[k] = vg_input(g, name, parse_shape(shapes[k]));
  }
  return vg_node_add(g, vg_op_find(op), "node", nin, in, attrs) >= 0 ? "" : vg_graph_error(g);
}

/* add, sub, mul of a [2,3] and a value per example ([2] or [2,1]), in
 * both orders, against the sums worked by hand: the output, the big side's
 * gradient elementwise, and the small side's summed over its example. */
static void check_broadcast(const char *op) {
  const int o = !strcmp(op, "add") ? 0 : !strcmp(op, "sub") ? 1 : 2;
  const double a[6] = {1, 2, 3, 4, 5, 6}, w[2] = {10, 0.5}, dy[6] = {1, -2, 0.5, 3, 0.25, -1};
  for (int small_first = 0; small_first < 2; small_first++)
    for (int col = 0; col < 2; col++) {
      const char *big = "2,3", *small = col ? "2,1" : "2";
      const char *shapes[2] = {small_first ? small : big, small_first ? big : small};
      tnode t;
      if (!tnode_make(&t, op, 2, shapes, "")) continue;
      CHECK(t.g->nodes[t.id].shape.nd == 2 && t.g->nodes[t.id].shape.d[1] == 3, "%s %s %s: output is not [2,3]", op,
            shapes[0], shapes[1]);
      tnode_set(&t, small_first ? 1 : 0, a), tnode_set(&t, small_first ? 0 : 1, w);
      tnode_run(&t, dy);
      const int bi = small_first ? 1 : 0, si = 1 - bi;
      double dsmall[2] = {0, 0};
      for (int i = 0; i < 6; i++) {
        const int r = i / 3;
        const double l = small_first ? w[r] : a[i], rt = small_first ? a[i] : w[r];
        const double want = o == 0 ? l + rt : o == 1 ? l - rt : l * rt;
        /* d/d big and d/d small of (l op rt), for the element's dy */
        const double sign_big = o == 1 && small_first ? -1 : 1, sign_small = o == 1 && !small_first ? -1 : 1;
        const double dbig = dy[i] * (o == 2 ? w[r] : sign_big);
        dsmall[r] += dy[i] * (o == 2 ? a[i] : sign_small);
        CHECK(t.b.y[i] == want, "%s(%s, %s): y[%d] = %g, want %g", op, shapes[0], shapes[1], i, t.b.y[i], want);
        CHECK(t.b.dx[bi][i] == dbig, "%s(%s, %s): gradient of the [2,3] side at %d = %g, want %g", op, shapes[0],
              shapes[1], i, t.b.dx[bi][i], dbig);
      }
      for (int r = 0; r < 2; r++)
        CHECK(t.b.dx[si][r] == dsmall[r], "%s(%s, %s): gradient of the per-example side at %d = %g, want %g", op,
              shapes[0], shapes[1], r, t.b.dx[si][r], dsmall[r]);
      tnode_free(&t);
    }
  /* What does not broadcast is refused, naming both inputs and shapes. */
  vg_graph *g = vg_graph_new(SEED);
  const char *bad[2] = {"2,3", "3"};
  char want[256];
  snprintf(want, sizeof want,
           "vq.lua:7: %s 'node': 'x1' [2,3] and 'x2' [3] do not broadcast (the shapes must be equal, or one, without "
           "its trailing 1s, must begin the other: [B] or [B,1] against [B,C,H,W])",
           op);
  const char *got = tensor_refusal(g, op, 2, bad, "");
  CHECK(strcmp(got, want) == 0, "got: %s", got);
  vg_graph_free(g);
  printf("  %-14s broadcasting by hand, both orders; [2,3] against [3] refused\n", op);
}

/* scale's shift: factor x + shift exactly, and -0 stays -0 without one. */
static void check_scale(void) {
  const char *shapes[1] = {"4"};
  const double x[4] = {1, -2, 0.5, -0.0}, dy[4] = {1, 2, 3, 4};
  tnode t;
  if (!tnode_make(&t, "scale", 1, shapes, "factor=2 shift=-1")) return;
  tnode_set(&t, 0, x);
  tnode_run(&t, dy);
  for (int i = 0; i < 4; i++) {
    CHECK(t.b.y[i] == 2 * x[i] - 1, "scale: y[%d] = %g, want %g", i, t.b.y[i], 2 * x[i] - 1);
    CHECK(t.b.dx[0][i] == 2 * dy[i], "scale: dx[%d] = %g, want %g", i, t.b.dx[0][i], 2 * dy[i]);
  }
  tnode_free(&t);
  if (!tnode_make(&t, "scale", 1, shapes, "factor=3")) return;
  tnode_set(&t, 0, x);
  tnode_run(&t, NULL);
  CHECK(signbit(t.b.y[3]) && t.b.y[0] == 3, "scale without shift: 3 * -0 = %g", t.b.y[3]);
  tnode_free(&t);
  printf("  scale          factor x + shift by hand\n");
}

/* sum and mean over axes: exact values on whole numbers against a plain
 * loop over every element, for each subset of the axes of a [2,4,1,2]
 * (given as axes, with negative ones too; sizes powers of 2, so that a
 * mean is exact in float too); axis and axes agree; bad axes are refused
 * with what is wrong. */
static void check_reduce_axes(const char *op) {
  const int mean = !strcmp(op, "mean");
  const int64_t d[4] = {2, 4, 1, 2};
  double x[16];
  for (int i = 0; i < 16; i++) x[i] = (double)((i * 7) % 11) - 5;
  const char *shapes[1] = {"2,4,1,2"};
  for (unsigned mask = 1; mask < 16; mask++) {
    char attrs[64] = "axes=";
    for (int a = 0, first = 1; a < 4; a++)
      if (mask >> a & 1) {
        /* name every other axis from the end */
        snprintf(attrs + strlen(attrs), sizeof attrs - strlen(attrs), "%s%d", first ? "" : ",", a % 2 ? a - 4 : a);
        first = 0;
      }
    tnode t;
    if (!tnode_make(&t, op, 1, shapes, attrs)) continue;
    tnode_set(&t, 0, x);
    double dy[16];
    for (int i = 0; i < 16; i++) dy[i] = i - 3;
    tnode_run(&t, dy);
    /* every element to its output, as a plain loop does */
    double want[16] = {0}, count = 1;
    for (int a = 0; a < 4; a++)
      if (mask >> a & 1) count *= (double)d[a];
    int bad = 0;
    for (int i = 0; i < 16; i++) {
      int64_t rest = i, o = 0, mul = 1;
      for (int a = 3; a >= 0; a--) {
        const int64_t at = rest % d[a];
        rest /= d[a];
        if (!(mask >> a & 1)) o += at * mul, mul *= d[a];
      }
      want[o] += x[i];
      const double g = dy[o] * (mean ? 1 / count : 1);
      bad += t.b.dx[0][i] != g;
    }
    for (int64_t o = 0; o < t.b.ny; o++) bad += t.b.y[o] != want[o] / (mean ? count : 1);
    CHECK(bad == 0, "%s [%s]: %d values or gradients differ from the plain loop", op, attrs, bad);
    tnode_free(&t);
  }
  /* axes = {1} is axis = 1 */
  tnode t1, t2;
  if (tnode_make(&t1, op, 1, shapes, "axes=1") && tnode_make(&t2, op, 1, shapes, "axis=1")) {
    tnode_set(&t1, 0, x), tnode_set(&t2, 0, x);
    tnode_run(&t1, NULL), tnode_run(&t2, NULL);
    CHECK(memcmp(t1.b.yf, t2.b.yf, (size_t)t1.b.ny * sizeof(float)) == 0, "%s: axes=1 and axis=1 differ", op);
    tnode_free(&t1), tnode_free(&t2);
  }
  static const struct {
    const char *attrs, *want;
  } bad[] = {
      {"axes=1,-2", "axes [1,-2] name axis 1 of 'x1' [2,3,4] twice"},
      {"axes=1,1", "axes [1,1] name axis 1 of 'x1' [2,3,4] twice"},
      {"axes=0,3", "axes [0,3]: axis 3 is out of range for 'x1' [2,3,4] (axes -3..2)"},
      {"axes=-4", "axes [-4]: axis -4 is out of range for 'x1' [2,3,4] (axes -3..2)"},
      {"axis=1 axes=2", "give axis or axes, not both (axis 1, axes [2])"},
  };
  vg_graph *g = vg_graph_new(SEED);
  const char *sh[1] = {"2,3,4"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char want[256];
    snprintf(want, sizeof want, "vq.lua:7: %s 'node': %s", op, bad[i].want);
    const char *got = tensor_refusal(g, op, 1, sh, bad[i].attrs);
    CHECK(strcmp(got, want) == 0, "%s [%s]: got: %s", op, bad[i].attrs, got);
  }
  vg_graph_free(g);
  printf("  %-14s every subset of axes against a plain loop; bad axes refused\n", op);
}

/* permute against moving each index by hand, for all 24 orders of two
 * 4-D shapes (one with a size-1 axis, one whose per-example transposes
 * span several tiles), given with negative axes for every other order:
 * the output, the gradient (dy moved back), and permuting back by the
 * inverse gives x again. Bad dims are refused. */
static void check_permute(void) {
  const char *const shapes[] = {"2,3,1,4", "3,16,7,7"};
  int orders = 0;
  for (int si = 0; si < 2; si++) {
    const vg_shape s = parse_shape(shapes[si]);
    const int64_t n = vg_shape_numel(&s);
    double *x = alloc0((size_t)n * sizeof(double)), *dy = alloc0((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) x[i] = (double)i, dy[i] = (double)(n - 3 * i);
    for (int code = 0; code < 256; code++) {
      const int p[4] = {code & 3, code >> 2 & 3, code >> 4 & 3, code >> 6 & 3};
      if ((1 << p[0] | 1 << p[1] | 1 << p[2] | 1 << p[3]) != 15) continue;
      int inv[4];
      for (int i = 0; i < 4; i++) inv[p[i]] = i;
      char attrs[64], back[64], outs[64];
      const int neg = orders++ % 2;
      snprintf(attrs, sizeof attrs, "dims=%d,%d,%d,%d", p[0] - 4 * neg, p[1], p[2] - 4 * neg, p[3]);
      snprintf(back, sizeof back, "dims=%d,%d,%d,%d", inv[0], inv[1], inv[2], inv[3]);
      snprintf(outs, sizeof outs, "%lld,%lld,%lld,%lld", (long long)s.d[p[0]], (long long)s.d[p[1]],
               (long long)s.d[p[2]], (long long)s.d[p[3]]);
      const char *in1[1] = {shapes[si]}, *in2[1] = {outs};
      tnode t, u;
      if (!tnode_make(&t, "permute", 1, in1, attrs)) continue;
      tnode_set(&t, 0, x);
      tnode_run(&t, dy);
      int bad = 0;
      for (int64_t i = 0; i < n; i++) { /* i indexes y; at[] is its position */
        int64_t at[4], rest = i, src = 0;
        for (int a = 3; a >= 0; a--) at[a] = rest % s.d[p[a]], rest /= s.d[p[a]];
        int64_t xat[4];
        for (int a = 0; a < 4; a++) xat[p[a]] = at[a];
        for (int a = 0; a < 4; a++) src = src * s.d[a] + xat[a];
        bad += t.b.y[i] != x[src] || t.b.dx[0][src] != dy[i];
      }
      CHECK(bad == 0, "permute %s [%s]: %d values or gradients misplaced", shapes[si], attrs, bad);
      if (tnode_make(&u, "permute", 1, in2, back)) {
        tnode_set(&u, 0, t.b.y);
        tnode_run(&u, NULL);
        CHECK(memcmp(u.b.y, x, (size_t)n * sizeof(double)) == 0, "permute %s [%s] then [%s] is not x", shapes[si], attrs, back);
        tnode_free(&u);
      }
      tnode_free(&t);
    }
    free(x), free(dy);
  }
  static const struct {
    const char *attrs, *want;
  } bad[] = {
      {"", "dims [] must order all 3 axes of 'x1' [2,3,4]"},
      {"dims=1,0", "dims [1,0] must order all 3 axes of 'x1' [2,3,4]"},
      {"dims=0,2,-1", "dims [0,2,-1] name axis 2 of 'x1' [2,3,4] twice"},
      {"dims=0,3,1", "dims [0,3,1]: axis 3 is out of range for 'x1' [2,3,4] (axes -3..2)"},
  };
  vg_graph *g = vg_graph_new(SEED);
  const char *sh[1] = {"2,3,4"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char want[256];
    snprintf(want, sizeof want, "vq.lua:7: permute 'node': %s", bad[i].want);
    const char *got = tensor_refusal(g, "permute", 1, sh, bad[i].attrs);
    CHECK(strcmp(got, want) == 0, "permute [%s]: got: %s", bad[i].attrs, got);
  }
  vg_graph_free(g);
  printf("  permute        %d orders by hand, there and back; bad dims refused\n", orders);
}

/* tile and repeat_interleave of [[1,2,3],[4,5,6]] along each axis, the
 * layouts and the gradients (the copies' dy added) written out. */
static void check_copies(const char *op) {
  const int tile = !strcmp(op, "tile");
  const double x[6] = {1, 2, 3, 4, 5, 6}, dy[12] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};
  static const struct {
    const char *attrs, *out;
    double tile[12], repeat[12];
  } cases[] = {
      {"axis=1 times=2", "2,6", {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}, {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6}},
      {"axis=0 times=2", "4,3", {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}},
      {"axis=-2 times=2", "4,3", {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}},
  };
  const char *in[1] = {"2,3"};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    tnode t;
    if (!tnode_make(&t, op, 1, in, cases[c].attrs)) continue;
    char got[VG_SHAPE_STRLEN], want[VG_SHAPE_STRLEN];
    snprintf(want, sizeof want, "[%s]", cases[c].out);
    vg_shape_str(&t.g->nodes[t.id].shape, got, sizeof got);
    CHECK(strcmp(got, want) == 0, "%s [%s]: shape %s, want %s", op, cases[c].attrs, got, want);
    tnode_set(&t, 0, x);
    tnode_run(&t, dy);
    const double *w = tile ? cases[c].tile : cases[c].repeat;
    double dx[6] = {0};
    for (int i = 0; i < 12; i++) {
      CHECK(t.b.y[i] == w[i], "%s [%s]: y[%d] = %g, want %g", op, cases[c].attrs, i, t.b.y[i], w[i]);
      dx[(int)w[i] - 1] += dy[i]; /* each value's copies: where its value shows */
    }
    for (int i = 0; i < 6; i++)
      CHECK(t.b.dx[0][i] == dx[i], "%s [%s]: dx[%d] = %g, want %g", op, cases[c].attrs, i, t.b.dx[0][i], dx[i]);
    tnode_free(&t);
  }
  vg_graph *g = vg_graph_new(SEED);
  char want[256];
  const char *got = tensor_refusal(g, op, 1, in, "axis=1");
  snprintf(want, sizeof want, "vq.lua:7: %s 'node': times must be a whole number >= 1, got 0", op);
  CHECK(strcmp(got, want) == 0, "%s without times: got: %s", op, got);
  got = tensor_refusal(g, op, 1, in, "axis=2 times=2");
  snprintf(want, sizeof want, "vq.lua:7: %s 'node': axis 2 out of range for 'x1' [2,3]", op);
  CHECK(strcmp(got, want) == 0, "%s axis=2: got: %s", op, got);
  vg_graph_free(g);
  printf("  %-14s layouts and gradients by hand; no times, bad axis refused\n", op);
}

/* The first nearest row of e [K, D] to z [D], by the definition, in double. */
static int64_t brute_nearest(const double *z, const double *e, int64_t K, int64_t D, double *best, double *second) {
  int64_t arg = 0;
  *best = *second = INFINITY;
  for (int64_t c = 0; c < K; c++) {
    double d2 = 0;
    for (int64_t d = 0; d < D; d++) d2 += (z[d] - e[c * D + d]) * (z[d] - e[c * D + d]);
    if (d2 < *best) *second = *best, *best = d2, arg = c;
    else if (d2 < *second) *second = d2;
  }
  return arg;
}

/* nearest_code against brute force: exact ties on a grid of codes (a
 * duplicate code past GEMM's 16-column tile; midpoints between codes), the
 * first of them chosen, in float and double alike; random data in blocks
 * of rows (more than one GEMM block) where only a near tie may go either
 * way in float; a NaN shows; shapes refused; and no gradient reaches the
 * codebook. */
static void check_nearest_code(void) {
  /* codes on a 5 x 4 grid (c % 5, c / 5, 0); code 17 repeats code 3 */
  enum { K = 20, D = 3 };
  double e[K * D];
  for (int c = 0; c < K; c++) e[c * D] = c % 5, e[c * D + 1] = c / 5, e[c * D + 2] = 0;
  e[17 * D] = 3, e[17 * D + 1] = 0;
  const double z[] = {3, 0, 0, /* on code 3 and its copy 17: 3 */
                      0.5, 0, 0, /* between codes 0 and 1: 0 */
                      1.5, 1, 0.25, /* between 6 and 7: 6 */
                      4, 2.5, -1, /* between 14 and 19: 14 */
                      2.5, 2.5, 0, /* three codes at once (12, 13, 18; 17 moved): 12 */
                      -7, 9, 2}; /* far off the grid: 15 */
  const double want[] = {3, 0, 6, 14, 12, 15};
  const char *shapes[2] = {"2,3,3", "20,3"};
  tnode t;
  if (tnode_make(&t, "nearest_code", 2, shapes, "")) {
    tnode_set(&t, 0, z), tnode_set(&t, 1, e);
    tnode_run(&t, NULL);
    for (int i = 0; i < 6; i++) {
      double best, second;
      const int64_t b = brute_nearest(z + i * D, e, K, D, &best, &second);
      CHECK(b == (int64_t)want[i], "brute force gives %lld for row %d, the test wants %g", (long long)b, i, want[i]);
      CHECK(t.b.y[i] == want[i], "nearest_code row %d: %g, want %g (the first of the nearest)", i, t.b.y[i], want[i]);
    }
    /* a NaN in z gives NaN, not a code */
    double zn[18];
    memcpy(zn, z, sizeof zn);
    zn[4] = NAN;
    tnode_set(&t, 0, zn);
    tnode_run(&t, NULL);
    CHECK(isnan(t.b.y[1]) && t.b.y[0] == 3 && t.b.y[2] == 6, "nearest_code with a NaN in row 1: %g %g %g", t.b.y[0],
          t.b.y[1], t.b.y[2]);
    tnode_free(&t);
  }
  /* random: 4200 rows of 16 against 64 codes (GEMM blocks of 4096 rows) */
  const char *rshapes[2] = {"2,2100,16", "64,16"};
  if (tnode_make(&t, "nearest_code", 2, rshapes, "")) {
    const int64_t R = 4200, RK = 64, RD = 16;
    double *zr = alloc0((size_t)(R * RD) * sizeof(double)), er[64 * 16];
    for (int64_t i = 0; i < R * RD; i++) zr[i] = vg_rng_normal(SEED, 11, 0, (uint64_t)i);
    for (int64_t i = 0; i < RK * RD; i++) er[i] = vg_rng_normal(SEED, 11, 1, (uint64_t)i);
    tnode_set(&t, 0, zr), tnode_set(&t, 1, er);
    vg_kernel_f64 k64 = kernel64(t.g, &t.g->nodes[t.id], t.id, &t.b);
    vg_kernel_f32 k32 = kernel32(t.g, &t.g->nodes[t.id], t.id, &t.b);
    vg_ops_f64[VG_OP_NEAREST_CODE]->forward(&k64), vg_ops_f32[VG_OP_NEAREST_CODE]->forward(&k32);
    int wrong64 = 0, wrong32 = 0, near = 0;
    for (int64_t i = 0; i < R; i++) {
      double best, second;
      const int64_t b = brute_nearest(zr + i * RD, er, RK, RD, &best, &second);
      wrong64 += t.b.y[i] != (double)b;
      if (t.b.yf[i] == (float)b) continue;
      /* float may pick another code only if it is as near, to float's precision */
      double chosen = 0;
      const int64_t c = (int64_t)t.b.yf[i];
      for (int64_t d = 0; d < RD; d++) chosen += (zr[i * RD + d] - er[c * RD + d]) * (zr[i * RD + d] - er[c * RD + d]);
      if (chosen - best <= 1e-5 * (1 + best)) near++;
      else wrong32++;
    }
    CHECK(wrong64 == 0, "nearest_code (double): %d of %lld rows differ from brute force", wrong64, (long long)R);
    CHECK(wrong32 == 0, "nearest_code (float): %d of %lld rows pick a code farther than the nearest", wrong32, (long long)R);
    CHECK(near <= 2, "nearest_code (float): %d rows differ from brute force on near ties", near);
    free(zr);
    tnode_free(&t);
  }
  static const struct {
    const char *z, *e, *want;
  } bad[] = {
      {"4,3", "20,3,1", "codebook 'x2' must be [codes, dim], got [20,3,1]"},
      {"4,3", "20,4", "'x1' [4,3] must end in the codebook's dim 4 (codebook 'x2' [20,4])"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    vg_graph *g = vg_graph_new(SEED);
    const char *sh[2] = {bad[i].z, bad[i].e};
    char want[256];
    snprintf(want, sizeof want, "vq.lua:7: nearest_code 'node': %s", bad[i].want);
    const char *got = tensor_refusal(g, "nearest_code", 2, sh, "");
    CHECK(strcmp(got, want) == 0, "nearest_code %s, %s: got: %s", bad[i].z, bad[i].e, got);
    vg_graph_free(g);
  }
  /* A codebook that reaches the loss only through the ids gets no gradient. */
  vg_graph *g = vg_graph_new(SEED);
  const int grp = vg_group_new(g, "codes");
  const int zin = vg_input(g, "z", parse_shape("4,3"));
  const int cb = vg_param(g, grp, "codebook", parse_shape("5,3"), (vg_init){VG_INIT_NORMAL, 0, 1});
  const int in[2] = {zin, cb};
  const int ids = vg_node_add(g, VG_OP_NEAREST_CODE, "ids", 2, in, NULL);
  const int loss = vg_node_add(g, VG_OP_SUM, "loss", 1, &ids, NULL);
  CHECK(loss >= 0, "%s", vg_graph_error(g));
  vg_plan *p = NULL;
  vg_plan_spec spec = {.name = "train", .loss = loss, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &spec, &p) == VG_ERR_GRAPH, "a codebook behind nearest_code compiled");
  CHECK_CONTAINS(vg_graph_error(g), "parameter 'codebook' (group 'codes') reaches loss 'loss' only through");
  vg_graph_free(g);
  printf("  nearest_code   ties, random rows and NaN against brute force; bad shapes refused; no gradient\n");
}

static void tensor_checks(const char *op) {
  if (!strcmp(op, "add") || !strcmp(op, "sub") || !strcmp(op, "mul")) check_broadcast(op);
  if (!strcmp(op, "scale")) check_scale();
  if (!strcmp(op, "sum") || !strcmp(op, "mean")) check_reduce_axes(op);
  if (!strcmp(op, "permute")) check_permute();
  if (!strcmp(op, "tile") || !strcmp(op, "repeat_interleave")) check_copies(op);
  if (!strcmp(op, "nearest_code")) check_nearest_code();
}
#endif
