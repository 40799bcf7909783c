/* What the files of the vaegraph.core module share. One file per bound
 * class or concern (graph.c, plan.c, optim.c, data.c, text.c, checkpoint.c,
 * pictures.c, host.c, quality.c), each adding its functions to the module table; this
 * header declares the helpers they all use, and module.c is the one place
 * where a runtime error (a value) becomes a Lua error. */
#ifndef VG_LUA_MODULE_H
#define VG_LUA_MODULE_H

#include <stddef.h>

#include "compat.h"
#include "graph.h"
#include "plan.h"

#define VG_GRAPH_MT "vaegraph.graph"
#define VG_PLAN_MT "vaegraph.plan"
#define VG_OPTIM_MT "vaegraph.optim"

/* ---- errors ---- */

/* The user's script position, "vae.lua:12": the innermost Lua frame that is
 * not inside the vaegraph Lua library (whose path the library registers
 * with core.set_library). Without one (vg.train is called as a tail call)
 * it is the script's name alone; "" outside any script. */
void vg_lua_where(lua_State *L, char *buf, size_t len);
/* Raises msg as a Lua error, prefixed with the user's script position
 * unless it already names a script line. */
int vg_lua_raise(lua_State *L, const char *msg);
/* The same with a formatted message (printf's formats, unlike luaL_error). */
/* Makes require "vaegraph.core" load this module, linked into the program
 * (the vaegraph host, the fuzz targets) rather than found as a .so. */
int luaopen_vaegraph_core(lua_State *L);
void vg_lua_preload_core(lua_State *L);
int vg_lua_fail(lua_State *L, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int vg_lua_raise_graph(lua_State *L, vg_graph *g);

/* ---- arguments ---- */

vg_graph *vg_lua_graph(lua_State *L, int i);
int vg_lua_node(lua_State *L, vg_graph *g, int i);
/* The shape list at stack index i; errors name `what` (the input or
 * parameter) and the size that is wrong, at the script's line. */
vg_shape vg_lua_shape(lua_State *L, int i, const char *what);
void vg_lua_push_shape(lua_State *L, const vg_shape *s);
/* A list of integer ids in [0, limit) at index i (absent or nil: none):
 * an array that lives as long as the userdata it pushes on the stack, so
 * there is no fixed maximum and nothing to free on an error. */
int *vg_lua_ids(lua_State *L, int i, int limit, const char *what, int *count);
/* A plan argument and the graph it was compiled from. */
vg_plan *vg_lua_plan(lua_State *L, int i, vg_graph **g);
/* The value of node id from p's last run, or NULL when p does not keep it;
 * raises an error saying why when p has not run, or another plan of the
 * graph ran since (they share their memory). */
const float *vg_lua_value(lua_State *L, const vg_plan *p, const vg_graph *g, int id);
/* Arguments i, i+1, i+2 = plan, node, count (absent: all rows): the first
 * count rows of node's kept value, each of `width` values; raises an error
 * prefixed with `what` otherwise. *count gets the count, and *name (if not
 * NULL) the node's name. */
const float *vg_lua_rows(lua_State *L, int i, int64_t width, const char *what, int64_t *count, const char **name);
struct vg_optim;
struct vg_optim *vg_lua_optim(lua_State *L, int i);
/* Pushes a copy of n floats as a Lua list (a number when scalar is set and
 * n == 1). */
void vg_lua_push_floats(lua_State *L, const float *v, size_t n, int scalar);

/* ---- registration ---- */

/* A userdata class: methods under __index, and its finaliser. */
void vg_lua_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc);
/* Sets each function of l as a field of the table on top of the stack. */
void vg_lua_setfuncs(lua_State *L, const luaL_Reg *l);

/* Each adds its classes and functions to the module table on top of the
 * stack. */
void vg_lua_open_graph(lua_State *L);
void vg_lua_open_plan(lua_State *L);
void vg_lua_open_optim(lua_State *L);
void vg_lua_open_data(lua_State *L);
void vg_lua_open_text(lua_State *L);
void vg_lua_open_checkpoint(lua_State *L);
void vg_lua_open_pictures(lua_State *L);
void vg_lua_open_host(lua_State *L);
void vg_lua_open_quality(lua_State *L);
void vg_lua_open_dist(lua_State *L);
/* After a failed run under mpirun: ends every rank (dist.c). */
void vg_lua_dist_abort(void);
/* Under mpirun, *c filled for this rank's `share` of a batch and returned;
 * NULL in one process (dist.c). */
const vg_collective *vg_lua_dist_collective(vg_collective *c, double share);

#endif
