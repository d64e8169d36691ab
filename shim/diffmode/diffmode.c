/* SPDX-License-Identifier: MIT */
/*
 * Differential mode (BPFEMU_DIFF): every bpf() call the preload intercepts is answered by the
 * emulator and also made on the kernel, against a kernel "mirror" of each emulated map, and what
 * the two sides answered and wrote is compared. The program continues with the emulator's answer;
 * differences go to a report (text, or JSON lines), and each process that made bpf() calls writes
 * a summary line when it exits.
 *
 * How one call is mirrored:
 *  - fd fields are translated: an emulated map's fd becomes its mirror's fd. A mirror is a kernel
 *    map created with the same attr when the emulated one was (a BTF object's mirror: the kernel's
 *    BTF loaded from the same blob, so maps created with BTF are created with it on both sides);
 *    a map that came from elsewhere
 *    (another fd of the same map, a pin made by another process) gets one from the kernel by id or
 *    through a mirror pin on a real bpffs, where possible. Calls on maps without a mirror are not
 *    compared (and counted as such).
 *  - The kernel runs first, on shadow copies of everything the call may write: the attr (count,
 *    info_len, next_id land there) and the output buffers, with any input buffer that overlaps
 *    them. A shadow holds the user's bytes at the same page offsets with the same page protections,
 *    so the kernel faults at the very byte it would have faulted at. Then the emulator runs on the
 *    real memory, and every byte is compared.
 *  - Programs have kernel twins too, loaded with the twins' fds in their instructions and fd_array
 *    (progs.c); BPF_PROG_TEST_RUN runs both and compares the program's maps after (mapcmp.c).
 *  - Ids differ between the two worlds by design: the id fields of OBJ_GET_INFO_BY_FD (a map's id
 *    and btf_id, a BTF object's id) and the answers of the *_GET_NEXT_ID commands are not
 *    compared; each object's id is paired with its twin's (mirror.c), so ids inside answers (a
 *    program's map ids) are compared through the pairs, and *_GET_FD_BY_ID asks the kernel for
 *    the twin's id.
 *  - Hash maps get BPF_F_ZERO_SEED on both sides, so walks and batches come out in the same order.
 *  - A call on an LRU map runs both halves pinned to the CPU the thread is on: the LRU lists are
 *    per CPU on both sides, and each side inserts on the CPU it runs on.
 *  - Calls are serialized: two threads interleaving their kernel and emulator halves would let the
 *    two sides see different orders.
 *
 * Commands the emulator does not implement are not sent to the kernel; they are counted as not
 * compared, as are OBJ_PIN and OBJ_GET, whose paths live in different file systems on the two
 * sides, and the calls whose kernel run would need a hook or a device (progs.c says which).
 */
#include "diffmode.h"

const char *const dm_nc_names[NC_MAX] = {
	"not emulated", "map without a kernel mirror", "path commands", "random hash order",
	"buffers too large", "BTF id commands", "needs the kernel's hooks or devices", "id commands",
};
const char *const dm_nc_keys[NC_MAX] = {
	"not_emulated", "no_mirror", "path_commands", "random_order", "too_large", "btf_ids", "kernel_only", "ids",
};

/* ---- configuration and counters ---- */

struct dm_config dm_cfg = { .report_fd = STDERR_FILENO, .max_reports = 1000, .null_fd = -1 };
struct dm_stats dm_st;
pthread_mutex_t dm_mu = PTHREAD_MUTEX_INITIALIZER;
void *dm_guard_page; /* PROT_NONE */
long (*dm_real_syscall)(long, ...);
static pthread_once_t dm_init_once = PTHREAD_ONCE_INIT;
/* ---- setup, exit ---- */

static void summary(void)
{
	struct sbuf b = { 0 };
	unsigned long nc = 0;
	char comm[64] = "?";
	FILE *f = fopen("/proc/self/comm", "re");

	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	if (dm_cfg.summary_comm[0])
		snprintf(comm, sizeof(comm), "%s", dm_cfg.summary_comm);
	for (int i = 0; i < NC_MAX; i++)
		nc += dm_st.not_compared[i];
	if (dm_cfg.json) {
		dm_sb_printf(&b, "{\"event\":\"summary\",\"pid\":%d,\"program\":", dm_cfg.summary_pid ? dm_cfg.summary_pid : (int)getpid());
		dm_sb_json_str(&b, comm);
		dm_sb_printf(&b, ",\"calls\":%lu,\"compared\":%lu,\"divergences\":%lu,\"mapping_writes\":%lu,"
			  "\"ring_writes\":%lu,\"not_compared\":{", dm_st.calls, dm_st.compared, dm_st.divergences, dm_st.mapping_writes,
			  dm_st.ring_writes);
		for (int i = 0, first = 1; i < NC_MAX; i++)
			if (dm_st.not_compared[i]) {
				dm_sb_printf(&b, "%s\"%s\":%lu", first ? "" : ",", dm_nc_keys[i], dm_st.not_compared[i]);
				first = 0;
			}
		dm_sb_printf(&b, "}}\n");
	} else {
		dm_sb_printf(&b, "bpfemu diff: %lu calls compared, %lu divergence%s", dm_st.compared, dm_st.divergences,
			  dm_st.divergences == 1 ? "" : "s");
		if (nc) {
			dm_sb_printf(&b, "; %lu not compared (", nc);
			for (int i = 0, first = 1; i < NC_MAX; i++)
				if (dm_st.not_compared[i]) {
					dm_sb_printf(&b, "%s%s: %lu", first ? "" : ", ", dm_nc_names[i], dm_st.not_compared[i]);
					first = 0;
				}
			dm_sb_printf(&b, ")");
		}
		if (dm_st.mapping_writes)
			dm_sb_printf(&b, "; %lu array value%s stored through a mapping, copied to the kernel's map",
				  dm_st.mapping_writes, dm_st.mapping_writes == 1 ? "" : "s");
		if (dm_st.ring_writes)
			dm_sb_printf(&b, "; %lu ring position%s moved through a mapping, carried to the kernel's ring",
				  dm_st.ring_writes, dm_st.ring_writes == 1 ? "" : "s");
		dm_sb_printf(&b, " [pid %d %s]\n", dm_cfg.summary_pid ? dm_cfg.summary_pid : (int)getpid(), comm);
	}
	dm_emit(&b);
}

static void on_exit_status(int status, void *arg)
{
	(void)arg;
	dm_st.exit_status = status;
	dm_st.exit_known = true;
}

/* After the program's atexit handlers and the other libraries' destructors, so their bpf()
 * calls are counted too. */
__attribute__((destructor)) static void diff_fini(void)
{
	if (!dm_cfg.on || !dm_st.calls)
		return;
	pthread_mutex_lock(&dm_mu);
	dm_sweep_pins(); /* a pin removed since (rm needs no bpf()) leaves its mirror behind otherwise */
	summary();
	if (dm_cfg.strict && dm_st.divergences && (!dm_st.exit_known || dm_st.exit_status == 0)) {
		fflush(NULL);
		_exit(EXIT_DIFF_STRICT);
	}
	pthread_mutex_unlock(&dm_mu);
}

static void atfork_prepare(void) { pthread_mutex_lock(&dm_mu); }
static void atfork_parent(void) { pthread_mutex_unlock(&dm_mu); }
static void atfork_child(void)
{
	/* the child reports on its own calls only */
	memset(&dm_st, 0, sizeof(dm_st));
	pthread_mutex_init(&dm_mu, NULL);
}

static bool env_flag(const char *name)
{
	const char *v = secure_getenv(name);

	return v && *v && strcmp(v, "0");
}

static void fail_setup(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_setup(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, "bpfemu diff: ", 13);
	(void)!write(STDERR_FILENO, line, (size_t)n);
	_exit(125);
}

/* What BPFEMU_DIFF needs from the kernel, checked once, at the first bpf() call. */
static void diff_init(void)
{
	const char *rep = secure_getenv("BPFEMU_DIFF_REPORT"), *max = secure_getenv("BPFEMU_DIFF_MAX_REPORTS");
	struct rlimit rl;
	long r;
	int kc;

	dm_real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (!dm_real_syscall)
		fail_setup("cannot find the C library's syscall(): %s", dlerror());
	dm_cfg.json = env_flag("BPFEMU_DIFF_JSON");
	dm_cfg.strict = env_flag("BPFEMU_DIFF_STRICT");
	if (max && *max)
		dm_cfg.max_reports = strtoul(max, NULL, 10);
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur >= 256)
		dm_cfg.fd_base = rl.rlim_cur > 2048 ? 1024 : (int)(rl.rlim_cur / 2);
	if (rep && *rep && strcmp(rep, "-")) {
		int fd = open(rep, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0)
			fail_setup("cannot open the report file %s: %s", rep, strerror(errno));
		dm_cfg.report_fd = dm_move_high(fd);
	}

	r = dm_kcreate_probe(EMU_MAP_ARRAY, 0);
	if (r < 0)
		fail_setup("bpf() is not permitted here (%s: %s): differential mode runs every call on the "
			   "kernel too, so it needs root (CAP_BPF and CAP_SYS_ADMIN)", dm_errname((int)-r), strerror((int)-r));
	close((int)r);
	kc = emu_sysfs_possible_cpus();
	if (kc != (int)emu_nr_cpus())
		fail_setup("the emulator lays per-CPU values out for %u CPUs, the kernel for %d: unset "
			   "BPFEMU_NR_CPUS (or --nr-cpus) for differential mode", emu_nr_cpus(), kc);
	r = dm_kcreate_probe(EMU_MAP_HASH, EMU_F_ZERO_SEED);
	dm_cfg.zero_seed = r >= 0;
	if (r >= 0)
		close((int)r);
	else
		dm_note("BPF_F_ZERO_SEED refused by the kernel (%s, needs CAP_SYS_ADMIN): walks of hash maps are not "
		     "compared", dm_errname((int)-r));
	dm_guard_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dm_guard_page == MAP_FAILED)
		dm_guard_page = NULL;
	dm_cfg.null_fd = dm_move_high(open("/dev/null", O_RDONLY | O_CLOEXEC));
	dm_set_ours(dm_cfg.null_fd, true);
	dm_find_pin_dir();
	on_exit(on_exit_status, NULL);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

bool shim_diff_enabled(void)
{
	static int on = -1;

	if (__atomic_load_n(&on, __ATOMIC_RELAXED) < 0) {
		dm_cfg.on = env_flag("BPFEMU_DIFF");
		__atomic_store_n(&on, dm_cfg.on, __ATOMIC_RELAXED);
	}
	return on > 0;
}

/* ---- the caller's memory and fds ---- */

const struct emu_uaccess_remote *dm_caller;
static int *call_fds; /* fds of ours made for the call being compared */
static size_t ncall_fds, call_fds_cap;

long dm_emu_private(int cmd, struct emu_attr *a, union bpf_attr *uattr)
{
	long r;

	if (!dm_caller)
		return emu_bpf_dispatch(cmd, a, uattr);
	emu_uaccess_set_remote(NULL);
	r = emu_bpf_dispatch(cmd, a, uattr);
	emu_uaccess_set_remote(dm_caller);
	return r;
}

static int keep_for_call(int fd)
{
	if (fd >= 0 && dm_grow(&call_fds, &call_fds_cap, ncall_fds, sizeof(*call_fds)))
		call_fds[ncall_fds++] = fd;
	else if (fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int dm_user_fd(int fd)
{
	if (!dm_caller)
		return fd;
	if (fd < 0)
		return -1;
	return keep_for_call(dm_caller->getfd(dm_caller->ctx, fd));
}

int dm_same_number(int fd, int local)
{
	if (fd < 0)
		return fd; /* no fd anywhere */
	if (fcntl(fd, F_GETFD) >= 0)
		return -1; /* ours: the kernel would see another file */
	if (local < 0)
		return fd; /* closed on both sides */
	if (dup2(local, fd) != fd)
		return -1;
	keep_for_call(fd);
	return fd;
}

void dm_call_fds_release(void)
{
	while (ncall_fds)
		close(call_fds[--ncall_fds]);
}

void shim_diff_supervisor_init(int pid, const char *name)
{
	const char *slash = strrchr(name, '/');

	dm_cfg.on = true;
	dm_cfg.remote = true;
	dm_cfg.summary_pid = pid;
	snprintf(dm_cfg.summary_comm, sizeof(dm_cfg.summary_comm), "%s", slash ? slash + 1 : name);
	pthread_once(&dm_init_once, diff_init);
}

long shim_diff_supervised(int cmd, union bpf_attr *uattr, unsigned size, const struct emu_attr *a, long copy_err,
			  const struct emu_attr *before, const struct emu_uaccess_remote *r)
{
	struct emu_attr b = *before;
	long ret;

	pthread_mutex_lock(&dm_mu);
	dm_caller = r;
	ret = dm_diff_copied(cmd, uattr, size, a, copy_err, &b);
	dm_call_fds_release();
	dm_caller = NULL;
	pthread_mutex_unlock(&dm_mu);
	return ret;
}

long shim_diff_bpf(int cmd, union bpf_attr *uattr, unsigned size, struct emu_attr *before)
{
	long r;

	pthread_once(&dm_init_once, diff_init);
	pthread_mutex_lock(&dm_mu);
	if (!dm_st.said_pins && !dm_cfg.pin_dir[0] && (cmd == EMU_BPF_OBJ_PIN || cmd == EMU_BPF_OBJ_GET)) {
		dm_st.said_pins = true;
		dm_note("no bpffs is mounted for mirror pins (mount one and set BPFEMU_DIFF_BPFFS=DIR): maps pinned by "
		     "one process and opened by another are not compared there");
	}
	r = dm_diff_call(cmd, uattr, size, before);
	pthread_mutex_unlock(&dm_mu);
	return r;
}
