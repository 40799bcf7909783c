/* What sample scores (--quality) need from C. core.moments(dim)
 * sums feature vectors (m:add(plan, node, count) takes a plan's value
 * without a Lua table in between), core.frechet(m1, m2) is the Fréchet
 * distance between the Gaussians they fit (m2 may be "standard_normal",
 * N(0, I)), and p:copy(node, graph, input, count, ...) hands a plan's value to
 * another graph's input (a model's samples to the judge).
 * core.image_bytes(n, {C, H, W}) keeps n images as bytes (w:add(plan,
 * node, count, scale, shift) maps values in [0, 1] to 0..255) and
 * w:save(path) writes them as an IDX file, for other tools to score. */
#include <stdlib.h>
#include <string.h>

#include "frechet.h"
#include "idx.h"
#include "module.h"

#define VG_MOMENTS_MT "vaegraph.moments"

static vg_moments *check_moments(lua_State *L, int i) {
  vg_moments *m = luaL_checkudata(L, i, VG_MOMENTS_MT);
  if (!m->dim) luaL_argerror(L, i, "moments already freed");
  return m;
}

static int l_moments(lua_State *L) {
  const lua_Integer dim = vg_checkint(L, 1);
  if (dim < 1 || dim > 4096) return vg_lua_fail(L, "moments: dimension %lld is outside 1..4096", (long long)dim);
  vg_moments *m = lua_newuserdata(L, sizeof *m);
  memset(m, 0, sizeof *m);
  luaL_getmetatable(L, VG_MOMENTS_MT);
  lua_setmetatable(L, -2);
  if (vg_moments_init(m, (int)dim)) return vg_lua_fail(L, "moments: out of memory for dimension %lld", (long long)dim);
  return 1;
}

static int l_moments_gc(lua_State *L) {
  vg_moments_free(luaL_checkudata(L, 1, VG_MOMENTS_MT));
  return 0;
}

static int add_checked(lua_State *L, vg_moments *m, const float *x, int64_t rows, const char *what) {
  vg_status st = vg_moments_add(m, x, rows);
  if (st == VG_ERR_VALUE) return vg_lua_fail(L, "moments: %s has a value that is not finite", what);
  return 0;
}

/* m:add(plan, node, count): the first count rows of node's value, which
 * must be [rows, dim]. */
static int l_moments_add(lua_State *L) {
  vg_moments *m = check_moments(L, 1);
  int64_t count;
  const char *name;
  const float *v = vg_lua_rows(L, 2, m->dim, "moments", &count, &name);
  return add_checked(L, m, v, count, name);
}

/* m:add_values({v1, v2, ...}): rows of dim values, flat. */
static int l_moments_add_values(lua_State *L) {
  vg_moments *m = check_moments(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const size_t n = vg_rawlen(L, 2);
  if (n % (size_t)m->dim) return vg_lua_fail(L, "moments: %zu values are not rows of %d", n, m->dim);
  float *x = lua_newuserdata(L, (n ? n : 1) * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (int)i + 1);
    x[i] = (float)luaL_checknumber(L, -1);
    lua_pop(L, 1);
  }
  return add_checked(L, m, x, (int64_t)(n / (size_t)m->dim), "a row");
}

static int l_moments_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_moments(L, 1)->count);
  return 1;
}

/* core.frechet(m1, m2 or "standard_normal") -> distance */
static int l_frechet(lua_State *L) {
  vg_moments *a = check_moments(L, 1);
  const int D = a->dim, normal = lua_type(L, 2) == LUA_TSTRING;
  if (normal && strcmp(lua_tostring(L, 2), "standard_normal") != 0) return luaL_argerror(L, 2, "moments or \"standard_normal\"");
  vg_moments *b = normal ? NULL : check_moments(L, 2);
  if (b && b->dim != D) return vg_lua_fail(L, "frechet: dimensions %d and %d differ", D, b->dim);
  if (a->count < 2 || (b && b->count < 2)) return vg_lua_fail(L, "frechet: a covariance needs at least two vectors in each set");
  const size_t nn = (size_t)D * D;
  double *buf = lua_newuserdata(L, (4 * (size_t)D + 2 * nn) * sizeof *buf);
  double *mu1 = buf, *mu2 = mu1 + D, *c1 = mu2 + D, *c2 = c1 + nn;
  vg_moments_stats(a, mu1, c1);
  if (b) vg_moments_stats(b, mu2, c2);
  else {
    memset(mu2, 0, (size_t)D * sizeof *mu2), memset(c2, 0, nn * sizeof *c2);
    for (int i = 0; i < D; i++) c2[(size_t)i * D + i] = 1;
  }
  double d;
  if (vg_frechet(D, mu1, c1, mu2, c2, &d)) return vg_lua_fail(L, "frechet: out of memory for dimension %d", D);
  lua_pushnumber(L, d);
  return 1;
}

/* p:copy(node, graph, input, count [, scale, shift]): the first count rows
 * of node's value, times scale plus shift, into graph's input, shaped
 * [count, the input's own row shape]; a row of each must hold as many
 * values. */
static int l_copy(lua_State *L) {
  vg_graph *g;
  vg_plan *p = vg_lua_plan(L, 1, &g);
  const int id = vg_lua_node(L, g, 2);
  vg_graph *to = vg_lua_graph(L, 3);
  const int in = vg_lua_node(L, to, 4);
  const vg_node *src = &g->nodes[id], *dst = &to->nodes[in];
  const float *v = vg_lua_value(L, p, g, id);
  if (!v) return vg_lua_fail(L, "copy: '%s' is not a value this plan keeps (fetch it)", src->name);
  if (dst->op != VG_OP_INPUT) return vg_lua_fail(L, "copy: '%s' is not an input", dst->name);
  if (src->shape.nd < 1) return vg_lua_fail(L, "copy: '%s' has no rows", src->name);
  if (dst->bound.nd < 1 || dst->bound.d[0] < 1) return vg_lua_fail(L, "copy: '%s' has no rows", dst->name);
  const int64_t rows = src->shape.d[0], width = vg_shape_numel(&src->shape) / (rows ? rows : 1);
  vg_shape shape = dst->bound;
  const int64_t dst_width = vg_shape_numel(&shape) / shape.d[0];
  const lua_Integer count = luaL_optinteger(L, 5, (lua_Integer)rows);
  if (width != dst_width) {
    char a[VG_SHAPE_STRLEN], b[VG_SHAPE_STRLEN];
    vg_shape_str(&src->shape, a, sizeof a), vg_shape_str(&dst->bound, b, sizeof b);
    return vg_lua_fail(L, "copy: a row of '%s' %s has %lld values, a row of '%s' %s has %lld", src->name, a, (long long)width,
                       dst->name, b, (long long)dst_width);
  }
  if (count < 1 || count > rows || count > shape.d[0])
    return vg_lua_fail(L, "copy: count %lld is outside 1..%lld", (long long)count, (long long)(rows < shape.d[0] ? rows : shape.d[0]));
  shape.d[0] = (int64_t)count;
  if (vg_input_set_shape(to, in, shape)) return vg_lua_raise_graph(L, to);
  const float scale = (float)luaL_optnumber(L, 6, 1), shift = (float)luaL_optnumber(L, 7, 0);
  float *d = vg_input_fill(to, in);
  for (int64_t i = 0; i < count * width; i++) d[i] = v[i] * scale + shift;
  return 0;
}

#define VG_BYTES_MT "vaegraph.image_bytes"

typedef struct image_bytes {
  vg_idx idx;
  int64_t filled, width;
} image_bytes;

static int l_image_bytes(lua_State *L) {
  const lua_Integer n = vg_checkint(L, 1);
  const vg_shape s = vg_lua_shape(L, 2, "image_bytes");
  if (n < 1 || n > INT32_MAX || s.nd < 1 || s.nd > 3) return vg_lua_fail(L, "image_bytes: n >= 1 images of 1 to 3 dimensions");
  image_bytes *w = lua_newuserdata(L, sizeof *w);
  memset(w, 0, sizeof *w);
  luaL_getmetatable(L, VG_BYTES_MT);
  lua_setmetatable(L, -2);
  w->idx.ndim = s.nd + 1;
  w->idx.dims[0] = n;
  w->width = 1;
  for (int i = 0; i < s.nd; i++) w->idx.dims[i + 1] = s.d[i], w->width *= s.d[i];
  if (w->width > INT32_MAX || n > (lua_Integer)(SIZE_MAX / (size_t)w->width))
    return vg_lua_fail(L, "image_bytes: %lld images of %lld values are too many", (long long)n, (long long)w->width);
  w->idx.len = (size_t)(n * w->width);
  if (!(w->idx.data = malloc(w->idx.len))) return vg_lua_fail(L, "image_bytes: out of memory for %lld images", (long long)n);
  return 1;
}

static int l_image_bytes_gc(lua_State *L) {
  image_bytes *w = luaL_checkudata(L, 1, VG_BYTES_MT);
  free(w->idx.data);
  w->idx.data = NULL;
  return 0;
}

static int l_image_bytes_add(lua_State *L) {
  image_bytes *w = luaL_checkudata(L, 1, VG_BYTES_MT);
  vg_checkint(L, 4); /* the count is not optional here */
  int64_t count;
  const float *v = vg_lua_rows(L, 2, w->width, "image_bytes", &count, NULL);
  if (w->filled + count > w->idx.dims[0])
    return vg_lua_fail(L, "image_bytes: %lld more images do not fit", (long long)count);
  const double scale = luaL_optnumber(L, 5, 1), shift = luaL_optnumber(L, 6, 0);
  uint8_t *d = w->idx.data + w->filled * w->width;
  for (int64_t i = 0; i < count * w->width; i++) {
    const double b = (v[i] * scale + shift) * 255 + 0.5;
    d[i] = (uint8_t)(b >= 255 ? 255 : b > 0 ? b : 0);
  }
  w->filled += count;
  return 0;
}

static int l_image_bytes_save(lua_State *L) {
  image_bytes *w = luaL_checkudata(L, 1, VG_BYTES_MT);
  const char *path = luaL_checkstring(L, 2);
  if (w->filled != w->idx.dims[0])
    return vg_lua_fail(L, "image_bytes: %lld of %lld images added", (long long)w->filled, (long long)w->idx.dims[0]);
  char err[1024];
  if (vg_idx_write(path, &w->idx, err, sizeof err)) return vg_lua_raise(L, err);
  return 0;
}

void vg_lua_open_quality(lua_State *L) {
  static const luaL_Reg bytes_methods[] = {{"add", l_image_bytes_add}, {"save", l_image_bytes_save}, {NULL, NULL}};
  vg_lua_class(L, VG_BYTES_MT, bytes_methods, l_image_bytes_gc);
  static const luaL_Reg methods[] = {
      {"add", l_moments_add}, {"add_values", l_moments_add_values}, {"count", l_moments_count}, {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"moments", l_moments}, {"frechet", l_frechet}, {"image_bytes", l_image_bytes}, {NULL, NULL}};
  vg_lua_class(L, VG_MOMENTS_MT, methods, l_moments_gc);
  vg_lua_setfuncs(L, funcs);
  luaL_getmetatable(L, VG_PLAN_MT);
  lua_getfield(L, -1, "__index");
  lua_pushcfunction(L, l_copy);
  lua_setfield(L, -2, "copy");
  lua_pop(L, 2);
}
