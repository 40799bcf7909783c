/* Seed corpora for the fuzz targets: small valid files of every kind each
 * reader takes, written with vaegraph's own writers where it has one, so
 * the fuzzer starts from inputs that reach the end of a successful read.
 *   fuzz_seeds OUT    writes OUT/<target>/<name> for every target
 * Inputs of targets whose first byte picks options (text, csv, ratings,
 * cli) come with several choices of that byte. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "fuzz_graph.h"
#include "graph.h"
#include "idx.h"
#include "pngfile.h"
#include "safetensors.h"

static const char *out;

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "fuzz_seeds: %s: %s\n", what, detail);
  exit(1);
}

static const char *path_of(const char *target, const char *name) {
  static char p[4096];
  snprintf(p, sizeof p, "%s/%s", out, target);
  if (mkdir(p, 0777) != 0 && errno != EEXIST) fail(p, strerror(errno));
  snprintf(p, sizeof p, "%s/%s/%s", out, target, name);
  return p;
}

static void put(const char *target, const char *name, const void *data, size_t n) {
  const char *p = path_of(target, name);
  FILE *f = fopen(p, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) fail(p, strerror(errno));
}

/* A text seed preceded by its option byte. */
static void put_with(const char *target, const char *name, unsigned char pick, const char *text) {
  size_t n = strlen(text);
  unsigned char *b = malloc(n + 1);
  if (!b) fail(name, "out of memory");
  b[0] = pick;
  memcpy(b + 1, text, n);
  put(target, name, b, n + 1);
  free(b);
}

static void put_gzip(const char *target, const char *name, const void *data, size_t n) {
  const char *p = path_of(target, name);
  gzFile g = gzopen(p, "wb9");
  if (!g || gzwrite(g, data, (unsigned)n) != (int)n || gzclose(g) != Z_OK) fail(p, "cannot write gzip");
}

static void idx_seeds(void) {
  static uint8_t images[3 * 4 * 5], labels[3] = {7, 0, 9}, cube[2 * 2 * 3 * 2];
  for (size_t i = 0; i < sizeof images; i++) images[i] = (uint8_t)(i * 37);
  for (size_t i = 0; i < sizeof cube; i++) cube[i] = (uint8_t)(255 - i);
  const vg_idx files[] = {
      {3, {3, 4, 5}, images, sizeof images},
      {1, {3}, labels, sizeof labels},
      {2, {3, 20}, images, sizeof images},
      {4, {2, 2, 3, 2}, cube, sizeof cube},
  };
  const char *names[] = {"images-idx3-ubyte", "labels-idx1-ubyte", "rows-idx2-ubyte", "cube-idx4-ubyte"};
  char err[512];
  for (int k = 0; k < 4; k++) {
    /* Written by the runtime's writer, then copied raw and compressed. */
    const char *p = path_of("fuzz_idx", names[k]);
    if (vg_idx_write(p, &files[k], err, sizeof err)) fail(p, err);
    FILE *f = fopen(p, "rb");
    uint8_t buf[256];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (!f || n == 0) fail(p, "cannot read back");
    fclose(f);
    put("fuzz_idx_gzip", names[k], buf, n);
    char gz[64];
    snprintf(gz, sizeof gz, "%s.gz", names[k]);
    put_gzip("fuzz_idx", gz, buf, n);
  }
}

static void safetensors_seeds(void) {
  static const double f64[3] = {1.5, -2.25, 1e300};
  static const int64_t i64[2] = {42, -7};
  static const float f32[2][3] = {{0.5f, 1, 2}, {-3, 4e-3f, 5}};
  static const uint8_t u8[5] = {0, 1, 2, 254, 255};
  const vg_st_tensor several[] = {
      {"enc.weight", VG_F64, {1, {3}}, f64},
      {"step", VG_I64, {2, {2, 1}}, i64},
      {"dec.fc1.bias", VG_F32, {2, {2, 3}}, f32},
      {"mask", VG_U8, {1, {5}}, u8},
  };
  const char *meta[] = {"format", "vaegraph", "seed", "1", "note", "\xc3\xa9t\xc3\xa9 \"quoted\"\n"};
  const vg_st_tensor edge[] = {
      {"scalar", VG_F64, {0, {0}}, f64},
      {"empty", VG_F32, {2, {0, 4}}, NULL},
      {"\xe2\x9c\x93 name", VG_U8, {5, {1, 1, 1, 1, 2}}, u8},
  };
  char err[512];
  const char *p = path_of("fuzz_safetensors", "several.safetensors");
  if (vg_st_write(p, several, 4, meta, 3, err, sizeof err)) fail(p, err);
  p = path_of("fuzz_safetensors", "edge.safetensors");
  if (vg_st_write(p, edge, 3, NULL, 0, err, sizeof err)) fail(p, err);
  p = path_of("fuzz_safetensors", "meta_only.safetensors");
  if (vg_st_write(p, NULL, 0, meta, 1, err, sizeof err)) fail(p, err);
  /* One written by hand as other writers do it: tensors out of offset
   * order in the header, no padding. */
  static const char hand[] = "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
                             "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}";
  uint8_t buf[256] = {0};
  const size_t hl = sizeof hand - 1;
  buf[0] = (uint8_t)hl;
  memcpy(buf + 8, hand, hl);
  memcpy(buf + 8 + hl, "\x00\x00\x80\x3f\x01\x02", 6);
  put("fuzz_safetensors", "by_hand.safetensors", buf, 8 + hl + 6);
}

/* The kinds vg_png_write does not make, through libpng: every colour type,
 * bit depths 1 to 16, palettes, tRNS and interlacing, which the reader
 * reduces to 8-bit gray or RGB. */
static void png_kind(const char *name, int w, int h, int depth, int type, int interlace, int trns) {
  const char *p = path_of("fuzz_png", name);
  FILE *f = fopen(p, "wb");
  if (!f) fail(p, strerror(errno));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info || setjmp(png_jmpbuf(png))) fail(p, "libpng could not write it");
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_color palette[16];
  for (int i = 0; i < 16; i++) palette[i] = (png_color){(png_byte)(i * 16), (png_byte)(255 - i * 9), (png_byte)(i * 5)};
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, palette, 16);
  if (trns) {
    png_byte alpha[2] = {0, 128};
    png_color_16 colour = {0, 1, 2, 3, 1};
    png_set_tRNS(png, info, alpha, type == PNG_COLOR_TYPE_PALETTE ? 2 : 0, &colour);
  }
  png_write_info(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  png_bytep row = malloc(rowbytes);
  if (!row) fail(p, "out of memory");
  const int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; pass++)
    for (int y = 0; y < h; y++) {
      /* Palette indices (1 or 2 to a byte) stay below the palette's 16. */
      for (size_t i = 0; i < rowbytes; i++) row[i] = (png_byte)(type != PNG_COLOR_TYPE_PALETTE ? i * 31 + y * 7 : (i + y) % 2 * (depth == 8 ? 1 : 0x11));
      png_write_row(png, row);
    }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  free(row);
  if (fclose(f) != 0) fail(p, strerror(errno));
}

static void png_seeds(void) {
  png_kind("palette4.png", 5, 3, 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, 1);
  png_kind("palette8_interlaced.png", 9, 9, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_ADAM7, 0);
  png_kind("grey1.png", 11, 2, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, 0);
  png_kind("grey2_trns.png", 6, 2, 2, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, 1);
  png_kind("grey16_interlaced.png", 3, 5, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, 0);
  png_kind("grey_alpha8.png", 4, 3, 8, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, 0);
  png_kind("grey_alpha16.png", 2, 2, 16, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, 0);
  png_kind("rgb16_trns.png", 3, 2, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, 1);
  png_kind("rgba8.png", 4, 4, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, 0);
  png_kind("rgba16_interlaced.png", 5, 4, 16, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_ADAM7, 0);
  uint8_t px[4 * 5 * 3];
  for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 29 + 3);
  char err[512];
  const char *p = path_of("fuzz_png", "grey.png");
  if (vg_png_write(p, 5, 3, 1, px, err, sizeof err)) fail(p, err);
  p = path_of("fuzz_png", "colour.png");
  if (vg_png_write(p, 4, 5, 3, px, err, sizeof err)) fail(p, err);
  p = path_of("fuzz_png", "one.png");
  if (vg_png_write(p, 1, 1, 1, px, err, sizeof err)) fail(p, err);
}

static void text_seeds(void) {
  static const char ptb[] =
      " aer banknote berlitz calloway centrust cluett fromstein gitano guterman\n"
      " pierre <unk> N years old will join the board as a nonexecutive director nov. N\n"
      " mr. <unk> is chairman of <unk> n.v. the dutch publishing group\n"
      "\n"
      " the board will meet in N and the chairman of the board will say N words\n"
      " The Dutch group said it WILL join\tthe board\r\n";
  /* lower 0/1, min_count 1/2, batches 1..32, max_len 2..INT_MAX */
  put_with("fuzz_text", "ptb_plain", 0x00 | 3 << 3 | 5 << 5, ptb);
  put_with("fuzz_text", "ptb_lower_min2", 0x01 | 1 << 1 | 1 << 3 | 3 << 5, ptb);
  put_with("fuzz_text", "ptb_short", 0x00 | 2 << 3 | 1 << 5, ptb);
  put_with("fuzz_text", "ptb_long", 0x01 | 7 << 5, ptb);
}

static void csv_seeds(void) {
  static const char one[] = "temp, pressure ,flow,label\n"
                            "20.5,1013,3.2,0\n21.0,1009,3.1,0\n19.8,1020,2.9,1\n22.4,1001,3.8,1\n"
                            "20.1,1015,3.0,0\n35.2,950,9.9,2\n20.9,1011,3.3,\n21.5,1008,3.4,0\r\n"
                            "\n19.9,1018,2.8,1\n20.3,1012,3.1,0\n23.0,999,4.0,2\n20.0,1014,3.0,0\n";
  static const char two[] = "a,b,label\n1,2,0\n3,4.5,1\n-1e3,0x10,0\n5,6,1\n7,8,0\n"
                            "\f"
                            "a,b,label\n0.5,1,1\n2,3,0\n4,4,1\n";
  static const char nolabel[] = "x,y,z\n1,2,3\n4,5,6\n7,8,9\n1,1,1\n2,2,2\n3,3,3\n";
  /* The driver's option sets, in its order: 0 file, 1 file+label, 2
   * every=2, 3 classes, 4 classes split+limit, 5 train/test, 6 with label,
   * 7 with limit. */
  put_with("fuzz_csv", "one_plain", 0, nolabel);
  put_with("fuzz_csv", "one_label", 1, one);
  put_with("fuzz_csv", "one_every2", 2, one);
  put_with("fuzz_csv", "one_classes", 3, one);
  put_with("fuzz_csv", "one_split_classes", 4, one);
  put_with("fuzz_csv", "two_plain", 5, two);
  put_with("fuzz_csv", "two_label", 6, two);
  put_with("fuzz_csv", "two_limit", 7, two);
}

/* 12 users, each rating 8 of 10 items, mostly 4 and 5 stars. */
static void ratings_text(char *buf, size_t cap, const char *sep, const char *header) {
  size_t k = (size_t)snprintf(buf, cap, "%s", header);
  for (int u = 1; u <= 12; u++)
    for (int j = 0; j < 8; j++) {
      const int item = (u * 3 + j * 7) % 10 + 1, stars = (u + j) % 5 == 0 ? 2 : 4 + (u * j) % 2;
      k += (size_t)snprintf(buf + k, cap - k, "%d%s%d%s%d%s%d\n", u, sep, item * 10, sep, stars, sep,
                            881250949 + u * 1000 + j);
    }
}

static void ratings_seeds(void) {
  static char buf[16384];
  for (int pick = 0; pick < 4; pick++) {
    char name[64];
    ratings_text(buf, sizeof buf, "\t", "");
    snprintf(name, sizeof name, "u.data.%d", pick);
    put_with("fuzz_ratings", name, (unsigned char)pick, buf);
    ratings_text(buf, sizeof buf, "::", "");
    snprintf(name, sizeof name, "ratings.dat.%d", pick);
    put_with("fuzz_ratings", name, (unsigned char)pick, buf);
    ratings_text(buf, sizeof buf, ",", "userId,movieId,rating,timestamp\n");
    snprintf(name, sizeof name, "ratings.csv.%d", pick);
    put_with("fuzz_ratings", name, (unsigned char)pick, buf);
  }
  /* Half stars, as ratings.csv has them. */
  put_with("fuzz_ratings", "half_stars.csv", 3,
           "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n1,1061,4.5,1260759182\n"
           "1,1129,4.0,1260759185\n1,1172,4.0,1260759205\n2,31,5.0,1\n2,1029,4.5,2\n2,1061,4.0,3\n2,1129,3.5,4\n"
           "3,31,4.0,1\n3,1029,4.0,2\n3,1172,4.5,3\n");
}

static void cli_seeds(void) {
  /* The driver's defaults, in its order: 0 none, 1 vae, 2 aae, 3
   * sentence_vae, 4 gumbel_vae, 5 anomaly. */
  put_with("fuzz_cli", "plain", 0, "--epochs\n3\n--batch=64\n--quiet");
  put_with("fuzz_cli", "vae", 1, "--latent\n2\n--lr=3e-4\n--eval-only\n--resume\nout/vae/checkpoint.safetensors");
  put_with("fuzz_cli", "aae", 2, "--latent\n2\n--prior\nmixture\n--config=tutorial\n--threads\n1");
  put_with("fuzz_cli", "sentence", 3, "--data\n../shared/data/ptb\n--latent\ncategorical\n--min-count\n1");
  put_with("fuzz_cli", "gumbel", 4, "--hard\n--quality=false\n--save-samples\n--judge\nj.safetensors");
  put_with("fuzz_cli", "anomaly", 5, "--csv\nsensors.csv\n--label\nstatus\n--normal\n7\n--eval-ll\n100");
  static const char nul[] = "\x01--seed\0" "12\0--limit=5000\0--plan";
  put("fuzz_cli", "nul_separated", nul, sizeof nul - 1);
}

/* fuzz_graph's programs (fuzz_graph.c), written through a few helpers that
 * turn names into its bytes, so that each seed reads as the graph it is. */
typedef struct prog {
  unsigned char b[512];
  size_t n;
  int nodes;         /* numbered as fuzz_graph numbers them */
  vg_graph *errors;  /* where vg_attrs_set_str says what it refused */
} prog;

static void emit(prog *p, unsigned v) {
  if (p->n == sizeof p->b) fail("fuzz_graph seed", "too long");
  p->b[p->n++] = (unsigned char)v;
}

/* nd, then the dimensions (each < FG_DIM, as fuzz_graph reads them), ended by -1 */
static void shape(prog *p, const int *d) {
  int nd = 0;
  while (d[nd] >= 0) nd++;
  emit(p, (unsigned)nd - 1);
  for (int i = 0; i < nd; i++) emit(p, (unsigned)((d[i] + FG_DIM - 1) % FG_DIM));
}

static int index_in(const char *const *table, int n, const char *v) {
  for (int i = 0; i < n; i++)
    if (strcmp(table[i], v) == 0) return i;
  fail("fuzz_graph seed: no such value", v);
  return -1;
}

/* An op node on nodes in[0..nin), attributes as vg_node_add takes them
 * ("key=value ..."); returns its number. */
static int op(prog *p, vg_op_id id, int nin, const int *in, const char *attrs) {
  const vg_op_f32 *rec = vg_ops_f32[id];
  if (nin < rec->nin_min || nin > rec->nin_max) fail("fuzz_graph seed: input count", rec->name);
  emit(p, (unsigned)id);
  emit(p, (unsigned)(nin - rec->nin_min));
  for (int k = 0; k < nin; k++) emit(p, (unsigned)in[k]);
  char text[256], *save = NULL;
  snprintf(text, sizeof text, "%s", attrs ? attrs : "");
  size_t count_at = p->n;
  emit(p, 0);
  for (char *kv = strtok_r(text, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
    char *v = strchr(kv, '=');
    if (!v) fail("fuzz_graph seed: attribute", kv);
    *v++ = '\0';
    int key = 0;
    while (rec->attrs[key].name && strcmp(rec->attrs[key].name, kv) != 0) key++;
    if (!rec->attrs[key].name) fail("fuzz_graph seed: no such attribute", kv);
    int value;
    if (rec->attrs[key].kind == VG_ATTR_ENUM) {
      /* the choice's index, as the runtime's own parser finds it */
      vg_attrs a = vg_attrs_default(id);
      if (vg_attrs_set_str(p->errors, id, &a, kv, v) != VG_OK) fail("fuzz_graph seed", vg_graph_error(p->errors));
      value = (int)a.v[key];
    } else if (rec->attrs[key].kind == VG_ATTR_DIMS) {
      value = index_in(FG_DIMS, FG_NDIMS, v);
    } else {
      value = index_in(FG_VALUES, FG_NVALUES, v);
    }
    emit(p, (unsigned)key);
    emit(p, (unsigned)value);
    p->b[count_at]++;
  }
  return p->nodes++;
}

#define IN(...) ((const int[]){__VA_ARGS__})
#define DIMS(...) ((const int[]){__VA_ARGS__, -1})

/* Starts a program: its flags, inputs and parameters (each init kind 4,
 * Kaiming uniform, or 0 for ones named like a bias: zeros), counted so
 * that node numbers follow. */
static void begin(prog *p, unsigned flags, int ninputs, const int *const *inputs, int nparams,
                  const int *const *params) {
  vg_graph *errors = p->errors;
  memset(p, 0, sizeof *p);
  p->errors = errors;
  emit(p, flags);
  emit(p, (unsigned)ninputs - 1);
  for (int i = 0; i < ninputs; i++) shape(p, inputs[i]);
  emit(p, (unsigned)nparams);
  for (int i = 0; i < nparams; i++) {
    shape(p, params[i]);
    emit(p, params[i][1] < 0 ? VG_INIT_ZEROS : VG_INIT_KAIMING_UNIFORM);
  }
  p->nodes = ninputs + nparams;
}

/* Ends it: the op count goes where `ops_at` (p->n before the first op)
 * says, then the rewires (node, slot, source triples, ended by -1; NULL:
 * none), the loss and each input's value kind and seed. */
static void end_rewired(prog *p, const char *name, size_t ops_at, int nops, const int *rewires, int loss,
                        const int *kinds) {
  memmove(p->b + ops_at + 1, p->b + ops_at, p->n - ops_at);
  p->n++;
  p->b[ops_at] = (unsigned char)nops;
  int nrewires = 0;
  while (rewires && rewires[3 * nrewires] >= 0) nrewires++;
  emit(p, (unsigned)nrewires);
  for (int i = 0; i < 3 * nrewires; i++) emit(p, (unsigned)rewires[i]);
  emit(p, (unsigned)loss);
  for (int i = 0; kinds[i] >= 0; i++) emit(p, (unsigned)kinds[i]), emit(p, (unsigned)(i + 1));
  put("fuzz_graph", name, p->b, p->n);
}

static void end(prog *p, const char *name, size_t ops_at, int nops, int loss, const int *kinds) {
  end_rewired(p, name, ops_at, nops, NULL, loss, kinds);
}

static void graph_seeds(void) {
  prog p = {.errors = vg_graph_new(0)};
  if (!p.errors) fail("fuzz_graph seeds", "out of memory");
  size_t at;
  /* A layer, a sigmoid and BCE against targets in [0, 1], with Adam. */
  begin(&p, FG_ADAM | FG_EVAL | FG_WRT, 2, (const int *const[]){DIMS(4, 6), DIMS(4, 3)}, 2,
        (const int *const[]){DIMS(3, 6), DIMS(3)});
  at = p.n;
  int h = op(&p, VG_OP_LINEAR, 3, IN(0, 2, 3), "act=relu");
  int y = op(&p, VG_OP_SIGMOID, 1, IN(h), NULL);
  int l = op(&p, VG_OP_BCE, 2, IN(y, 1), NULL);
  end(&p, "mlp_bce", at, 3, l, DIMS(0, 2));

  /* A VAE's middle: mu and logvar from one layer, a sample, KL and MSE,
   * on a partial batch, two threads against one, and a plan after another. */
  begin(&p, FG_THREADS2 | FG_PARTIAL | FG_EVAL | FG_AFTER, 2, (const int *const[]){DIMS(4, 8), DIMS(4, 2)}, 3,
        (const int *const[]){DIMS(6, 8), DIMS(2, 6), DIMS(2, 6)});
  at = p.n;
  h = op(&p, VG_OP_LINEAR, 2, IN(0, 2), "act=tanh");
  int mu = op(&p, VG_OP_LINEAR, 2, IN(h, 3), NULL);
  int lv = op(&p, VG_OP_LINEAR, 2, IN(h, 4), NULL);
  int z = op(&p, VG_OP_REPARAM, 2, IN(mu, lv), "eval=mean");
  int kl = op(&p, VG_OP_KL_NORMAL, 2, IN(mu, lv), NULL);
  int rec = op(&p, VG_OP_MSE, 2, IN(z, 1), NULL);
  l = op(&p, VG_OP_ADD, 2, IN(kl, rec), NULL);
  end(&p, "vae", at, 7, l, DIMS(0, 0));

  /* Convolutions down and back up: conv, pool, upsample, transposed conv. */
  begin(&p, FG_ADAM | FG_MEAN, 1, (const int *const[]){DIMS(2, 1, 6, 6)}, 2,
        (const int *const[]){DIMS(2, 1, 3, 3), DIMS(2, 1, 3, 3)});
  at = p.n;
  h = op(&p, VG_OP_CONV2D, 2, IN(0, 1), "padding=1");
  h = op(&p, VG_OP_RELU, 1, IN(h), NULL);
  h = op(&p, VG_OP_MAXPOOL2D, 1, IN(h), "kernel=2");
  h = op(&p, VG_OP_UPSAMPLE, 1, IN(h), "scale=2 mode=bilinear");
  h = op(&p, VG_OP_CONV_TRANSPOSE2D, 2, IN(h, 2), "padding=1");
  y = op(&p, VG_OP_SIGMOID, 1, IN(h), NULL);
  l = op(&p, VG_OP_BCE, 2, IN(y, 0), NULL);
  end(&p, "conv", at, 7, l, DIMS(2));

  /* Token ids through an embedding and back to logits: cross-entropy
   * against the same ids (values of kind 1: small integers). */
  begin(&p, FG_EVAL | FG_AFTER, 1, (const int *const[]){DIMS(2, 5)}, 2, (const int *const[]){DIMS(6, 4), DIMS(6, 4)});
  at = p.n;
  h = op(&p, VG_OP_EMBEDDING, 2, IN(0, 1), NULL);
  y = op(&p, VG_OP_LINEAR, 2, IN(h, 2), NULL);
  l = op(&p, VG_OP_CROSS_ENTROPY, 2, IN(y, 0), NULL);
  end(&p, "embedding", at, 3, l, DIMS(1));

  /* Batch norm with running statistics as inputs, dropout, a softmax. */
  begin(&p, FG_EVAL | FG_THREADS2 | FG_AFTER | FG_BEFORE_UPDATES, 3, (const int *const[]){DIMS(4, 6), DIMS(6), DIMS(6)}, 2,
        (const int *const[]){DIMS(6), DIMS(6)});
  at = p.n;
  h = op(&p, VG_OP_BATCH_NORM, 5, IN(0, 3, 4, 1, 2), NULL);
  h = op(&p, VG_OP_DROPOUT, 1, IN(h), "p=0.5");
  h = op(&p, VG_OP_SOFTMAX, 1, IN(h), NULL);
  end(&p, "batch_norm", at, 3, h, DIMS(0, 2, 2));

  /* An LSTM over a padded batch (lengths of kind 1: 0 to 5, some past
   * T = 4, which its check refuses), packed, and a GRU's last states. */
  const int *const rnn_in[] = {DIMS(2, 4, 3), DIMS(2)};
  begin(&p, FG_THREADS2 | FG_AFTER, 2, rnn_in, 4, (const int *const[]){DIMS(8, 3), DIMS(8, 2), DIMS(8), DIMS(8)});
  at = p.n;
  h = op(&p, VG_OP_LSTM, 6, IN(0, 1, 2, 3, 4, 5), NULL);
  h = op(&p, VG_OP_PACK, 2, IN(h, 1), NULL);
  end(&p, "lstm", at, 2, h, DIMS(0, 1));
  begin(&p, FG_ADAM | FG_EVAL, 2, rnn_in, 4, (const int *const[]){DIMS(6, 3), DIMS(6, 2), DIMS(6), DIMS(6)});
  at = p.n;
  h = op(&p, VG_OP_GRU, 6, IN(0, 1, 2, 3, 4, 5), "output=last");
  end(&p, "gru", at, 1, h, DIMS(0, 1));

  /* Cross-entropy fused with its layer, ids of kind 1 (5 is past V = 5). */
  begin(&p, FG_THREADS2, 2, (const int *const[]){DIMS(3, 4), DIMS(3)}, 2, (const int *const[]){DIMS(5, 4), DIMS(5)});
  at = p.n;
  l = op(&p, VG_OP_LINEAR_CROSS_ENTROPY, 4, IN(0, 2, 3, 1), NULL);
  end(&p, "linear_cross_entropy", at, 1, l, DIMS(0, 1));

  /* Ranking metrics on scores against relevance, and a one-hot mask. */
  begin(&p, FG_EVAL, 3, (const int *const[]){DIMS(2, 5), DIMS(2, 5), DIMS(2)}, 1, (const int *const[]){DIMS(8, 5)});
  at = p.n;
  int r = op(&p, VG_OP_RECALL_AT_K, 2, IN(0, 1), "k=2");
  int n = op(&p, VG_OP_NDCG_AT_K, 2, IN(0, 1), "k=3");
  h = op(&p, VG_OP_ONE_HOT, 1, IN(2), "classes=8");
  y = op(&p, VG_OP_LINEAR, 2, IN(0, 3), NULL);
  l = op(&p, VG_OP_MUL, 2, IN(y, h), NULL);
  l = op(&p, VG_OP_SUM, 1, IN(l), "axis=1");
  l = op(&p, VG_OP_ADD, 2, IN(l, r), NULL);
  l = op(&p, VG_OP_ADD, 2, IN(l, n), NULL);
  end(&p, "ranking_one_hot", at, 8, l, DIMS(0, 2, 1));

  /* Axes reordered; a 9x9 kernel (81 taps: the im2col path, not lanes). */
  begin(&p, FG_THREADS2 | FG_MEAN | FG_WRT, 2, (const int *const[]){DIMS(1, 1, 10, 10), DIMS(2, 3, 4)}, 1,
        (const int *const[]){DIMS(2, 1, 9, 9)});
  at = p.n;
  h = op(&p, VG_OP_CONV2D, 2, IN(0, 2), "dilation=1");
  h = op(&p, VG_OP_SUM, 1, IN(h), NULL);
  y = op(&p, VG_OP_PERMUTE, 1, IN(1), "dims=0,2,1");
  y = op(&p, VG_OP_SUM, 1, IN(y), NULL);
  l = op(&p, VG_OP_MUL, 2, IN(h, y), NULL);
  end(&p, "im2col_permute", at, 5, l, DIMS(0, 0));

  /* Rewired into a cycle (tanh reads the sigmoid that reads it), which
   * compiling must refuse; and the same graph rewired harmlessly. */
  begin(&p, FG_EVAL, 2, (const int *const[]){DIMS(3, 4), DIMS(3, 4)}, 0, NULL);
  at = p.n;
  h = op(&p, VG_OP_TANH, 1, IN(0), NULL);
  y = op(&p, VG_OP_SIGMOID, 1, IN(h), NULL);
  l = op(&p, VG_OP_MSE, 2, IN(y, 1), NULL);
  end_rewired(&p, "cycle", at, 3, DIMS(h, 0, y), l, DIMS(0, 2));
  begin(&p, FG_EVAL | FG_THREADS2, 2, (const int *const[]){DIMS(3, 4), DIMS(3, 4)}, 0, NULL);
  at = p.n;
  h = op(&p, VG_OP_TANH, 1, IN(0), NULL);
  y = op(&p, VG_OP_SIGMOID, 1, IN(h), NULL);
  l = op(&p, VG_OP_MSE, 2, IN(y, 1), NULL);
  end_rewired(&p, "rewired", at, 3, DIMS(h, 0, 1), l, DIMS(0, 2));
  vg_graph_free(p.errors);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_seeds OUT\n");
    return 2;
  }
  out = argv[1];
  if (mkdir(out, 0777) != 0 && errno != EEXIST) fail(out, strerror(errno));
  idx_seeds();
  safetensors_seeds();
  png_seeds();
  text_seeds();
  csv_seeds();
  ratings_seeds();
  cli_seeds();
  graph_seeds();
  return 0;
}
