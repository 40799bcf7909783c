#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

enum { NAME_LEN = 3 * VG_NAME_MAX };

/* One optimizer state tensor's name, "optim/<phase>/<group>/<m|v|step>". */
static void state_name(char *buf, const char *phase, const char *group, const char *what) {
  if (group) snprintf(buf, NAME_LEN, "optim/%s/%s/%s", phase, group, what);
  else snprintf(buf, NAME_LEN, "optim/%s/%s", phase, what);
}

/* Counts the tensors a checkpoint of this run holds. */
static int count_tensors(const vg_graph *g, const vg_phase_state *phases, int nphases) {
  int n = 0;
  for (int i = 0; i < g->n; i++) n += g->nodes[i].op == VG_OP_PARAM;
  for (int p = 0; p < nphases; p++) n += 1 + 2 * vg_optim_ngroups(phases[p].optim);
  return n;
}

vg_status vg_checkpoint_save(const char *path, vg_graph *g, const vg_phase_state *phases, int nphases,
                             const char *const *meta, int nmeta, char *err, size_t errlen) {
  if (!g->frozen) {
    snprintf(err, errlen, "%s: nothing to save before the graph is compiled", path);
    return VG_ERR_ARG;
  }
  int cap = count_tensors(g, phases, nphases);
  vg_st_tensor *t = calloc((size_t)cap + 1, sizeof *t);
  char(*names)[NAME_LEN] = calloc((size_t)cap + 1, sizeof *names);
  int64_t *steps = calloc((size_t)nphases + 1, sizeof *steps);
  if (!t || !names || !steps) {
    free(t), free(names), free(steps);
    snprintf(err, errlen, "%s: out of memory", path);
    return VG_ERR_NOMEM;
  }
  int n = 0;
  /* I64 step counts first, so F32 data after them stays aligned. */
  for (int p = 0; p < nphases; p++) {
    steps[p] = vg_optim_steps(phases[p].optim);
    state_name(names[n], phases[p].phase, NULL, "step");
    t[n] = (vg_st_tensor){names[n], VG_I64, vg_shape_scalar(), &steps[p]};
    n++;
  }
  for (int i = 0; i < g->n; i++) {
    const vg_node *nd = &g->nodes[i];
    if (nd->op != VG_OP_PARAM) continue;
    t[n++] = (vg_st_tensor){nd->name, VG_F32, nd->shape, g->params + nd->off};
  }
  for (int p = 0; p < nphases; p++) {
    vg_optim *o = phases[p].optim;
    for (int k = 0; k < vg_optim_ngroups(o); k++) {
      for (int which = 0; which < 2; which++) {
        size_t len;
        float *s = vg_optim_state(o, k, which, &len);
        if (!s) continue;
        int64_t d = (int64_t)len;
        state_name(names[n], phases[p].phase, g->groups[vg_optim_group(o, k)].name, which ? "v" : "m");
        t[n] = (vg_st_tensor){names[n], VG_F32, vg_shape_of(1, &d), s};
        n++;
      }
    }
  }
  vg_status st = vg_st_write(path, t, n, meta, nmeta, err, errlen);
  free(t), free(names), free(steps);
  return st;
}

static vg_status mismatch(char *err, size_t errlen, const char *path, const char *name, const vg_st_tensor *t,
                          vg_dtype dtype, const vg_shape *want) {
  char a[VG_SHAPE_STRLEN], b[VG_SHAPE_STRLEN];
  if (!t) snprintf(err, errlen, "%s: no tensor '%s' (was the checkpoint written by another script?)", path, name);
  else if (t->dtype != dtype) snprintf(err, errlen, "%s: tensor '%s' has the wrong dtype", path, name);
  else
    snprintf(err, errlen, "%s: tensor '%s' has shape %s, this graph needs %s", path, name,
             vg_shape_str(&t->shape, a, sizeof a), vg_shape_str(want, b, sizeof b));
  return VG_ERR_FORMAT;
}

static int fits(const vg_st_tensor *t, vg_dtype dtype, const vg_shape *want) {
  return t && t->dtype == dtype && vg_shape_eq(&t->shape, want);
}

vg_status vg_checkpoint_load(const char *path, vg_graph *g, const vg_phase_state *phases, int nphases,
                             const char *const *keys, int nkeys, char (*values)[256], char *err, size_t errlen) {
  if (vg_graph_freeze(g)) {
    snprintf(err, errlen, "%s: %s", path, vg_graph_error(g));
    return VG_ERR_NOMEM;
  }
  vg_st_file *f;
  vg_status st = vg_st_read(path, &f, err, errlen);
  if (st) return st;
  /* Check everything before changing anything: a bad file leaves the run as
   * it was. */
  char name[NAME_LEN];
  for (int i = 0; i < g->n && !st; i++) {
    const vg_node *nd = &g->nodes[i];
    if (nd->op == VG_OP_PARAM && !fits(vg_st_find(f, nd->name), VG_F32, &nd->shape))
      st = mismatch(err, errlen, path, nd->name, vg_st_find(f, nd->name), VG_F32, &nd->shape);
  }
  for (int p = 0; p < nphases && !st; p++) {
    vg_shape scalar = vg_shape_scalar();
    state_name(name, phases[p].phase, NULL, "step");
    if (!fits(vg_st_find(f, name), VG_I64, &scalar)) st = mismatch(err, errlen, path, name, vg_st_find(f, name), VG_I64, &scalar);
    vg_optim *o = phases[p].optim;
    for (int k = 0; k < vg_optim_ngroups(o) && !st; k++)
      for (int which = 0; which < 2 && !st; which++) {
        size_t len;
        if (!vg_optim_state(o, k, which, &len)) continue;
        int64_t d = (int64_t)len;
        vg_shape want = vg_shape_of(1, &d);
        state_name(name, phases[p].phase, g->groups[vg_optim_group(o, k)].name, which ? "v" : "m");
        if (!fits(vg_st_find(f, name), VG_F32, &want)) st = mismatch(err, errlen, path, name, vg_st_find(f, name), VG_F32, &want);
      }
  }
  if (!st) {
    g->writes++;
    for (int i = 0; i < g->n; i++) {
      const vg_node *nd = &g->nodes[i];
      if (nd->op == VG_OP_PARAM)
        memcpy(g->params + nd->off, vg_st_find(f, nd->name)->data, (size_t)vg_shape_numel(&nd->shape) * sizeof(float));
    }
    for (int p = 0; p < nphases; p++) {
      vg_optim *o = phases[p].optim;
      int64_t steps;
      state_name(name, phases[p].phase, NULL, "step");
      memcpy(&steps, vg_st_find(f, name)->data, sizeof steps);
      vg_optim_set_steps(o, steps);
      for (int k = 0; k < vg_optim_ngroups(o); k++)
        for (int which = 0; which < 2; which++) {
          size_t len;
          float *s = vg_optim_state(o, k, which, &len);
          if (!s) continue;
          state_name(name, phases[p].phase, g->groups[vg_optim_group(o, k)].name, which ? "v" : "m");
          memcpy(s, vg_st_find(f, name)->data, len * sizeof *s);
        }
    }
    for (int k = 0; k < nkeys; k++) {
      const char *v = vg_st_meta(f, keys[k]);
      snprintf(values[k], 256, "%s", v ? v : "");
    }
  }
  vg_st_free(f);
  return st;
}
