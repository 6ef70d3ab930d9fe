/*
 * rivet: the command users run. It blocks SIGTERM, SIGINT and SIGHUP before anything else and
 * then executes the .NET host on rivet.dll, which sits next to it. While the runtime starts
 * (tens of milliseconds) a shutdown signal stays pending instead of killing the process with
 * its default action; rivet's Main unblocks the three once its handlers exist, and a pending
 * one is then taken like any other, with the documented exit (docs/STARTUP.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
/*
 * The entry point (the build links with -e rivet_entry): the signals are blocked by the very
 * first system call, before the C library's own start-up, which takes most of a millisecond in
 * a static binary (measured: 1.1 ms from exec to blocked with the block in main, 0.36 ms here).
 * Then on to _start with the registers the kernel set (rsp: argc, argv, envp; rdx: the exit
 * hook); at entry r12 holds nothing.
 */
__asm__(
    "    .text\n"
    "    .globl rivet_entry\n"
    "rivet_entry:\n"
    "    mov %rdx, %r12\n"
    "    mov $14, %eax\n"                      /* rt_sigprocmask */
    "    xor %edi, %edi\n"                     /* SIG_BLOCK */
    "    lea rivet_entry_mask(%rip), %rsi\n"
    "    xor %edx, %edx\n"                     /* no old set */
    "    mov $8, %r10d\n"                      /* sizeof the kernel's sigset */
    "    syscall\n"
    "    mov %r12, %rdx\n"
    "    jmp _start\n"
    "    .section .rodata\n"
    "    .balign 8\n"
    "rivet_entry_mask:\n"
    "    .quad 0x4003\n"                       /* SIGHUP, SIGINT, SIGTERM: bits 0, 1, 14 */
    "    .text\n");
#endif

static void try_exec(const char *host, char **argv)
{
    argv[0] = (char *)host;
    execv(host, argv);
}

int main(int argc, char **argv)
{
    sigset_t shutdown_signals;
    sigemptyset(&shutdown_signals);
    sigaddset(&shutdown_signals, SIGTERM);
    sigaddset(&shutdown_signals, SIGINT);
    sigaddset(&shutdown_signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &shutdown_signals, NULL); /* done already on x86-64; on others, here */

    char dll[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dll, sizeof dll - sizeof "rivet.dll");
    if (n <= 0) {
        fprintf(stderr, "rivet: cannot find its own location: %s\n", strerror(errno));
        return 1;
    }
    dll[n] = '\0';
    char *slash = strrchr(dll, '/');
    strcpy(slash + 1, "rivet.dll");

    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (args == NULL) return 1;
    args[1] = dll;
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];

    /* The host the SDK runs under, then the one on PATH, then Debian's and Microsoft's places. */
    const char *host = getenv("DOTNET_HOST_PATH");
    if (host != NULL && *host != '\0') try_exec(host, args);
    const char *root = getenv("DOTNET_ROOT");
    if (root != NULL && *root != '\0') {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/dotnet", root);
        try_exec(path, args);
    }
    args[0] = "dotnet";
    execvp("dotnet", args);
    try_exec("/usr/share/dotnet/dotnet", args);
    try_exec("/usr/lib/dotnet/dotnet", args);
    fprintf(stderr, "rivet: cannot run the .NET host 'dotnet': %s\n", strerror(errno));
    return 1;
}
