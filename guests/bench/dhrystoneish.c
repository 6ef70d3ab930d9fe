/* dhrystoneish: a "systems code" workload in the spirit of Dhrystone (our own code, not its
 * source): many small calls that are kept out of line, records passed and returned by pointer,
 * string copy and compare, enums and switch statements, one- and two-dimensional arrays, and a
 * little global state. A library of accounts moves records between two queues, renames them,
 * classifies them, and compares their names; every pass folds its results into a checksum.
 * Checks: the checksum, the final global state and one record's fields. */
#include "bench.h"

#define PASSES 350000
#define NOINLINE __attribute__((noinline))

typedef enum { KIND_NONE, KIND_SAVINGS, KIND_CHECKING, KIND_LOAN, KIND_CLOSED } kind_t;
typedef enum { LEVEL_LOW, LEVEL_MID, LEVEL_HIGH } level_t;

typedef struct account {
    struct account *link;
    kind_t kind;
    level_t level;
    int32_t balance;
    int32_t serial;
    char name[32];
} account_t;

static account_t book[4];
static account_t *front, *back;
static int32_t table1[48];
static int32_t table2[48][48];
static int32_t glob_count;
static char glob_tag = 'A';
static int glob_flag;
static char name_buf[2][32];

/* ------------------------------------------------------------ strings */

NOINLINE static void str_copy(char *d, const char *s)
{
    while ((*d++ = *s++) != 0) { }
}

NOINLINE static int str_compare(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

NOINLINE static int str_length(const char *s)
{
    int n = 0;
    while (s[n]) n++;
    return n;
}

/* ------------------------------------------------------- small calls */

NOINLINE static level_t level_of(int32_t balance)
{
    if (balance < 100) return LEVEL_LOW;
    if (balance < 10000) return LEVEL_MID;
    return LEVEL_HIGH;
}

NOINLINE static kind_t next_kind(kind_t k)
{
    switch (k) {
    case KIND_NONE: return KIND_SAVINGS;
    case KIND_SAVINGS: return KIND_CHECKING;
    case KIND_CHECKING: return KIND_LOAN;
    case KIND_LOAN: return KIND_SAVINGS;
    default: return KIND_CLOSED;
    }
}

NOINLINE static int same_tag(char a, char b)
{
    if (a == b) { glob_tag = a; return 1; }
    return 0;
}

NOINLINE static int32_t interest(const account_t *a, int32_t rate)
{
    switch (a->kind) {
    case KIND_SAVINGS: return a->balance / 100 * rate;
    case KIND_CHECKING: return rate;
    case KIND_LOAN: return -(a->balance / 50) * rate;
    default: return 0;
    }
}

NOINLINE static void add3(int32_t a, int32_t b, int32_t *out) { *out = a + b + 3; }

NOINLINE static void tables_update(int32_t *t1, int32_t t2[48][48], int32_t i, int32_t v)
{
    int32_t k = i + 5;
    t1[k] = v;
    t1[k + 1] = t1[k];
    t1[k + 24] = k;
    for (int32_t j = k; j <= k + 1; j++) t2[k][j] = k;
    t2[k][k - 1] += 1;
    t2[k + 20][k] = t1[k];
    glob_count = 5;
}

NOINLINE static int names_ordered(const char *a, const char *b)
{
    int c = str_compare(a, b);
    if (c > 0) { glob_count += 7; return 0; }
    return 1;
}

/* Copies the record that *from points to into *to, reclassifies it and links it in front. */
NOINLINE static void transfer(account_t *to, const account_t *from, int32_t amount)
{
    *to = *from;
    to->balance += amount;
    to->level = level_of(to->balance);
    if (to->level == LEVEL_HIGH) {
        to->kind = next_kind(to->kind);
        to->balance -= 5000;
    } else {
        add3(to->balance, amount, &to->balance);
    }
    to->link = front;
}

NOINLINE static void rename_account(account_t *a, int pass)
{
    str_copy(a->name, name_buf[pass & 1]);
    a->name[3] = (char)('0' + pass % 10);
    a->serial = pass;
}

NOINLINE static int32_t classify(account_t *a, char tag)
{
    int32_t r = 0;
    for (char ch = 'A'; ch <= tag; ch++)
        if (same_tag(ch, (char)('A' + (a->serial & 3)))) r += ch;
    if (a->kind == KIND_CLOSED) r = -r;
    return r;
}

NOINLINE static void swap_queues(void)
{
    account_t *t = front;
    front = back;
    back = t;
    glob_flag = !glob_flag;
}

/* --------------------------------------------------------------- main */

int main(unsigned long hartid)
{
    if (hartid) return 0;
    str_copy(name_buf[0], "SAVINGS ACCOUNT, FIRST RECORD..");
    str_copy(name_buf[1], "SAVINGS ACCOUNT, SECOND RECORD.");
    for (int i = 0; i < 4; i++) {
        book[i].kind = (kind_t)(i % 4);
        book[i].level = LEVEL_LOW;
        book[i].balance = 1000 * i + 17;
        book[i].serial = i;
        str_copy(book[i].name, name_buf[i & 1]);
    }
    front = &book[0];
    back = &book[1];
    book[0].link = &book[2];
    book[1].link = &book[3];

    uint64_t sum = 0;
    char local[32];
    for (int pass = 1; pass <= PASSES; pass++) {
        int32_t a = pass & 0xff, b = 3, c;
        add3(a, b, &c);
        transfer(back, front, a);
        rename_account(back, pass);
        str_copy(local, back->name);
        int ordered = names_ordered(local, front->name);
        int32_t cls = classify(back, (char)('A' + pass % 5));
        tables_update(table1, table2, pass % 16, c);
        int32_t in = interest(front, b) + interest(back, a);
        if (str_compare(local, name_buf[pass & 1]) == 0) glob_count += 1;
        int len = str_length(back->name);
        switch (back->kind) {
        case KIND_SAVINGS: c += len; break;
        case KIND_CHECKING: c -= len; break;
        case KIND_LOAN: c ^= len; break;
        default: c = 0; break;
        }
        if (back->balance > 1000000) back->balance = 17;
        swap_queues();
        sum = sum * 31 + (uint64_t)(uint32_t)(c + in + cls) + (uint64_t)ordered + (uint64_t)glob_count
            + (uint64_t)(uint32_t)back->balance + (uint64_t)glob_tag;
    }
    bench_report_instret();
    BENCH_EXPECT(1, sum, 0x75490879a6f85215ull);
    BENCH_EXPECT(2, (uint64_t)glob_count << 32 | (uint64_t)(uint32_t)glob_tag << 8 | (uint64_t)glob_flag, 0x0000000500004100ull);
    BENCH_EXPECT(3, (uint64_t)(uint32_t)front->balance << 32 | (uint64_t)front->kind << 8 | (uint64_t)front->level, 0x0000269f00000301ull);
    BENCH_EXPECT(4, (uint64_t)(uint32_t)table1[10] << 32 | (uint32_t)table2[10][9], 0x0000002b00005573ull);
    BENCH_EXPECT(5, (uint64_t)(unsigned char)front->name[3] << 32 | (uint32_t)front->serial, 0x0000003000055730ull);
    return 0;
}
