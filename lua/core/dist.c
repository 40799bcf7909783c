/* Data-parallel training over MPI (mpirun -np N vaegraph SCRIPT): which
 * rank this process is, gradient sums before each optimizer step, and sums
 * of evaluation results. Every sum runs in a fixed order, so a given rank
 * count gives the same bits on every rank and in every run. Built without
 * MPI (no libopenmpi-dev), every process is rank 0 of 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

#ifdef VG_HAVE_MPI
#include <mpi.h>

static int g_rank = 0, g_size = 1, g_init = 0;

static void finalize(void) { MPI_Finalize(); }

/* Launched by mpirun (Open MPI or a PMI launcher): initialise MPI once. A
 * plain `vaegraph x.lua` does not, so it starts as fast as without MPI. */
static void dist_init(void) {
  if (g_init) return;
  g_init = 1;
  if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK")) return;
  int already = 0;
  MPI_Initialized(&already);
  if (!already && MPI_Init(NULL, NULL) != MPI_SUCCESS) return;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  atexit(finalize);
}

/* x[0..n) summed over the ranks, in place, the same bits on every rank: a
 * ring reduce-scatter (chunk c gathers its sum in ring order starting after
 * rank c) then a ring all-gather; each rank sends about 2n values in all,
 * whatever the rank count. */
static int ring_sum_float(float *x, size_t n, float *tmp) {
  const int N = g_size, r = g_rank, right = (r + 1) % N, left = (r + N - 1) % N;
  static size_t *lo; /* chunk bounds, kept for the run: the rank count is fixed */
  if (!lo && !(lo = malloc(((size_t)N + 1) * sizeof *lo))) return -1;
  for (int c = 0; c <= N; c++) lo[c] = n * (size_t)c / (size_t)N;
  int bad = 0;
  for (int k = 0; k < N - 1; k++) {
    const int send = (r - k + N) % N, recv = (r - k - 1 + 2 * N) % N;
    if (MPI_Sendrecv(x + lo[send], (int)(lo[send + 1] - lo[send]), MPI_FLOAT, right, 0, tmp, (int)(lo[recv + 1] - lo[recv]),
                     MPI_FLOAT, left, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
      bad = -1;
      break;
    }
    for (size_t i = lo[recv]; i < lo[recv + 1]; i++) x[i] = tmp[i - lo[recv]] + x[i];
  }
  for (int k = 0; !bad && k < N - 1; k++) {
    const int send = (r + 1 - k + N) % N, recv = (r - k + N) % N;
    if (MPI_Sendrecv(x + lo[send], (int)(lo[send + 1] - lo[send]), MPI_FLOAT, right, 1, x + lo[recv],
                     (int)(lo[recv + 1] - lo[recv]), MPI_FLOAT, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      bad = -1;
  }
  return bad;
}
#else
static const int g_rank = 0, g_size = 1;
static void dist_init(void) {}
#endif

/* core.dist() -> rank, ranks */
static int l_dist(lua_State *L) {
  dist_init();
  lua_pushinteger(L, g_rank);
  lua_pushinteger(L, g_size);
  return 2;
}

/* core.dist_grads(graph, {group ids}, weight): each group's parameter
 * gradients times weight (this rank's share of the global batch), summed
 * over the ranks. */
static int l_dist_grads(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const float w = (float)luaL_checknumber(L, 3);
  if (g_size == 1) return 0;
#ifdef VG_HAVE_MPI
  const int n = (int)vg_rawlen(L, 2);
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, 2, k);
    const lua_Integer grp = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (grp < 0 || grp >= g->ngroups) return vg_lua_fail(L, "dist_grads: %lld is not a group", (long long)grp);
    float *x = g->grads + g->groups[grp].off;
    const size_t len = g->groups[grp].len;
    for (size_t i = 0; i < len; i++) x[i] *= w;
    /* One receive buffer for the run, grown to the largest chunk: no
     * allocation in the training step once it fits. */
    static float *tmp;
    static size_t cap;
    const size_t need = len / (size_t)g_size + 1;
    if (need > cap) {
      float *grown = realloc(tmp, need * sizeof *tmp);
      if (!grown) return vg_lua_fail(L, "dist_grads: out of memory for %zu values", len);
      tmp = grown, cap = need;
    }
    if (ring_sum_float(x, len, tmp)) return vg_lua_fail(L, "dist_grads: MPI failed summing group '%s'", g->groups[grp].name);
  }
#else
  (void)g, (void)w;
#endif
  return 0;
}

#ifdef VG_HAVE_MPI
/* v[0..n) summed over the ranks in rank order: each rank gathers all the
 * lists and adds them the same way, so all get the same bits. For short
 * lists (statistics, evaluation sums); 0 or -1. */
static int gather_sum(double *v, size_t n) {
  static double *all; /* kept for the run: no allocation per training step once it fits */
  static size_t cap;
  if (n == 0) return 0;
  const size_t need = n * (size_t)g_size;
  if (need > cap) {
    double *grown = realloc(all, need * sizeof *all);
    if (!grown) return -1;
    all = grown, cap = need;
  }
  memcpy(all + (size_t)g_rank * n, v, n * sizeof *v);
  if (MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, (int)n, MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
    return -1;
  for (size_t i = 0; i < n; i++) v[i] = all[i];
  for (int r = 1; r < g_size; r++)
    for (size_t i = 0; i < n; i++) v[i] += all[(size_t)r * n + i];
  return 0;
}

/* An op's sum over the ranks (batch norm's statistics), in the middle of a
 * plan's run: the kernel cannot return an error, and the other ranks wait
 * for this one, so a failure ends the run on every rank. */
static void collective_sum(const vg_collective *c, double *v, size_t n) {
  (void)c;
  if (gather_sum(v, n)) {
    fprintf(stderr, "vaegraph: rank %d: summing %zu statistics over %d ranks failed (MPI error or out of memory)\n",
            g_rank, n, g_size);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}
#endif

const vg_collective *vg_lua_dist_collective(vg_collective *c, double share) {
  dist_init();
  if (g_size == 1) return NULL;
#ifdef VG_HAVE_MPI
  c->sum = collective_sum;
  c->share = share;
  return c;
#else
  (void)c, (void)share;
  return NULL;
#endif
}

/* core.dist_sum({numbers}) -> the lists of every rank summed elementwise
 * (doubles), in rank order. For evaluation results: metric sums and score
 * columns. */
static int l_dist_sum(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const size_t n = vg_rawlen(L, 1);
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return vg_lua_fail(L, "dist_sum: out of memory for %zu values", n);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 1, (int)i + 1);
    v[i] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
#ifdef VG_HAVE_MPI
  if (g_size > 1 && gather_sum(v, n)) {
    free(v);
    return vg_lua_fail(L, "dist_sum: MPI failed summing %zu values (or out of memory)", n);
  }
#endif
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  free(v);
  return 1;
}

void vg_lua_dist_abort(void) {
#ifdef VG_HAVE_MPI
  /* One rank's error would leave the others waiting in a sum forever. */
  if (g_size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
#endif
}

void vg_lua_open_dist(lua_State *L) {
  static const luaL_Reg funcs[] = {{"dist", l_dist}, {"dist_grads", l_dist_grads}, {"dist_sum", l_dist_sum}, {NULL, NULL}};
  vg_lua_setfuncs(L, funcs);
}
