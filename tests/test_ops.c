/* The op records themselves, float and double builds alike: names unique
 * and in ops/ops.def's order, attribute slots without gaps (a record's
 * attribute list ends at its first unnamed slot, so a gap left by a
 * designated initialiser would hide the attributes after it), sensible
 * input counts, and a forward for every op that is not a source. */
#include <string.h>

#include "check.h"
#include "op.h"

static const char *const listed[] = {
#define VG_OP(name, ID) #name,
#include "../ops/ops.def"
#undef VG_OP
};

int main(void) {
  CHECK(sizeof listed / sizeof listed[0] == VG_OP_COUNT, "ops.def lists %zu ops, the registry %d",
        sizeof listed / sizeof listed[0], (int)VG_OP_COUNT);
  for (int i = 0; i < VG_OP_COUNT; i++) {
    const vg_op_f32 *f = vg_ops_f32[i];
    const vg_op_f64 *d = vg_ops_f64[i];
    CHECK(f && d, "op %d has no record", i);
    if (!f || !d) continue;
    CHECK(strcmp(f->name, listed[i]) == 0 && strcmp(d->name, listed[i]) == 0, "op %d is '%s' in ops.def, '%s' in its record",
          i, listed[i], f->name);
    for (int j = 0; j < i; j++) CHECK(strcmp(f->name, vg_ops_f32[j]->name) != 0, "two ops are named '%s'", f->name);
    CHECK(f->nin_min >= 0 && f->nin_min <= f->nin_max && f->nin_max <= VG_MAX_IN, "%s: inputs %d..%d", f->name, f->nin_min,
          f->nin_max);
    if (!(f->flags & VG_OPF_SOURCE)) CHECK(f->forward && d->forward && f->infer, "%s: no forward or infer", f->name);
    CHECK(f->doc && f->doc[0], "%s: no doc (the guide's op table is made from it)", f->name);
    int named = 0;
    while (named < VG_MAX_ATTR && f->attrs[named].name) named++;
    for (int k = named; k <= VG_MAX_ATTR; k++)
      CHECK(!f->attrs[k].name, "%s: attribute slot %d ('%s') comes after an empty slot %d", f->name, k, f->attrs[k].name, named);
    for (int k = 0; k < named; k++) {
      CHECK(strcmp(f->attrs[k].name, d->attrs[k].name) == 0, "%s: attribute %d differs between builds", f->name, k);
      for (int m = 0; m < k; m++) CHECK(strcmp(f->attrs[k].name, f->attrs[m].name) != 0, "%s: two attributes '%s'", f->name, f->attrs[k].name);
    }
  }
  CHECK_DONE();
}
