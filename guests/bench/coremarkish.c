/* coremarkish: a mixed integer workload in the spirit of CoreMark (our own code, not its
 * source). Each iteration runs four kernels on data seeded by the iteration number and folds
 * their results into a CRC-16:
 *   list    build a linked list in a node pool, find keys and values, reverse it, merge-sort it
 *           by value and back by key, unlink and relink nodes;
 *   matrix  small int16 matrices: add and multiply by a scalar, matrix times vector, matrix
 *           times matrix, and sums of extracted bit fields of the products;
 *   state   a state machine classifying the comma-separated numbers of a text buffer
 *           (integers, decimals, exponents, invalid), once as written and once with bytes
 *           scrambled, restored afterwards;
 *   crc     CRC-16 (reflected 0xA001) bit by bit over every kernel's results.
 * Checks: the list is in order after each sort, the scanned text is restored, and the final
 * CRC and state counts match. */
#include "bench.h"

#define ITERATIONS 2000

/* ---------------------------------------------------------------- crc */

static uint16_t crc8(uint8_t data, uint16_t crc)
{
    for (int i = 0; i < 8; i++) {
        uint8_t x = (uint8_t)((data ^ crc) & 1);
        data >>= 1;
        crc >>= 1;
        if (x) crc ^= 0xA001;
    }
    return crc;
}

static uint16_t crc16(uint16_t v, uint16_t crc) { return crc8((uint8_t)(v >> 8), crc8((uint8_t)v, crc)); }
static uint16_t crc32w(uint32_t v, uint16_t crc) { return crc16((uint16_t)(v >> 16), crc16((uint16_t)v, crc)); }

/* --------------------------------------------------------------- list */

#define LIST_N 160

typedef struct node {
    struct node *next;
    int16_t key;
    uint16_t val;
} node;

static node pool[LIST_N];

static node *list_build(uint32_t seed)
{
    node *head = 0;
    for (int i = LIST_N - 1; i >= 0; i--) {
        seed = seed * 1103515245u + 12345u;
        pool[i].key = (int16_t)i;
        pool[i].val = (uint16_t)(seed >> 12);
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static node *list_find_key(node *l, int16_t key)
{
    while (l && l->key != key) l = l->next;
    return l;
}

static node *list_find_val(node *l, uint16_t val, int *pos)
{
    int p = 0;
    while (l && (l->val & 0xff) != val) { l = l->next; p++; }
    *pos = p;
    return l;
}

static node *list_reverse(node *l)
{
    node *r = 0;
    while (l) {
        node *n = l->next;
        l->next = r;
        r = l;
        l = n;
    }
    return r;
}

static int cmp_val(const node *a, const node *b) { return (int)a->val - (int)b->val; }
static int cmp_key(const node *a, const node *b) { return (int)a->key - (int)b->key; }

/* Bottom-up merge sort of a singly linked list: stable, no recursion, no extra memory. */
static node *list_sort(node *l, int (*cmp)(const node *, const node *))
{
    for (int width = 1;; width *= 2) {
        node *p = l, *tail = 0;
        l = 0;
        int merges = 0;
        while (p) {
            merges++;
            node *q = p;
            int psize = 0;
            for (int i = 0; i < width && q; i++) { q = q->next; psize++; }
            int qsize = width;
            while (psize > 0 || (qsize > 0 && q)) {
                node *e;
                if (psize == 0) { e = q; q = q->next; qsize--; }
                else if (qsize == 0 || !q) { e = p; p = p->next; psize--; }
                else if (cmp(p, q) <= 0) { e = p; p = p->next; psize--; }
                else { e = q; q = q->next; qsize--; }
                if (tail) tail->next = e; else l = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1) return l;
    }
}

static int list_ordered(const node *l, int (*cmp)(const node *, const node *))
{
    for (; l && l->next; l = l->next)
        if (cmp(l, l->next) > 0) return 0;
    return 1;
}

/* Returns 0 and folds the results into *crc, or a check code. */
static int bench_list(uint32_t iter, uint16_t *crc)
{
    node *l = list_build(iter * 7919u + 1);
    uint16_t c = *crc;
    int found = 0, missed = 0;
    for (int i = 0; i < 12; i++) {
        int pos;
        node *n = list_find_val(l, (uint16_t)((iter + i * 37) & 0xff), &pos);
        if (n) { found++; c = crc16((uint16_t)(n->key * 3 + pos), c); }
        else missed++;
        n = list_find_key(l, (int16_t)((i * 13 + iter) % (LIST_N + 8)));
        if (n) c = crc16(n->val, c);
    }
    c = crc16((uint16_t)(found << 8 | missed), c);

    l = list_reverse(l);
    c = crc16((uint16_t)l->key, c);
    l = list_sort(l, cmp_val);
    if (!list_ordered(l, cmp_val)) return 1;
    int idx = 0;
    for (node *n = l; n; n = n->next, idx++)
        if ((idx & 7) == 0) c = crc16(n->val ^ (uint16_t)n->key, c);

    /* unlink every third node and put them back at the front, then sort by key again */
    node *moved = 0, **pp = &l;
    idx = 0;
    while (*pp) {
        if (idx++ % 3 == 0) {
            node *n = *pp;
            *pp = n->next;
            n->next = moved;
            moved = n;
        } else {
            pp = &(*pp)->next;
        }
    }
    *pp = moved;
    l = list_sort(l, cmp_key);
    if (!list_ordered(l, cmp_key)) return 2;
    idx = 0;
    for (node *n = l; n; n = n->next) idx++;
    if (idx != LIST_N) return 3;
    *crc = crc16(l->val, c);
    return 0;
}

/* ------------------------------------------------------------- matrix */

#define MN 12

static int16_t ma[MN][MN], mb[MN][MN];
static int32_t mc[MN][MN];
static int32_t mv[MN];

static void mat_init(uint32_t seed)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            seed = seed * 1664525u + 1013904223u;
            ma[i][j] = (int16_t)((seed >> 16) & 0x3ff) - 512;
            mb[i][j] = (int16_t)((seed >> 6) & 0x1ff) - 256;
        }
}

static void mat_add_const(int16_t m[MN][MN], int16_t v)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) m[i][j] += v;
}

static void mat_mul_const(int32_t c[MN][MN], const int16_t m[MN][MN], int16_t v)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) c[i][j] = (int32_t)m[i][j] * v;
}

static void mat_mul_vec(int32_t *r, const int16_t m[MN][MN], const int16_t *v)
{
    for (int i = 0; i < MN; i++) {
        int32_t s = 0;
        for (int j = 0; j < MN; j++) s += (int32_t)m[i][j] * v[j];
        r[i] = s;
    }
}

static void mat_mul(int32_t c[MN][MN], const int16_t a[MN][MN], const int16_t b[MN][MN])
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int k = 0; k < MN; k++) s += (int32_t)a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

static void mat_mul_bits(int32_t c[MN][MN], const int16_t a[MN][MN], const int16_t b[MN][MN])
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int k = 0; k < MN; k++) {
                int32_t t = (int32_t)a[i][k] * b[k][j];
                s += ((t >> 2) & 0xf) * ((t >> 5) & 0x7f);
            }
            c[i][j] = s;
        }
}

/* Sum of the matrix with a running clip: counts how often the partial sum passes a limit. */
static int16_t mat_sum(const int32_t c[MN][MN], int32_t limit)
{
    int32_t tmp = 0, prev = 0;
    int16_t ret = 0;
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t cur = c[i][j];
            tmp += cur;
            if (tmp > limit) { ret += 10; tmp = 0; }
            else ret += (cur > prev) ? 1 : 0;
            prev = cur;
        }
    return ret;
}

static void bench_matrix(uint32_t iter, uint16_t *crc)
{
    uint16_t c = *crc;
    int16_t v = (int16_t)((iter & 0x3f) | 0x10);
    mat_init(iter * 31u + 5);
    mat_add_const(ma, v);
    mat_mul_const(mc, ma, v);
    c = crc16((uint16_t)mat_sum(mc, 4000 * v), c);
    mat_mul_vec(mv, ma, mb[iter % MN]);
    for (int i = 0; i < MN; i++) c = crc32w((uint32_t)mv[i], c);
    mat_mul(mc, ma, mb);
    c = crc16((uint16_t)mat_sum(mc, 400000), c);
    c = crc32w((uint32_t)mc[iter % MN][(iter / MN) % MN], c);
    mat_mul_bits(mc, ma, mb);
    c = crc16((uint16_t)mat_sum(mc, 50000), c);
    mat_add_const(ma, (int16_t)-v);
    *crc = c;
}

/* -------------------------------------------------------------- state */

enum state { S_START, S_INT, S_SIGN, S_DOT, S_FRAC, S_EXP, S_EXPSIGN, S_SCI, S_INVALID, S_COUNT };

static const char number_text[] =
    "5012,1.25,-190,+3.75e12,0.5e-3,.125,abc,77,-.5,4e+2,12x4,0x1f,-0,19.,+,3.1415926,"
    "8765432,1e,-7.25E-5,000123,5.5.5,6e6e6,-42,+0.0001,2.5e+07,--3,99,1234567890,7.e3,e4,"
    "314,-2.718,11,0.,+8,4.4e4,x,-6.02e23,100000,33.33,.e1,9,-1.5e-9,256,+65536,1.0,";

static char text[sizeof number_text];

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* Classifies one token starting at *p (up to a comma or the end), counting transitions. */
static enum state scan_token(const char **p, uint32_t *transitions)
{
    enum state s = S_START;
    const char *q = *p;
    for (; *q && *q != ','; q++) {
        char ch = *q;
        enum state n = S_INVALID;
        switch (s) {
        case S_START:
            if (is_digit(ch)) n = S_INT;
            else if (ch == '+' || ch == '-') n = S_SIGN;
            else if (ch == '.') n = S_DOT;
            break;
        case S_SIGN:
            if (is_digit(ch)) n = S_INT;
            else if (ch == '.') n = S_DOT;
            break;
        case S_INT:
            if (is_digit(ch)) n = S_INT;
            else if (ch == '.') n = S_FRAC;
            else if (ch == 'e' || ch == 'E') n = S_EXP;
            break;
        case S_DOT:
            if (is_digit(ch)) n = S_FRAC;
            break;
        case S_FRAC:
            if (is_digit(ch)) n = S_FRAC;
            else if (ch == 'e' || ch == 'E') n = S_EXP;
            break;
        case S_EXP:
            if (is_digit(ch)) n = S_SCI;
            else if (ch == '+' || ch == '-') n = S_EXPSIGN;
            break;
        case S_EXPSIGN:
        case S_SCI:
            if (is_digit(ch)) n = S_SCI;
            break;
        default:
            break;
        }
        if (n != s) (*transitions)++;
        s = n;
    }
    *p = *q ? q + 1 : q;
    return s;
}

static void scan(const char *t, uint32_t counts[S_COUNT], uint32_t *transitions)
{
    while (*t) counts[scan_token(&t, transitions)]++;
}

/* Returns 0 and folds the counts into *crc, or a check code; totals[] accumulates final-state counts. */
static int bench_state(uint32_t iter, uint16_t *crc, uint32_t totals[S_COUNT])
{
    uint32_t counts[S_COUNT] = {0}, transitions = 0;
    uint16_t c = *crc;
    scan(text, counts, &transitions);
    /* scramble every step-th byte (never into a comma or the end), scan again, restore */
    uint32_t step = 3 + iter % 11;
    uint8_t x = (uint8_t)(1 + (iter & 0x1f));
    for (uint32_t i = iter % step; i < sizeof text - 1; i += step)
        if (text[i] != ',') { text[i] ^= x; if (text[i] == ',' || text[i] == 0) text[i] ^= x; }
    scan(text, counts, &transitions);
    for (uint32_t i = iter % step; i < sizeof text - 1; i += step)
        if (text[i] != ',') { text[i] ^= x; if (text[i] == ',' || text[i] == 0) text[i] ^= x; }
    for (uint32_t i = 0; i < sizeof text; i++)
        if (text[i] != number_text[i]) return 4;
    for (int s = 0; s < S_COUNT; s++) {
        c = crc16((uint16_t)counts[s], c);
        totals[s] += counts[s];
    }
    *crc = crc32w(transitions, c);
    return 0;
}

/* --------------------------------------------------------------- main */

int main(unsigned long hartid)
{
    if (hartid) return 0;
    for (uint32_t i = 0; i < sizeof text; i++) text[i] = number_text[i];
    uint16_t crc = 0, list_crc = 0, mat_crc = 0, state_crc = 0;
    uint32_t totals[S_COUNT] = {0};
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        int r = bench_list(it, &list_crc);
        if (r) return r;
        bench_matrix(it, &mat_crc);
        r = bench_state(it, &state_crc, totals);
        if (r) return r;
        crc = crc16(list_crc, crc16(mat_crc, crc16(state_crc, crc)));
    }
    bench_report_instret();
    BENCH_EXPECT(5, list_crc, 0x4e0c);
    BENCH_EXPECT(6, mat_crc, 0xec20);
    BENCH_EXPECT(7, state_crc, 0x3adb);
    BENCH_EXPECT(8, totals[S_INT] << 16 | totals[S_FRAC], 0xd0957b09);
    BENCH_EXPECT(9, totals[S_SCI] << 16 | totals[S_INVALID], 0x65090151);
    BENCH_EXPECT(10, crc, 0x68c5);
    return 0;
}
