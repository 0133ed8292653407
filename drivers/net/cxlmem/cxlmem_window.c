/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_window.c - find, size, map and lock a cxlmem window.
 *
 * A window is either a devdax character device (a CXL region in devdax mode,
 * looked up with libdaxctl by name, dax=daxX.Y, or by path=/dev/daxX.Y) or a
 * plain file that emulates one (path=, e.g. under /dev/shm or hugetlbfs).
 * offset=/size= carve a sub-window out of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <daxctl/libdaxctl.h>
#include <numa.h>
#if defined(RTE_ARCH_X86) || defined(__x86_64__)
#include <cpuid.h>
#endif

#include <rte_common.h>

#include "cxlmem.h"

/** Alignment of offset= inside a window, bytes. */
#define CXLMEM_OFFSET_ALIGN 4096u

/**
 * Parse a size or offset: decimal or 0x hex, optional K, M, G suffix
 * (binary units). Returns 0, or -EINVAL when the text is not such a number
 * or overflows 64 bits.
 */
int
cxlmem_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	if (shift != 0 && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Size, alignment and node of devdax device `name` (e.g. "dax0.0"). */
static int
dax_lookup(const char *arg, const char *name, uint64_t *size, uint64_t *align, int *node,
	   char *path, size_t path_len)
{
	struct daxctl_ctx *ctx;
	struct daxctl_region *region;
	struct daxctl_dev *dev;
	int ret = -ENODEV;

	if (daxctl_new(&ctx) != 0) {
		CXLMEM_LOG(ERR, "%s: libdaxctl could not start (no /sys/bus/dax?)", arg);
		return -ENODEV;
	}
	daxctl_region_foreach(ctx, region) {
		daxctl_dev_foreach(region, dev) {
			const char *dn = daxctl_dev_get_devname(dev);

			if (dn == NULL || strcmp(dn, name) != 0)
				continue;
			if (daxctl_dev_get_memory(dev) != NULL) {
				CXLMEM_LOG(ERR, "%s is in system-ram mode; give it back to devdax with "
					   "'daxctl reconfigure-device --mode=devdax -f %s'", arg, name);
				ret = -EBUSY;
				goto out;
			}
			if (!daxctl_dev_is_enabled(dev)) {
				CXLMEM_LOG(ERR, "%s is disabled; enable it with "
					   "'daxctl enable-device %s'", arg, name);
				ret = -ENODEV;
				goto out;
			}
			*size = daxctl_dev_get_size(dev);
			*align = daxctl_dev_get_align(dev);
			if (*align == 0)
				*align = 2u << 20;
			*node = daxctl_dev_get_target_node(dev);
			snprintf(path, path_len, "/dev/%s", dn);
			ret = 0;
			goto out;
		}
	}
	CXLMEM_LOG(ERR, "%s: no devdax device %s (see 'daxctl list'); a CXL region needs "
		   "'cxl create-region' and devdax mode", arg, name);
out:
	daxctl_unref(ctx);
	return ret;
}

/**
 * Open and map the window described by p. need is the byte count the
 * geometry requires. Creates path= (mode 0600, size= or need bytes) when
 * it is absent and the role is host.
 * Returns 0, or a negative errno after logging one line that says what to
 * change: -ENOENT (no such file for role=device), -ENODEV/-EBUSY (dax
 * lookup), -EINVAL (offset/size outside the window, misaligned), -ENOSPC
 * (window smaller than need), or the errno of open/ftruncate/mmap.
 */
int
cxlmem_window_open(const struct cxlmem_params *p, uint64_t need, struct cxlmem_window *w)
{
	uint64_t total = 0, align = sysconf(_SC_PAGESIZE), map_off;
	struct stat st;
	int node = -1, ret;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->numa_node = -1;

	if (p->offset % CXLMEM_OFFSET_ALIGN != 0) {
		CXLMEM_LOG(ERR, "offset=%" PRIu64 " is not a multiple of %u", p->offset,
			   CXLMEM_OFFSET_ALIGN);
		return -EINVAL;
	}

	if (p->dax[0] != '\0') {
		char arg[80];

		snprintf(arg, sizeof(arg), "dax=%s", p->dax);
		ret = dax_lookup(arg, p->dax, &total, &align, &node, w->path, sizeof(w->path));
		if (ret != 0)
			return ret;
		w->is_devdax = true;
		w->fd = open(w->path, O_RDWR | O_CLOEXEC);
	} else {
		snprintf(w->path, sizeof(w->path), "%s", p->path);
		w->fd = open(w->path, O_RDWR | O_CLOEXEC);
		if (w->fd < 0 && errno == ENOENT) {
			uint64_t len = p->size != 0 ? p->size : need;

			if (p->role != CXLMEM_ROLE_HOST) {
				CXLMEM_LOG(ERR, "path=%s does not exist; start the role=host end first "
					   "(it creates the window) or point path= at the window", w->path);
				return -ENOENT;
			}
			w->fd = open(w->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (w->fd < 0 && errno == EEXIST) /* another process created it */
				w->fd = open(w->path, O_RDWR | O_CLOEXEC);
			else if (w->fd >= 0) {
				w->created = true;
				/* Allocate now: a full tmpfs fails here, not as SIGBUS later. */
				ret = posix_fallocate(w->fd, 0, (off_t)(p->offset + len));
				if (ret != 0) {
					CXLMEM_LOG(ERR, "path=%s: cannot allocate %" PRIu64 " bytes: %s",
						   w->path, p->offset + len, strerror(ret));
					ret = -ret;
					goto fail;
				}
			}
		}
	}
	if (w->fd < 0) {
		ret = -errno;
		CXLMEM_LOG(ERR, "cannot open %s: %s", w->path, strerror(errno));
		return ret;
	}
	if (fstat(w->fd, &st) != 0) {
		ret = -errno;
		goto fail;
	}
	if (S_ISCHR(st.st_mode) && !w->is_devdax) {
		/* path=/dev/daxX.Y: the same checks as dax=. */
		const char *base = strrchr(w->path, '/');
		char dpath[PATH_MAX];

		char arg[PATH_MAX + 32];

		snprintf(arg, sizeof(arg), "path=%s (a character device)", w->path);
		ret = dax_lookup(arg, base != NULL ? base + 1 : w->path, &total, &align, &node,
				 dpath, sizeof(dpath));
		if (ret != 0)
			goto fail;
		w->is_devdax = true;
	} else if (S_ISREG(st.st_mode)) {
		total = (uint64_t)st.st_size;
	} else if (!w->is_devdax) {
		CXLMEM_LOG(ERR, "path=%s is neither a regular file nor a devdax device", w->path);
		ret = -EINVAL;
		goto fail;
	}

	if (p->offset >= total) {
		CXLMEM_LOG(ERR, "offset=%" PRIu64 " is beyond the end of %s (%" PRIu64 " bytes)",
			   p->offset, w->path, total);
		ret = -EINVAL;
		goto fail;
	}
	w->size = p->size != 0 ? p->size : total - p->offset;
	if (w->size > total - p->offset) {
		CXLMEM_LOG(ERR, "offset=%" PRIu64 " + size=%" PRIu64 " exceeds %s (%" PRIu64 " bytes)",
			   p->offset, w->size, w->path, total);
		ret = -EINVAL;
		goto fail;
	}
	if (w->size < need) {
		CXLMEM_LOG(ERR, "window %s is %" PRIu64 " bytes, the geometry queues=%u rsize=%u "
			   "bsize=%u needs %" PRIu64 "; give size=%" PRIu64 " or more (on a new file), "
			   "or fewer queues or smaller rings", w->path, w->size, p->nb_queues,
			   p->ring_size, p->buf_size, need, need);
		ret = -ENOSPC;
		goto fail;
	}

	/* devdax maps only at its alignment: map from the aligned-down start. */
	map_off = p->offset & ~(align - 1);
	w->map_len = RTE_ALIGN_CEIL(p->offset + w->size - map_off, align);
	w->map_base = mmap(NULL, w->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd,
			   (off_t)map_off);
	if (w->map_base == MAP_FAILED) {
		ret = -errno;
		CXLMEM_LOG(ERR, "cannot map %s (%zu bytes at %" PRIu64 "): %s", w->path,
			   w->map_len, map_off, strerror(errno));
		w->map_base = NULL;
		goto fail;
	}
	w->base = (uint8_t *)w->map_base + (p->offset - map_off);

	if (node >= 0 && numa_available() >= 0 && node <= numa_max_node())
		w->numa_node = node;
	return 0;

fail:
	cxlmem_window_close(w);
	return ret;
}

/** Unmap and close; idempotent. A file this port created stays: the peer may use it. */
void
cxlmem_window_close(struct cxlmem_window *w)
{
	if (w->map_base != NULL)
		munmap(w->map_base, w->map_len);
	w->map_base = NULL;
	w->base = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static int
ofd_lock(int fd, short type, uint64_t start, uint64_t len, struct flock *conflict)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = (off_t)start,
		.l_len = (off_t)len,
	};

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return -errno;
	*conflict = fl;
	if (fcntl(fd, F_OFD_GETLK, conflict) != 0)
		conflict->l_type = F_UNLCK;
	return -EBUSY;
}

/**
 * Claim this port's share of the window against other processes of this
 * operating system, with open-file-description locks: a write lock on our
 * role's control line, and read locks on the rest of the (sub-)window
 * except both control lines. So a second owner of the same role conflicts
 * on the control line, and a sub-window overlapping ours conflicts on a
 * range (its control line falls inside our read lock, or ours in its).
 * Locks go away with the process, so a killed owner leaves none behind; a
 * process on the other side of the link is covered by the heartbeat check
 * in the caller.
 * Returns 0, -EBUSY (the role is owned here), -EADDRINUSE (an overlapping
 * sub-window is in use), or another negative errno from fcntl.
 */
int
cxlmem_lock_role(struct cxlmem_window *w, const struct cxlmem_params *p)
{
	const uint64_t ctrl = p->offset + CXLMEM_CTRL_OFFSET(p->role);
	const uint64_t ctrl_end = p->offset + CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE) + CXLMEM_LINE;
	struct flock c;
	int ret;

	ret = ofd_lock(w->fd, F_WRLCK, ctrl, CXLMEM_LINE, &c);
	if (ret == -EBUSY && c.l_type == F_WRLCK && (uint64_t)c.l_start == ctrl &&
	    c.l_len == CXLMEM_LINE)
		return -EBUSY;
	if (ret == -EBUSY)
		return -EADDRINUSE;
	if (ret != 0)
		return ret;
	ret = ofd_lock(w->fd, F_RDLCK, p->offset, CXLMEM_LINE, &c);
	if (ret == 0)
		ret = ofd_lock(w->fd, F_RDLCK, ctrl_end, p->offset + w->size - ctrl_end, &c);
	if (ret == -EBUSY)
		return -EADDRINUSE;
	return ret;
}

int cxlmem_cpu_has_clwb;
int cxlmem_cpu_has_clflushopt;

/** Detect CLWB and CLFLUSHOPT: CPUID leaf 7, sub-leaf 0, EBX bits 24 and 23
 *  (Intel SDM vol. 2A, CPUID). */
void
cxlmem_coherence_init(void)
{
#if defined(RTE_ARCH_X86) || defined(__x86_64__)
	unsigned int a, b, c, d;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		cxlmem_cpu_has_clwb = (b >> 24) & 1;
		cxlmem_cpu_has_clflushopt = (b >> 23) & 1;
	}
#endif
}
