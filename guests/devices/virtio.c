/* A minimal modern (version 2) virtio-mmio driver: lists the 8 slots, then drives a virtio-blk
 * (reads sectors 0 and 1, writes sector 2 and flushes, reads it back, GET_ID) and a virtio-rng,
 * and claims the block device's interrupt through the PLIC's M context. Prints what it sees.
 * With a read-only drive (VIRTIO_BLK_F_RO) it checks that a write fails with IOERR instead.
 * On QEMU 7.2: qemu-system-riscv64 -M virt -bios none -nographic -global
 *   virtio-mmio.force-legacy=false -drive file=D,format=raw,if=none,id=d -device
 *   virtio-blk-device,drive=d,serial=rivet-serial -device virtio-rng-device -kernel virtio.elf
 * The image's sector 0 starts with "RIVET-DISK-0", sector 1 with "RIVET-DISK-1". */
#include "guest.h"

#define VIRTIO_BASE 0x10001000UL
#define PLIC_BASE   0x0c000000UL
#define R(base, off) (*(volatile uint32_t *)((base) + (off)))

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq {
    struct desc desc[8];
    uint16_t avail_flags, avail_idx, avail_ring[8], used_event;
    uint8_t pad[4096 - 8 * 16 - 22];
    uint16_t used_flags, used_idx;
    struct { uint32_t id, len; } used_ring[8];
};
static struct vq blkq __attribute__((aligned(4096)));
static struct vq rngq __attribute__((aligned(4096)));
static uint8_t data[1024] __attribute__((aligned(16)));
static uint8_t rnd[64];
static struct { uint32_t type, reserved; uint64_t sector; } hdr;
static volatile uint8_t status;

static void put_hex(uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) uart_putc("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void put_dec(uint64_t v)
{
    char b[21];
    int n = 0;
    do { b[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) uart_putc(b[--n]);
}

static int same(const uint8_t *a, const char *s)
{
    for (; *s; s++, a++) if (*a != (uint8_t)*s) return 0;
    return 1;
}

/* Status, features (VERSION_1 and what the device offers of `want`), queue 0 of 8. */
static uint64_t setup(unsigned long base, struct vq *q, uint32_t want)
{
    R(base, 0x70) = 0;
    R(base, 0x70) = 1;
    R(base, 0x70) = 1 | 2;
    R(base, 0x14) = 0;
    uint32_t lo = R(base, 0x10) & want;
    R(base, 0x14) = 1;
    uint32_t hi = R(base, 0x10);
    if (!(hi & 1)) guest_exit(10);
    R(base, 0x24) = 0;
    R(base, 0x20) = lo;
    R(base, 0x24) = 1;
    R(base, 0x20) = 1; /* VIRTIO_F_VERSION_1 */
    R(base, 0x70) = 1 | 2 | 8;
    if (!(R(base, 0x70) & 8)) guest_exit(11);
    R(base, 0x30) = 0;
    if (R(base, 0x34) < 8) guest_exit(12);
    R(base, 0x38) = 8;
    R(base, 0x80) = (uint32_t)(uintptr_t)q->desc; R(base, 0x84) = 0;
    R(base, 0x90) = (uint32_t)(uintptr_t)&q->avail_flags; R(base, 0x94) = 0;
    R(base, 0xa0) = (uint32_t)(uintptr_t)&q->used_flags; R(base, 0xa4) = 0;
    R(base, 0x44) = 1;
    R(base, 0x70) = 1 | 2 | 4 | 8;
    return (uint64_t)(hi & 1) << 32 | lo; /* QEMU offers more high bits (RING_RESET): not shown */
}

/* Submits the chain at descriptor 0 and waits for it to be used; returns used.len. */
static uint32_t submit(unsigned long base, struct vq *q)
{
    uint16_t idx = q->avail_idx;
    q->avail_ring[idx % 8] = 0;
    __asm__ volatile("fence rw, rw");
    q->avail_idx = (uint16_t)(idx + 1);
    __asm__ volatile("fence rw, rw");
    R(base, 0x50) = 0;
    while (*(volatile uint16_t *)&q->used_idx == idx) { }
    __asm__ volatile("fence rw, rw");
    return q->used_ring[idx % 8].len;
}

/* One block request: header, data (if len), status. */
static int blk(unsigned long base, uint32_t type, uint64_t sector, uint32_t len, int device_writes)
{
    hdr.type = type;
    hdr.sector = sector;
    status = 0xff;
    blkq.desc[0] = (struct desc){ (uintptr_t)&hdr, 16, 1, 1 };
    int n = 1;
    if (len) {
        blkq.desc[1] = (struct desc){ (uintptr_t)data, len, (uint16_t)(1 | (device_writes ? 2 : 0)), 2 };
        n = 2;
    }
    blkq.desc[n] = (struct desc){ (uintptr_t)&status, 1, 2, 0 };
    if (n == 1) blkq.desc[0].next = 1;
    uint32_t used = submit(base, &blkq);
    uart_puts(" used.len=");
    put_dec(used);
    uart_puts(" status=");
    put_dec(status);
    uart_putc('\n');
    return status;
}

int main(unsigned long hartid)
{
    if (hartid != 0) return 0;
    unsigned long blkbase = 0, rngbase = 0;
    int blkslot = 0;
    for (int i = 0; i < 8; i++) {
        unsigned long b = VIRTIO_BASE + 0x1000UL * i;
        uart_puts("slot ");
        put_dec(i);
        uart_puts(": magic=");
        put_hex(R(b, 0), 8);
        uart_puts(" version=");
        put_dec(R(b, 4));
        uart_puts(" device=");
        put_dec(R(b, 8));
        uart_puts(" vendor=");
        put_hex(R(b, 0xc), 8);
        uart_putc('\n');
        if (R(b, 8) == 2 && !blkbase) { blkbase = b; blkslot = i; }
        if (R(b, 8) == 4 && !rngbase) rngbase = b;
    }
    if (blkbase) {
        /* SEG_MAX, RO, BLK_SIZE, FLUSH */
        uint64_t f = setup(blkbase, &blkq, 1u << 2 | 1u << 5 | 1u << 6 | 1u << 9);
        uint64_t capacity = R(blkbase, 0x100) | (uint64_t)R(blkbase, 0x104) << 32;
        uart_puts("blk: features=");
        put_hex(f, 16);
        uart_puts(" capacity=");
        put_dec(capacity);
        uart_puts(" seg_max=");
        put_dec(R(blkbase, 0x10c));
        uart_puts(" blk_size=");
        put_dec(R(blkbase, 0x114));
        uart_puts(" generation=");
        put_dec(R(blkbase, 0xfc));
        uart_putc('\n');
        /* The interrupt through the PLIC: priority 1, enabled for hart 0's M context, threshold 0. */
        unsigned irq = 1 + blkslot;
        R(PLIC_BASE, 4 * irq) = 1;
        R(PLIC_BASE, 0x2000) = 1u << irq;
        R(PLIC_BASE, 0x200000) = 0;

        uart_puts("read 0-1:");
        if (blk(blkbase, 0, 0, 1024, 1) != 0) guest_exit(20);
        if (!same(data, "RIVET-DISK-0") || !same(data + 512, "RIVET-DISK-1")) guest_exit(21);
        uart_puts("isr=");
        put_dec(R(blkbase, 0x60));
        uart_puts(" plic pending=");
        put_dec((R(PLIC_BASE, 0x1000) >> irq) & 1);
        uint32_t claimed = R(PLIC_BASE, 0x200004);
        uart_puts(" claim=");
        put_dec(claimed == irq);
        R(blkbase, 0x64) = R(blkbase, 0x60);
        R(PLIC_BASE, 0x200004) = claimed;
        uart_puts(" after ack: isr=");
        put_dec(R(blkbase, 0x60));
        uart_putc('\n');

        const char *msg = "WRITTEN-BY-GUEST";
        for (int i = 0; i < 512; i++) data[i] = (uint8_t)(i < 16 ? msg[i] : i);
        uart_puts("write 2:");
        int w = blk(blkbase, 1, 2, 512, 0);
        uart_puts("flush:");
        if (blk(blkbase, 4, 0, 0, 0) != 0) guest_exit(22);
        for (int i = 0; i < 512; i++) data[i] = 0;
        uart_puts("read 2:");
        if (blk(blkbase, 0, 2, 512, 1) != 0) guest_exit(23);
        int readonly = (f >> 5) & 1;
        if (readonly ? (w != 1 || same(data, msg)) : (w != 0 || !same(data, msg))) guest_exit(24);
        uart_puts("beyond the end:");
        if (blk(blkbase, 0, capacity, 512, 1) != 1) guest_exit(25);
        uart_puts("unknown type:");
        if (blk(blkbase, 99, 0, 0, 0) != 2) guest_exit(26);
        for (int i = 0; i < 20; i++) data[i] = 0xee;
        uart_puts("get id:");
        if (blk(blkbase, 8, 0, 20, 1) != 0) guest_exit(27);
        uart_puts("id=");
        for (int i = 0; i < 20 && data[i]; i++) uart_putc((char)data[i]);
        uart_putc('\n');
    }
    if (rngbase) {
        setup(rngbase, &rngq, 0);
        rngq.desc[0] = (struct desc){ (uintptr_t)rnd, sizeof rnd, 2, 0 };
        uint32_t n = submit(rngbase, &rngq);
        int zero = 0;
        for (unsigned i = 0; i < sizeof rnd; i++) zero += rnd[i] == 0;
        uart_puts("rng: used.len=");
        put_dec(n);
        uart_puts(zero > 16 ? " mostly zero\n" : " random\n");
        if (zero > 16) guest_exit(30);
    }
    uart_puts("done\n");
    return 0;
}
