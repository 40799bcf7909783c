# Sourced by the bench scripts that run PyTorch or OpenBLAS beside vaegraph:
# gives OpenBLAS the kernel that fits this CPU, so the peer runs at its best.
# Debian's OpenBLAS 0.3.21 takes some newer CPUs for older ones (a Sapphire
# Rapids Xeon for a "Prescott") and then runs a generic kernel several times
# slower; OPENBLAS_CORETYPE overrides its guess. AVX-512 (F, BW, VL, DQ):
# SkylakeX; else AVX2 with FMA: Haswell; else OpenBLAS's own guess. Set
# VG_KEEP_CORETYPE=1 to keep an OPENBLAS_CORETYPE already in the environment.
vg_flags=$(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
vg_has() { case " $vg_flags " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if vg_has avx512f && vg_has avx512bw && vg_has avx512vl && vg_has avx512dq; then
  vg_core=SkylakeX
elif vg_has avx2 && vg_has fma; then
  vg_core=Haswell
else
  vg_core=
fi
if [ -n "$vg_core" ] && [ -z "${VG_KEEP_CORETYPE:-}" ]; then
  if [ "${OPENBLAS_CORETYPE:-}" != "$vg_core" ]; then
    echo "== OPENBLAS_CORETYPE=$vg_core for the peer (this CPU's widest OpenBLAS kernel; was ${OPENBLAS_CORETYPE:-unset})"
  fi
  export OPENBLAS_CORETYPE=$vg_core
fi
unset vg_flags vg_core
