/* A training run's state in one safetensors file: every parameter by name,
 * each phase's optimizer moments ("optim/<phase>/<group>/m" and "/v") and
 * step count ("optim/<phase>/step", I64), and metadata strings (script,
 * epoch, step, seed) from the caller. Written atomically. */
#ifndef VG_CHECKPOINT_H
#define VG_CHECKPOINT_H

#include "graph.h"
#include "optim.h"

typedef struct vg_phase_state {
  const char *phase;
  vg_optim *optim;
} vg_phase_state;

vg_status vg_checkpoint_save(const char *path, vg_graph *g, const vg_phase_state *phases, int nphases,
                             const char *const *meta, int nmeta, char *err, size_t errlen);

/* Restores parameters and optimizer state; every tensor must be there with
 * the shape this graph has, or nothing is changed. The metadata values of
 * `keys` are copied into `values` (up to 255 bytes each, "" when absent). */
vg_status vg_checkpoint_load(const char *path, vg_graph *g, const vg_phase_state *phases, int nphases,
                             const char *const *keys, int nkeys, char (*values)[256], char *err, size_t errlen);

#endif
