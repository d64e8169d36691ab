/* SPDX-License-Identifier: MIT */
/*
 * The seccomp supervisor: bpfemu-run's second way in, for programs whose system calls the preload
 * cannot see (Go's runtime, static binaries, musl, inline `syscall` instructions).
 *
 * bpfemu-run forks; the child sets PR_SET_NO_NEW_PRIVS, installs a seccomp filter that returns
 * SECCOMP_RET_USER_NOTIF for bpf() and for the few path and fd calls the preload also answers,
 * hands the listener fd to the parent over a socketpair, and execs the program. The parent answers
 * every notification with the emulator linked into it, the same state directory and emulated
 * bpffs as preloaded programs, so both kinds share pins and ids. One listener serves every thread,
 * fork and exec of the program: the filter is inherited.
 *
 * The files, each owning one thing:
 *   launch.c    the two processes: fork, the child's filter and exec, the handshake, the kernel's
 *               features (exit 125 without them), signals, exit status, supervised orphans
 *   filter.c    the classic-BPF filter: which system calls are trapped, per architecture
 *   notify.c    the loop: receive, check the notification is alive, hand it to its answerer, reply
 *   remote.c    the program's memory (process_vm_readv/writev under the emulator's fault rules)
 *               and its fds (pidfd_getfd in, SECCOMP_IOCTL_NOTIF_ADDFD out)
 *   fdfields.c  which attr fields are fds, per command, and their translation
 *   bpfcall.c   bpf(): the attr copied once, fds translated, the command run, the trace
 *   paths.c     /sys/fs/bpf paths, /proc/self/fd links and fdinfo, statfs
 *   mapvals.c   mmap of a map's pages (the call made again, with ptrace, at the values' offset in
 *               the map's file; a ring's several parts mapped over it by a chain of calls the
 *               stopped thread makes), marked for FREEZE's search
 *   epoll.c     epoll_ctl of map fds: a file of ours in the program's epoll instance in the map's
 *               place, made ready when the map is (ring wakeups through inotify)
 *   choose.c    which way a program must be run (static or Go binary: the supervisor)
 *
 * Invariants: a notification is answered exactly once (a reply, an error, CONTINUE, or ADDFD with
 * SECCOMP_ADDFD_FLAG_SEND); CONTINUE is only ever the answer "not ours", never a decision that
 * relies on the program's memory staying as it was read (seccomp_unotify(2)); every byte of the
 * program's memory is read and written through the emulator's uaccess layer, whose remote backend
 * is set for exactly the time one notification is answered.
 */
#ifndef BPFEMU_SUPERVISOR_H
#define BPFEMU_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../emu/frontend.h"

struct seccomp_notif;

#include "run.h" /* what bpfemu-run.c calls */

/* ---- shared between the supervisor's files ---- */

extern int sv_debug;             /* BPFEMU_DEBUGLEVEL / --debug */
extern const char *sv_prog_name; /* "bpfemu-run", for messages */
void sv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One notification being answered (notify.c fills it; the answerers use it). */
struct sv_call {
	int listener;
	const struct seccomp_notif *n;
	pid_t tid;     /* the calling thread, in our pid namespace */
	pid_t tgid;    /* its process (0 until sv_tgid() asks) */
	int pidfd;     /* a pidfd opened for this call (-1: none yet; remote.c keeps it after) */
	bool answered; /* replied, failed, continued or fd sent */
	struct emu_uaccess_remote mem;
	char fd_dir[32]; /* "/proc/<tid>/fd" */
	int cpu;         /* the thread's CPU, read once (remote.c), or SV_CPU_UNREAD */
};
#define SV_CPU_UNREAD (-2)

/* notify.c: the answers; each is given exactly once per call. */
void sv_reply(struct sv_call *c, int64_t val);
void sv_fail(struct sv_call *c, int err);   /* err > 0 */
void sv_continue(struct sv_call *c);        /* not ours: the kernel runs the call as made */
/* Install local fd into the program as the call's result (close-on-exec if asked), atomically
 * with the reply: the program's fd number, or -errno (the call then failed with that errno, or is
 * gone). The local fd stays the caller's to close. */
int sv_reply_fd(struct sv_call *c, int local_fd, bool cloexec);
/* The serving loop over one listener, until it hangs up (no supervised task left) or stop_fd
 * becomes readable (-1: none). Returns 0, or -errno if the listener failed. */
int sv_serve(int listener, int stop_fd, int (*on_stop)(void *), void *arg);

/* remote.c: the program's memory and fds */
void sv_mem_init(struct sv_call *c);         /* c->mem for c->tid */
pid_t sv_tgid(struct sv_call *c);            /* the calling thread's process id */
/* The program's fd as a new fd of ours (the same open file description), or -errno: -EBADF when
 * the program has no such fd. The caller closes it. */
int sv_getfd(struct sv_call *c, int fd);
void sv_call_done(struct sv_call *c);        /* the call is answered: forget its own state */
/* A string from the program's memory as strncpy_from_user reads it: its length, -EFAULT, or
 * -ENAMETOOLONG when no NUL comes within len bytes. */
long sv_read_string(struct sv_call *c, uint64_t addr, char *buf, size_t len);
/* The program's current directory (for relative paths), or -errno. */
int sv_cwd(struct sv_call *c, char *buf, size_t len);
/* The program's umask (for files it creates through us). */
mode_t sv_umask(struct sv_call *c);

/* fdfields.c: the fd fields of each command's attr */
#define SV_MAX_ATTR_FDS 8
/* Rewrite the fd fields cmd reads in the attr copy to fds of ours naming the same files (an fd the
 * program does not have becomes one we do not have either). held[]: the fds to close after the
 * command. 0 or -errno (the supervisor could not take an fd: the call fails with it). */
int sv_attr_fds_in(struct sv_call *c, int cmd, struct emu_attr *a, int held[SV_MAX_ATTR_FDS], unsigned *nheld);
/* Whether a successful cmd returns a new fd (handed to the program with ADDFD). */
bool sv_cmd_returns_fd(int cmd);

/* bpfcall.c */
void sv_bpf(struct sv_call *c);
void sv_trace_init(void);
/* --diff (BPFEMU_DIFF): set up before the program runs (exits 125 when the kernel side cannot be
 * had); program and name: the supervised program, for the summary. */
void sv_diff_init(pid_t program, const char *name);

/* paths.c: each answers its call, or continues it when the path or fd is not ours */
void sv_open(struct sv_call *c);       /* open, openat, creat, openat2 */
void sv_stat(struct sv_call *c);       /* stat, lstat, newfstatat, statx */
void sv_statfs(struct sv_call *c);     /* statfs, fstatfs */
void sv_readlink(struct sv_call *c);   /* readlink, readlinkat */
void sv_access(struct sv_call *c);     /* access, faccessat, faccessat2 */
void sv_mkdir(struct sv_call *c);      /* mkdir, mkdirat */
void sv_unlink(struct sv_call *c);     /* unlink, unlinkat, rmdir */
void sv_rename(struct sv_call *c);     /* rename, renameat, renameat2 */
void sv_mount(struct sv_call *c);

/* mapvals.c */
void sv_mmap(struct sv_call *c); /* answers it, or continues it when the fd is not a map */

/* epoll.c: epoll_ctl of a map fd answered (a file of ours in the program's epoll instance in the
 * map's place), any other continued; the wakeups of the rings registered, passed on by the serving
 * loop when sv_epoll_watch_fd() (-1: none yet) is readable. */
void sv_epoll_ctl(struct sv_call *c);
int sv_epoll_watch_fd(void);
void sv_epoll_wakeups(void);

/* filter.c: the trapped calls. The filter (0, or -ENOSYS on an architecture it does not know),
 * and the answerer of a notification's call (NULL: not trapped, continue it). Path answerers are
 * only ever given calls of the native ABI, so they decode arguments by the native numbers. */
struct sock_fprog;
int sv_filter_build(struct sock_fprog *prog);
typedef void sv_answer_fn(struct sv_call *c);
sv_answer_fn *sv_answerer(uint32_t arch, int nr);

#endif
