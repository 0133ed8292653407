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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <daxctl/libdaxctl.h>
#include <numa.h>

#include <rte_common.h>

#include "cxlmem.h"

/** Alignment of offset= inside a window, bytes. */
#define CXLMEM_OFFSET_ALIGN 4096u

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

/*
 * Size the window w->fd refers to (a regular file, or a devdax character
 * device when it is one: then w->is_devdax, w->dax_name and *align, *node
 * come from libdaxctl), check offset/size against it and against min_len,
 * and map it. `what` names the window in messages (path=... or dax=...).
 * Returns 0 or a negative errno after one log line; w stays open on error
 * (the caller closes it).
 */
static int
window_size_and_map(struct cxlmem_window *w, const char *what, uint64_t offset, uint64_t size,
		    uint64_t min_len, const char *min_why)
{
	uint64_t total = 0, align = (uint64_t)sysconf(_SC_PAGESIZE), map_off;
	struct stat st;
	int node = -1, ret;

	if (fstat(w->fd, &st) != 0) {
		ret = -errno;
		CXLMEM_LOG(ERR, "%s: cannot stat %s: %s", what, w->path, strerror(errno));
		return ret;
	}
	if (S_ISCHR(st.st_mode)) {
		/* path=/dev/daxX.Y or dax=daxX.Y: libdaxctl knows its size,
		 * alignment and node. */
		const char *base = strrchr(w->path, '/');
		char dpath[PATH_MAX];

		if (snprintf(w->dax_name, sizeof(w->dax_name), "%s",
			     base != NULL ? base + 1 : w->path) >= (int)sizeof(w->dax_name)) {
			CXLMEM_LOG(ERR, "%s: %s is not a devdax device name", what, w->path);
			return -EINVAL;
		}
		ret = dax_lookup(what, w->dax_name, &total, &align, &node, dpath, sizeof(dpath));
		if (ret != 0)
			return ret;
		w->is_devdax = true;
	} else if (S_ISREG(st.st_mode)) {
		total = (uint64_t)st.st_size;
	} else {
		CXLMEM_LOG(ERR, "%s is neither a regular file nor a devdax device", what);
		return -EINVAL;
	}

	if (offset >= total) {
		CXLMEM_LOG(ERR, "%s: offset=%" PRIu64 " is beyond the end of %s (%" PRIu64 " bytes)",
			   what, offset, w->path, total);
		return -EINVAL;
	}
	w->size = size != 0 ? size : total - offset;
	if (w->size > total - offset) {
		CXLMEM_LOG(ERR, "%s: offset=%" PRIu64 " + size=%" PRIu64 " exceeds %s (%" PRIu64
			   " bytes)", what, offset, w->size, w->path, total);
		return -EINVAL;
	}
	if (w->size < min_len) {
		CXLMEM_LOG(ERR, "%s: window %s is %" PRIu64 " bytes, %s needs %" PRIu64 "; give "
			   "size=%" PRIu64 " or more (on a new file), or fewer queues or smaller "
			   "rings", what, w->path, w->size, min_why, min_len, min_len);
		return -ENOSPC;
	}

	/* devdax maps only at its alignment: map from the aligned-down start. */
	map_off = offset & ~(align - 1);
	w->map_len = RTE_ALIGN_CEIL(offset + w->size - map_off, align);
	w->map_base = mmap(NULL, w->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd,
			   (off_t)map_off);
	if (w->map_base == MAP_FAILED) {
		ret = -errno;
		CXLMEM_LOG(ERR, "%s: cannot map %s (%zu bytes at %" PRIu64 "): %s", what, w->path,
			   w->map_len, map_off, strerror(errno));
		w->map_base = NULL;
		return ret;
	}
	w->base = (uint8_t *)w->map_base + (offset - map_off);
	if (node >= 0 && numa_available() >= 0 && node <= numa_max_node())
		w->numa_node = node;
	return 0;
}

static void
window_init(struct cxlmem_window *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->numa_node = -1;
}

/**
 * Open and map the window described by p. When path= is absent and the
 * role is host, it is created (mode 0600) with size= bytes, or create_len
 * bytes past offset=. The window must hold at least min_len bytes (the
 * header when the geometry is still unknown, else what the geometry
 * needs).
 * Returns 0, or a negative errno after logging one line that says what to
 * change: -ENOENT (no such file for role=device), -ENODEV/-EBUSY (dax
 * lookup), -EINVAL (offset/size outside the window, misaligned, not a file
 * or devdax), -ENOSPC (window smaller than min_len), or the errno of
 * open/fstat/posix_fallocate/mmap.
 */
int
cxlmem_window_open(const struct cxlmem_params *p, uint64_t create_len, uint64_t min_len,
		   struct cxlmem_window *w)
{
	char what[PATH_MAX + 16];
	int ret;

	window_init(w);
	if (p->offset % CXLMEM_OFFSET_ALIGN != 0) {
		CXLMEM_LOG(ERR, "offset=%" PRIu64 " is not a multiple of %u", p->offset,
			   CXLMEM_OFFSET_ALIGN);
		return -EINVAL;
	}

	if (p->dax[0] != '\0') {
		uint64_t total, align;
		int node;

		snprintf(what, sizeof(what), "dax=%s", p->dax);
		ret = dax_lookup(what, p->dax, &total, &align, &node, w->path, sizeof(w->path));
		if (ret != 0)
			return ret;
		w->fd = open(w->path, O_RDWR | O_CLOEXEC);
	} else {
		snprintf(what, sizeof(what), "path=%s", p->path);
		snprintf(w->path, sizeof(w->path), "%s", p->path);
		w->fd = open(w->path, O_RDWR | O_CLOEXEC);
		if (w->fd < 0 && errno == ENOENT) {
			uint64_t len = p->size != 0 ? p->size : create_len;

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
		CXLMEM_LOG(ERR, "%s: cannot open %s: %s", what, w->path, strerror(errno));
		return ret;
	}
	{
		char why[96];

		if (min_len > CXLMEM_QUEUE_AREA_OFFSET)
			snprintf(why, sizeof(why), "the geometry queues=%u rsize=%u bsize=%u",
				 p->nb_queues, p->ring_size, p->buf_size);
		else
			snprintf(why, sizeof(why), "the window header");
		ret = window_size_and_map(w, what, p->offset, p->size, min_len, why);
	}
	if (ret != 0)
		goto fail;
	return 0;

fail:
	cxlmem_window_close(w);
	return ret;
}

/**
 * Map the window a primary process opened (a secondary process's view of
 * the same port): path is what the primary opened (a file or /dev/daxX.Y),
 * offset and size its sub-window. Nothing is created, locked or written.
 * Returns 0 or a negative errno (of open/fstat/mmap, -EINVAL or -ENOSPC
 * when the file no longer holds that sub-window), after one log line.
 */
int
cxlmem_window_attach(const char *path, uint64_t offset, uint64_t size, struct cxlmem_window *w)
{
	char what[PATH_MAX + 16];
	int ret;

	window_init(w);
	snprintf(what, sizeof(what), "path=%s", path);
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->fd = open(w->path, O_RDWR | O_CLOEXEC);
	if (w->fd < 0) {
		ret = -errno;
		CXLMEM_LOG(ERR, "secondary process: cannot open the primary's window %s: %s",
			   path, strerror(errno));
		return ret;
	}
	ret = window_size_and_map(w, what, offset, size, size, "the primary's window");
	if (ret != 0)
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

/* Read attribute leaf of sysfs folder dir into buf (trailing newline and
 * blanks stripped). Returns 0, or -1 when absent or empty. */
static int
sysfs_read(const char *dir, const char *leaf, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, leaf) >= (int)sizeof(path))
		return -1;
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n > 0 ? 0 : -1;
}

/*
 * Data rate of one PCIe link in Mbit/s from its sysfs attributes
 * current_link_speed ("32.0 GT/s PCIe") and current_link_width ("16"):
 * transfer rate x lanes x line-code efficiency (8b/10b up to 5 GT/s,
 * 128b/130b from 8 GT/s: PCI Express Base Specification 6.0, 4.2.1 and
 * 4.2.2; CXL runs on the PCIe PHY, CXL 3.1 section 6). 0 when unknown.
 */
static uint64_t
pcie_link_mbps(const char *dev_dir)
{
	char buf[64];
	double gts;
	unsigned long width;
	char *end;

	if (sysfs_read(dev_dir, "current_link_speed", buf, sizeof(buf)) != 0)
		return 0;
	gts = strtod(buf, &end);
	if (end == buf || gts <= 0)
		return 0;
	if (sysfs_read(dev_dir, "current_link_width", buf, sizeof(buf)) != 0)
		return 0;
	width = strtoul(buf, &end, 10);
	if (end == buf || width == 0 || width > 32)
		return 0;
	return (uint64_t)(gts * 1000.0 * (double)width * (gts < 8.0 ? 8.0 / 10.0 : 128.0 / 130.0));
}

/**
 * The CXL link bandwidth behind a devdax window, in Mbit/s: the sum over
 * the region's interleave targets of each memory device's PCIe link
 * (negotiated speed x width). The kernel's CXL sysfs ABI
 * (Documentation/ABI/testing/sysfs-bus-cxl) gives the path:
 *   /sys/bus/dax/devices/daxX.Y -> .../regionN/dax_regionN/daxX.Y
 *   regionN/targetK             -> an endpoint decoder name, decoderE.D
 *   /sys/bus/cxl/devices/decoderE.D -> .../endpointE/decoderE.D
 *   endpointE/uport             -> the memdev, .../<PCI device>/memM
 * Returns 0 when the window is not devdax or the kernel does not expose
 * the chain (e.g. a devdax device that is not a CXL region).
 */
uint32_t
cxlmem_window_link_speed(const struct cxlmem_window *w)
{
	char path[PATH_MAX], real[PATH_MAX], region[PATH_MAX], target[64];
	uint64_t total = 0;
	unsigned int k;
	char *slash;

	if (!w->is_devdax || w->dax_name[0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s", w->dax_name);
	if (realpath(path, real) == NULL)
		return 0;
	/* .../regionN/dax_regionN/daxX.Y: drop two components. */
	for (k = 0; k < 2; k++) {
		slash = strrchr(real, '/');
		if (slash == NULL)
			return 0;
		*slash = '\0';
	}
	snprintf(region, sizeof(region), "%s", real);
	for (k = 0; k < 16; k++) {
		char dec[PATH_MAX], memdev[PATH_MAX], leaf[16];

		snprintf(leaf, sizeof(leaf), "target%u", k);
		if (sysfs_read(region, leaf, target, sizeof(target)) != 0)
			break;
		snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s", target);
		if (realpath(path, dec) == NULL)
			continue;
		slash = strrchr(dec, '/');
		if (slash == NULL)
			continue;
		*slash = '\0'; /* the endpoint port */
		if (snprintf(path, sizeof(path), "%s/uport", dec) >= (int)sizeof(path) ||
		    realpath(path, memdev) == NULL)
			continue;
		slash = strrchr(memdev, '/');
		if (slash == NULL)
			continue;
		*slash = '\0'; /* the memdev's PCI device */
		total += pcie_link_mbps(memdev);
	}
	return (uint32_t)RTE_MIN(total, (uint64_t)UINT32_MAX);
}
