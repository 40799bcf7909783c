/* The op registry, compiled once per real type like the op files. */
#include "../runtime/op.h"

#define VG_OP(name, ID) extern const vg_op VG_SFX(vg_op_##name);
#include "ops.def"
#undef VG_OP

const vg_op *const VG_SFX(vg_ops)[VG_OP_COUNT] = {
#define VG_OP(name, ID) [VG_OP_##ID] = &VG_SFX(vg_op_##name),
#include "ops.def"
#undef VG_OP
};
