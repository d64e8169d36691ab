/* SPDX-License-Identifier: MIT */
/*
 * BTF object files (see btf_obj.h): making one for a loaded blob or for the kernel's vmlinux BTF,
 * telling a BTF fd from others, and reading its blob back for BPF_OBJ_GET_INFO_BY_FD and
 * BPF_MAP_CREATE. Nothing here parses or checks BTF: emu/btf/ does that before a blob gets here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../btf/btf.h"
#include "../uaccess/uaccess.h"
#include "../util/compiler.h"
#include "../util/diag.h"
#include "../util/fileio.h"
#include "btf_obj.h"
#include "objstore.h"
#include "state.h"

#define DATA_OFF 128u /* the blob starts on its own line, after the header */
#define CHUNK (64u * 1024)

_Static_assert(sizeof(struct emu_btf_obj_hdr) <= DATA_OFF, "header fits before the blob");

/* The file written through wfd, handed out as the kernel's BTF fd is: read-only, close-on-exec,
 * and the lowest free number (wfd's, once it is closed), as the kernel's new fd would be. */
static int reopen_rdonly(int wfd)
{
	char path[64];
	int fd, low;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", wfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	close(wfd);
	if (fd >= 0 && (low = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		if (low < fd) {
			close(fd);
			fd = low;
		} else {
			close(low);
		}
	}
	return fd;
}

static int fill(int fd, const struct emu_btf_obj_hdr *h, const void *data)
{
	int err = emu_pwrite_all(fd, h, sizeof(*h), 0);

	if (!err && h->data_size && !h->kernel_btf)
		err = emu_pwrite_all(fd, data, h->data_size, (off_t)h->data_off);
	if (!err && h->file_size > sizeof(*h) && emu_ftruncate_quiet(fd, (off_t)h->file_size))
		err = -errno;
	return err;
}

/* Header and blob into a new file: the bpffs root's, else (no room there) a memfd. Its fd, or the
 * kernel's answers when the fd table is full (EMFILE) or memory short (ENOMEM), or the state
 * check's errno when the bpffs root was refused. */
static int make_file(const struct emu_btf_obj_hdr *h, const void *data)
{
	int fd = emu_open_object_file("btf");

	if (fd < 0) /* a full fd table, or state directories that were refused */
		return fd;
	if (!fill(fd, h, data))
		return reopen_rdonly(fd);
	close(fd); /* the bpffs root is out of room: an unpinnable memory file */
	fd = memfd_create("btf", MFD_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
	if (fill(fd, h, data)) {
		close(fd);
		return -ENOMEM;
	}
	return reopen_rdonly(fd);
}

static void hdr_init(struct emu_btf_obj_hdr *h, uint32_t id)
{
	memset(h, 0, sizeof(*h));
	h->magic = EMU_BTFOBJ_MAGIC;
	h->layout_version = EMU_BTFOBJ_VERSION;
	h->hdr_size = sizeof(*h);
	h->id = id;
}

int emu_btf_obj_new(const void *data, uint32_t size, uint32_t id)
{
	struct emu_btf_obj_hdr h;
	int fd, err = emu_ids_init(); /* its fd is taken now, not while ours are open */

	if (err)
		return err;
	hdr_init(&h, id ? id : emu_alloc_id(EMU_ID_BTF));
	h.data_size = size;
	h.data_off = DATA_OFF;
	h.file_size = DATA_OFF + (uint64_t)size;
	fd = make_file(&h, data);
	/* a new BTF object is found by id from any process while it lives (core/objstore.c); one made
	 * again from a map's copy is found through the map */
	if (fd >= 0 && !id)
		emu_objstore_register(fd, EMU_ID_BTF, h.id);
	return fd;
}

static int vmlinux_size(uint32_t *size)
{
	struct stat st;

	if (stat(EMU_BTF_VMLINUX_PATH, &st) || !S_ISREG(st.st_mode) || !st.st_size || st.st_size > UINT32_MAX ||
	    access(EMU_BTF_VMLINUX_PATH, R_OK))
		return -ENOENT;
	*size = (uint32_t)st.st_size;
	return 0;
}

bool emu_btf_vmlinux_available(void)
{
	uint32_t size;

	return !vmlinux_size(&size);
}

int emu_btf_obj_new_vmlinux(void)
{
	struct emu_btf_obj_hdr h;
	uint32_t size;
	int err = vmlinux_size(&size);

	if (err)
		return err;
	hdr_init(&h, EMU_BTF_VMLINUX_ID);
	h.kernel_btf = 1;
	h.data_size = size;
	h.file_size = sizeof(h);
	h.name_len = (uint32_t)strlen("vmlinux");
	memcpy(h.name, "vmlinux", h.name_len);
	return make_file(&h, NULL);
}

/*
 * A BTF file is as untrusted as a map file (docs/SECURITY.md): a header whose fields are not what
 * this file's making wrote is refused (EINVAL, one diagnostic per file naming the field). A user
 * BTF: its blob right after the header, 24 bytes (a BTF header) to the kernel's BTF_MAX_SIZE, the
 * file exactly that long, no name. The kernel's: vmlinux only (id 1, no blob here, the size of
 * /sys/kernel/btf/vmlinux), so no name from the file ever becomes a path.
 */
#define BTF_MAX_SIZE (16u * 1024 * 1024)

static const char *hdr_field(const struct emu_btf_obj_hdr *h, uint64_t file_size)
{
	uint32_t vsize;

	if (h->layout_version != EMU_BTFOBJ_VERSION)
		return "layout_version";
	if (h->hdr_size != sizeof(*h))
		return "hdr_size";
	if (h->file_size != file_size)
		return "file_size";
	if (!h->id || h->id > INT32_MAX)
		return "id";
	if (h->kernel_btf > 1)
		return "kernel_btf";
	if (h->name_len >= EMU_BTF_NAME_MAX || strnlen(h->name, EMU_BTF_NAME_MAX) != h->name_len)
		return "name_len";
	if (h->kernel_btf) {
		if (h->id != EMU_BTF_VMLINUX_ID || strcmp(h->name, "vmlinux"))
			return "name";
		if (h->data_off || file_size != sizeof(*h))
			return "data_off";
		if (vmlinux_size(&vsize) || h->data_size != vsize)
			return "data_size";
		return NULL;
	}
	if (h->name_len)
		return "name_len";
	if (h->data_off != DATA_OFF)
		return "data_off";
	if (h->data_size < 24 || h->data_size > BTF_MAX_SIZE || file_size != h->data_off + (uint64_t)h->data_size)
		return "data_size";
	return NULL;
}

static void refused(const struct stat *st, const struct emu_btf_obj_hdr *h, const char *field)
{
	if (emu_diag_file_new(st->st_dev, st->st_ino))
		emu_diag("BTF file (inode %lu, btf id %u) refused: its %s is not what a BTF file has: EINVAL",
			 (unsigned long)st->st_ino, h->id, field);
}

/* The header of the file fd names, read through the fd if it is readable, else a fresh open. */
int emu_btf_obj_get(int fd, struct emu_btf_obj_hdr *h)
{
	const char *field;
	struct stat st;
	int fl, rfd = fd, err;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH))
		return -EBADF;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof(*h))
		return -EINVAL;
	if ((fl & O_ACCMODE) == O_WRONLY) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (rfd < 0)
			return -EINVAL;
	}
	err = emu_pread_all(rfd, h, sizeof(*h), 0);
	if (rfd != fd)
		close(rfd);
	if (err || h->magic != EMU_BTFOBJ_MAGIC)
		return -EINVAL; /* no BTF file: no diagnostic */
	field = hdr_field(h, (uint64_t)st.st_size);
	if (field) {
		refused(&st, h, field);
		return -EINVAL;
	}
	return 0;
}

/* Where the blob is read from: the object's own file (opened afresh, so a write-only fd of it
 * serves too), or the kernel's sysfs file. */
static int open_data(int fd, const struct emu_btf_obj_hdr *h, off_t *base)
{
	char path[64 + EMU_BTF_NAME_MAX];
	int rfd;

	if (h->kernel_btf) {
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", h->name);
		*base = 0;
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		*base = (off_t)h->data_off;
	}
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	return rfd < 0 ? -EIO : rfd;
}

int emu_btf_obj_copy_to_user(int fd, const struct emu_btf_obj_hdr *h, void *udst, uint32_t n)
{
	char *buf;
	off_t base;
	int rfd, err = 0;

	if (!n)
		return 0;
	rfd = open_data(fd, h, &base);
	if (rfd < 0)
		return rfd;
	buf = malloc(n < CHUNK ? n : CHUNK);
	if (!buf) {
		close(rfd);
		return -ENOMEM;
	}
	/* chunk by chunk: a fault leaves the bytes before it written, as one copy_to_user would */
	for (uint32_t done = 0, c; done < n && !err; done += c) {
		c = n - done < CHUNK ? n - done : CHUNK;
		err = emu_pread_all(rfd, buf, c, base + done);
		if (err)
			err = -EIO;
		else
			err = emu_copy_to_user((char *)udst + done, buf, c);
	}
	free(buf);
	close(rfd);
	return err;
}

int emu_btf_obj_read(int fd, const struct emu_btf_obj_hdr *h, void **data)
{
	off_t base;
	int rfd = open_data(fd, h, &base), err;

	*data = NULL;
	if (rfd < 0)
		return rfd;
	*data = malloc(h->data_size ? h->data_size : 1);
	err = *data ? emu_pread_all(rfd, *data, h->data_size, base) : -ENOMEM;
	close(rfd);
	if (err) {
		free(*data);
		*data = NULL;
		return err == -ENOMEM ? err : -EIO;
	}
	return 0;
}

/*
 * Parsed once per call that needs it (BPF_MAP_CREATE, BPF_PROG_LOAD, a program's re-check,
 * BPF_BTF_GET_FD_BY_ID): ~7 ns a byte here, 20 us for a libbpf object's few KB of BTF, so no
 * process keeps parsed objects around. The parse is of a private copy (the file may change
 * meanwhile). The blob was accepted when it was loaded; a parse failure now means the file was
 * changed outside bpfemu: EUCLEAN, with a diagnostic naming the object.
 */
int emu_btf_obj_parse(int fd, const struct emu_btf_obj_hdr *h, struct emu_btf **out)
{
	void *data;
	int err = emu_btf_obj_read(fd, h, &data);

	*out = NULL;
	if (err)
		return err;
	err = emu_btf_parse(data, h->data_size, NULL, out);
	free(data);
	if (err == -ENOMEM)
		return err;
	if (err) {
		emu_diag("BTF %u: its blob is damaged (it does not pass the BTF checks now): its file was changed "
			 "outside bpfemu: EUCLEAN", h->id);
		return -EUCLEAN;
	}
	return 0;
}
