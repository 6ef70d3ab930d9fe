/* float: F and D arithmetic (RV64GC, lp64d; crt.S turns mstatus.FS on): a 64x64 double matrix
 * multiply, a 1024-point complex radix-2 FFT and its inverse in double, and a 5-body gravity
 * simulation in single precision (fsqrt.s, fdiv.s), each repeated. IEEE arithmetic is exact
 * to the bit, so the checksums of the result bits are the same on every correct RISC-V. */
#include "bench.h"

#define DIM 64
#ifndef MM_REPS
#define MM_REPS 64
#endif
#define FFT_N 1024
#define FFT_LOG 10
#ifndef FFT_REPS
#define FFT_REPS 100
#endif
#define BODIES 5
#ifndef STEPS
#define STEPS 150000
#endif

static double A[DIM][DIM], B[DIM][DIM], C[DIM][DIM];

static uint64_t bits_d(double d)
{
    uint64_t u;
    __builtin_memcpy(&u, &d, sizeof u);
    return u;
}

static uint32_t bits_s(float f)
{
    uint32_t u;
    __builtin_memcpy(&u, &f, sizeof u);
    return u;
}

static uint64_t mix(uint64_t h, uint64_t v) { return (h << 7 | h >> 57) ^ v; }

static double unit(uint64_t *seed) { return (double)(bench_rand(seed) >> 11) * 0x1p-53 - 0.5; }

static void matmul(void)
{
    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) C[i][j] = 0;
        for (int k = 0; k < DIM; k++) {
            double aik = A[i][k];
            for (int j = 0; j < DIM; j++) C[i][j] += aik * B[k][j];
        }
    }
}

static double re[FFT_N], im[FFT_N], wr[FFT_N / 2], wi[FFT_N / 2];

/* In-place iterative radix-2 FFT; sign -1 forward, +1 inverse (unscaled). */
static void fft(int sign)
{
    for (int i = 1, j = 0; i < FFT_N; i++) {
        int bit = FFT_N >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int len = 2; len <= FFT_N; len <<= 1) {
        int step = FFT_N / len;
        for (int i = 0; i < FFT_N; i += len)
            for (int k = 0; k < len / 2; k++) {
                double cr = wr[k * step], ci = sign * wi[k * step];
                double xr = re[i + k + len / 2], xi = im[i + k + len / 2];
                double tr = xr * cr - xi * ci, ti = xr * ci + xi * cr;
                re[i + k + len / 2] = re[i + k] - tr;
                im[i + k + len / 2] = im[i + k] - ti;
                re[i + k] += tr;
                im[i + k] += ti;
            }
    }
}

/* Twiddles e^(-2 pi i k / N) from one rotation step (cos/sin of 2 pi / N by their series). */
static void twiddles(void)
{
    double x = 6.283185307179586 / FFT_N, x2 = x * x;
    double c = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56)));
    double s = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72))));
    double r = 1, i = 0;
    for (int k = 0; k < FFT_N / 2; k++) {
        wr[k] = r;
        wi[k] = -i;
        double t = r * c - i * s;
        i = r * s + i * c;
        r = t;
    }
}

static float px[BODIES], py[BODIES], pz[BODIES], vx[BODIES], vy[BODIES], vz[BODIES], mass[BODIES];

static void nbody_step(float dt)
{
    for (int i = 0; i < BODIES; i++)
        for (int j = i + 1; j < BODIES; j++) {
            float dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
            float d2 = dx * dx + dy * dy + dz * dz + 0.01f;
            float mag = dt / (d2 * __builtin_sqrtf(d2));
            vx[i] -= dx * mass[j] * mag; vy[i] -= dy * mass[j] * mag; vz[i] -= dz * mass[j] * mag;
            vx[j] += dx * mass[i] * mag; vy[j] += dy * mass[i] * mag; vz[j] += dz * mass[i] * mag;
        }
    for (int i = 0; i < BODIES; i++) {
        px[i] += dt * vx[i]; py[i] += dt * vy[i]; pz[i] += dt * vz[i];
    }
}

int main(unsigned long hartid)
{
    if (hartid) return 0;
    uint64_t seed = 0x5eedf100a7c0ffeeull;

    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) { A[i][j] = unit(&seed); B[i][j] = unit(&seed); }
    uint64_t mm = 0;
    for (int rep = 0; rep < MM_REPS; rep++) {
        matmul();
        for (int i = 0; i < DIM; i++)
            for (int j = 0; j < DIM; j++) mm = mix(mm, bits_d(C[i][j]));
        A[rep % DIM][(rep * 5) % DIM] += 0.125;
    }

    twiddles();
    for (int i = 0; i < FFT_N; i++) { re[i] = unit(&seed); im[i] = unit(&seed); }
    uint64_t ff = 0;
    for (int rep = 0; rep < FFT_REPS; rep++) {
        fft(-1);
        ff = mix(ff, bits_d(re[rep]) ^ bits_d(im[FFT_N - 1 - rep]));
        fft(1);
        for (int i = 0; i < FFT_N; i++) { re[i] *= 1.0 / FFT_N; im[i] *= 1.0 / FFT_N; }
    }
    for (int i = 0; i < FFT_N; i++) ff = mix(ff, bits_d(re[i]) + bits_d(im[i]));

    for (int i = 0; i < BODIES; i++) {
        px[i] = (float)unit(&seed) * 10; py[i] = (float)unit(&seed) * 10; pz[i] = (float)unit(&seed) * 10;
        vx[i] = (float)unit(&seed); vy[i] = (float)unit(&seed); vz[i] = (float)unit(&seed);
        mass[i] = 1.0f + (float)(i + 1) * 0.5f;
    }
    for (int s = 0; s < STEPS; s++) nbody_step(0.001f);
    uint64_t nb = 0;
    for (int i = 0; i < BODIES; i++)
        nb = mix(mix(mix(nb, bits_s(px[i])), bits_s(py[i])), bits_s(vz[i]));

    bench_report_instret();
    BENCH_EXPECT(1, mm, 0x380faf3e1c83ce21ull);
    BENCH_EXPECT(2, ff, 0xbc3f86badaf9e1eeull);
    BENCH_EXPECT(3, nb, 0x4eb9b7e804a42b0cull);
    return 0;
}
