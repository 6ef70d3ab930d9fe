/* matmul: 128x128 32-bit integer matrix multiply (i-k-j order, wrapping
 * arithmetic), REPS times; A is perturbed between repetitions and a checksum
 * of every product is checked at the end. */
#include "bench.h"

#define DIM 128
#define REPS 20

static uint32_t A[DIM][DIM], B[DIM][DIM], C[DIM][DIM];

static void matmul(void)
{
    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) C[i][j] = 0;
        for (int k = 0; k < DIM; k++) {
            uint32_t aik = A[i][k];
            for (int j = 0; j < DIM; j++) C[i][j] += aik * B[k][j];
        }
    }
}

int main(unsigned long hartid)
{
    if (hartid) return 0;
    uint64_t seed = 0x0ddba11deadbeef5ull;
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) {
            uint64_t r = bench_rand(&seed);
            A[i][j] = (uint32_t)r;
            B[i][j] = (uint32_t)(r >> 32);
        }
    /* identity check: A * I == A */
    static uint32_t Bsave[DIM][DIM];
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) { Bsave[i][j] = B[i][j]; B[i][j] = i == j; }
    matmul();
    uint32_t diff = 0;
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) diff |= C[i][j] ^ A[i][j];
    BENCH_EXPECT(1, diff, 0);
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) B[i][j] = Bsave[i][j];

    uint64_t check = 0;
    for (int rep = 0; rep < REPS; rep++) {
        matmul();
        for (int i = 0; i < DIM; i++)
            for (int j = 0; j < DIM; j++) check = (check << 5 | check >> 59) ^ C[i][j];
        A[rep % DIM][(rep * 7) % DIM] += 1;
    }
    bench_report_instret();
    BENCH_EXPECT(2, check, 0xc9afe3acb1b4a6a9ull);
    return 0;
}
