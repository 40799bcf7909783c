/* vaegraph's runtime as a C library: build a graph of op nodes (shapes
 * inferred as nodes are added), compile plans that train or evaluate it,
 * step optimizers, save and load checkpoints; no Lua needed.
 *
 *   cc prog.c $(pkg-config --cflags --libs vaegraph)
 *
 * The headers keep the source tree's layout; each documents its part:
 * graph.h (inputs, parameters, nodes), plan.h (compile and run), optim.h,
 * checkpoint.h, safetensors.h, rng.h, and the data readers. */
#ifndef VAEGRAPH_H
#define VAEGRAPH_H
#include "runtime/checkpoint.h"
#include "runtime/graph.h"
#include "runtime/idx.h"
#include "runtime/imageset.h"
#include "runtime/isa.h"
#include "runtime/optim.h"
#include "runtime/plan.h"
#include "runtime/pngfile.h"
#include "runtime/rng.h"
#include "runtime/safetensors.h"
#include "runtime/shape.h"
#include "runtime/text.h"
#endif
