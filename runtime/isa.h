/* Which vector instructions the kernels use: the best the CPU has, chosen
 * once per process, or an older path asked for with VAEGRAPH_ISA so that
 * every path can be run and tested on one machine. Within one path results
 * do not depend on the thread count; paths differ in their sums' order. */
#ifndef VG_ISA_H
#define VG_ISA_H

#include <stddef.h>

typedef enum vg_isa { VG_ISA_PORTABLE = 0, VG_ISA_AVX2 = 1, VG_ISA_AVX512 = 2 } vg_isa;

/* The path the kernels take: the CPU's best (AVX-512 needs F, BW, VL and
 * DQ; AVX2 needs FMA too), lowered by VAEGRAPH_ISA=portable|avx2|avx512.
 * An unknown or unavailable VAEGRAPH_ISA leaves the CPU's best:
 * vg_isa_check says so. */
vg_isa vg_isa_current(void);

/* The best path this CPU has, ignoring VAEGRAPH_ISA. */
vg_isa vg_isa_cpu(void);

/* For tests: makes vg_isa_current return isa, or the CPU's best when
 * isa is beyond it, and returns what it set. Not safe while kernels run. */
vg_isa vg_isa_force(vg_isa isa);

/* "portable", "avx2" or "avx512". */
const char *vg_isa_name(vg_isa isa);

/* 0 when VAEGRAPH_ISA is unset or names a path this CPU runs; else -1 and
 * a message in err: the program checks it before running anything. */
int vg_isa_check(char *err, size_t errlen);

#endif
