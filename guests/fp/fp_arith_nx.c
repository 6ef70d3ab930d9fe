/* fp_arith_nx: fp_arith with NX already accrued before every instruction (fsflagsi 1 where
 * fp_arith clears the flags), so the same operand tables run where Rivet may use the host's
 * arithmetic (round-to-nearest-even with NX set: HardFloat, docs/FLOATING-POINT.md). The
 * expected output (fp_arith_nx.expected) is qemu-system-riscv64 7.2's. */
#define PRESET_NX
#include "fp_arith.c"
