/* Run-time choice of the kernels' instruction set (isa.h). */
#include "isa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"portable", "avx2", "avx512"};

const char *vg_isa_name(vg_isa isa) { return names[isa]; }

vg_isa vg_isa_cpu(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return VG_ISA_PORTABLE;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return VG_ISA_AVX512;
  return VG_ISA_AVX2;
#else
  return VG_ISA_PORTABLE;
#endif
}

/* The level VAEGRAPH_ISA names, or -1 (unset: -2). */
static int asked(void) {
  const char *e = getenv("VAEGRAPH_ISA");
  if (!e || !*e) return -2;
  for (int i = 0; i < 3; i++)
    if (!strcmp(e, names[i])) return i;
  return -1;
}

static int chosen = -1;

vg_isa vg_isa_force(vg_isa isa) {
  const vg_isa cpu = vg_isa_cpu();
  if (isa > cpu) isa = cpu;
  __atomic_store_n(&chosen, (int)isa, __ATOMIC_RELEASE);
  return isa;
}

vg_isa vg_isa_current(void) {
  int isa = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
  if (isa >= 0) return (vg_isa)isa;
  const int cpu = (int)vg_isa_cpu(), want = asked();
  isa = want >= 0 && want < cpu ? want : cpu;
  __atomic_store_n(&chosen, isa, __ATOMIC_RELEASE);
  return (vg_isa)isa;
}

int vg_isa_check(char *err, size_t errlen) {
  const int want = asked();
  const vg_isa cpu = vg_isa_cpu();
  if (want == -1) {
    snprintf(err, errlen, "VAEGRAPH_ISA='%s' is not a path (valid: portable, avx2, avx512)", getenv("VAEGRAPH_ISA"));
    return -1;
  }
  if (want > (int)cpu) {
    snprintf(err, errlen, "VAEGRAPH_ISA=%s: this CPU runs at most the %s path", names[want], names[cpu]);
    return -1;
  }
  return 0;
}
