/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_devargs.c - the devargs of net_cxlmem, parsed with rte_kvargs into
 * struct cxlmem_params: one handler per key, each refusing a bad value with
 * one log line that names the key and what it accepts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>

#include "cxlmem.h"

/** Defaults of the devargs. */
#define CXLMEM_DEFAULT_QUEUES       1u
#define CXLMEM_DEFAULT_RING_SIZE    1024u
#define CXLMEM_DEFAULT_BUF_SIZE     2048u
#define CXLMEM_DEFAULT_LINK_TIMEOUT 80u    /* ms: detection within timeout + one tick */
#define CXLMEM_MIN_LINK_TIMEOUT     20u    /* ms: two heartbeat ticks */
#define CXLMEM_MAX_LINK_TIMEOUT     60000u /* ms */
#define CXLMEM_MIN_SPEED            1u     /* Mbit/s */
#define CXLMEM_MAX_SPEED            4000000u /* Mbit/s: a x16 CXL link is ~500000 */

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

static int
parse_u32(const char *key, const char *val, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;

	if (cxlmem_parse_size(val, &v) != 0 || v < lo || v > hi) {
		CXLMEM_LOG(ERR, "%s=%s: expected a number from %u to %u", key, val, lo, hi);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
arg_role(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (strcmp(val, "host") == 0) {
		p->role = CXLMEM_ROLE_HOST;
	} else if (strcmp(val, "device") == 0) {
		p->role = CXLMEM_ROLE_DEVICE;
	} else {
		CXLMEM_LOG(ERR, "role=%s: expected role=host or role=device", val);
		return -EINVAL;
	}
	p->role_set = true;
	return 0;
}

static int
arg_path(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (*val == '\0' || strlen(val) >= sizeof(p->path)) {
		CXLMEM_LOG(ERR, "path=%s: expected a file or devdax path", val);
		return -EINVAL;
	}
	snprintf(p->path, sizeof(p->path), "%s", val);
	return 0;
}

static int
arg_dax(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;
	unsigned int a, b;
	char tail;

	if (sscanf(val, "dax%u.%u%c", &a, &b, &tail) != 2 || strlen(val) >= sizeof(p->dax)) {
		CXLMEM_LOG(ERR, "dax=%s: expected a devdax name such as dax0.0", val);
		return -EINVAL;
	}
	snprintf(p->dax, sizeof(p->dax), "%s", val);
	return 0;
}

static int
arg_offset(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (cxlmem_parse_size(val, &p->offset) != 0) {
		CXLMEM_LOG(ERR, "offset=%s: expected bytes, with an optional K/M/G suffix", val);
		return -EINVAL;
	}
	return 0;
}

static int
arg_size(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (cxlmem_parse_size(val, &p->size) != 0 || p->size == 0) {
		CXLMEM_LOG(ERR, "size=%s: expected bytes > 0, with an optional K/M/G suffix", val);
		return -EINVAL;
	}
	return 0;
}

static int
arg_queues(const char *key, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	p->geometry_set = true;
	return parse_u32(key, val, 1, CXLMEM_MAX_QUEUES, &p->nb_queues);
}

static int
arg_rsize(const char *key, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	p->geometry_set = true;
	if (parse_u32(key, val, CXLMEM_MIN_RING_SIZE, CXLMEM_MAX_RING_SIZE, &p->ring_size) != 0)
		return -EINVAL;
	if (!rte_is_power_of_2(p->ring_size)) {
		CXLMEM_LOG(ERR, "rsize=%s: expected a power of two from %u to %u", val,
			   CXLMEM_MIN_RING_SIZE, CXLMEM_MAX_RING_SIZE);
		return -EINVAL;
	}
	return 0;
}

static int
arg_bsize(const char *key, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	p->geometry_set = true;
	if (parse_u32(key, val, CXLMEM_MIN_BUF_SIZE, CXLMEM_MAX_BUF_SIZE, &p->buf_size) != 0)
		return -EINVAL;
	if (p->buf_size % CXLMEM_LINE != 0) {
		CXLMEM_LOG(ERR, "bsize=%s: expected a multiple of %u from %u to %u", val,
			   CXLMEM_LINE, CXLMEM_MIN_BUF_SIZE, CXLMEM_MAX_BUF_SIZE);
		return -EINVAL;
	}
	return 0;
}

static int
arg_mac(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (rte_ether_unformat_addr(val, &p->mac) != 0 || !rte_is_unicast_ether_addr(&p->mac) ||
	    rte_is_zero_ether_addr(&p->mac)) {
		CXLMEM_LOG(ERR, "mac=%s: expected a non-zero unicast MAC such as 02:00:00:00:00:01",
			   val);
		return -EINVAL;
	}
	p->mac_set = true;
	return 0;
}

static int
arg_coherence(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (strcmp(val, "hw") == 0) {
		p->coherence = CXLMEM_COHERENCE_HW;
	} else if (strcmp(val, "flush") == 0) {
		p->coherence = CXLMEM_COHERENCE_FLUSH;
	} else {
		CXLMEM_LOG(ERR, "coherence=%s: expected coherence=hw or coherence=flush", val);
		return -EINVAL;
	}
	return 0;
}

static int
arg_link_timeout(const char *key, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	return parse_u32(key, val, CXLMEM_MIN_LINK_TIMEOUT, CXLMEM_MAX_LINK_TIMEOUT,
			 &p->link_timeout_ms);
}

static int
arg_speed(const char *key, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	return parse_u32(key, val, CXLMEM_MIN_SPEED, CXLMEM_MAX_SPEED, &p->speed_mbps);
}

static int
arg_zerocopy(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (strcmp(val, "rx") == 0) {
		p->rx_zerocopy = true;
	} else if (strcmp(val, "off") == 0) {
		p->rx_zerocopy = false;
	} else {
		CXLMEM_LOG(ERR, "zerocopy=%s: expected zerocopy=rx or zerocopy=off", val);
		return -EINVAL;
	}
	return 0;
}

static int
arg_nt_store(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (strcmp(val, "auto") == 0) {
		p->nt_store = CXLMEM_NT_STORE_AUTO;
	} else if (strcmp(val, "on") == 0) {
		p->nt_store = CXLMEM_NT_STORE_ON;
	} else if (strcmp(val, "off") == 0) {
		p->nt_store = CXLMEM_NT_STORE_OFF;
	} else {
		CXLMEM_LOG(ERR, "nt_store=%s: expected nt_store=auto, on or off", val);
		return -EINVAL;
	}
	return 0;
}

static int
arg_doorbell(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (strcmp(val, "auto") == 0) {
		p->doorbell_mode = CXLMEM_DOORBELL_AUTO;
	} else if (strcmp(val, "off") == 0) {
		p->doorbell_mode = CXLMEM_DOORBELL_OFF;
	} else if (val[0] == '/' && strlen(val) < sizeof(p->doorbell)) {
		p->doorbell_mode = CXLMEM_DOORBELL_PATH;
		snprintf(p->doorbell, sizeof(p->doorbell), "%s", val);
	} else {
		CXLMEM_LOG(ERR, "doorbell=%s: expected auto, off, or an absolute path prefix of at "
			   "most %zu bytes (Unix socket names are short)", val,
			   sizeof(p->doorbell) - 1);
		return -EINVAL;
	}
	return 0;
}

static int
arg_rx_partial_csum(const char *key __rte_unused, const char *val, void *opaque)
{
	struct cxlmem_params *p = opaque;

	if (strcmp(val, "on") == 0) {
		p->rx_partial_csum = true;
	} else if (strcmp(val, "off") == 0) {
		p->rx_partial_csum = false;
	} else {
		CXLMEM_LOG(ERR, "rx_partial_csum=%s: expected rx_partial_csum=on (the application "
			   "completes partial checksums itself) or off", val);
		return -EINVAL;
	}
	return 0;
}

static const struct {
	const char *key;
	arg_handler_t handler;
} cxlmem_args[] = {
	{ "role", arg_role },
	{ "path", arg_path },
	{ "dax", arg_dax },
	{ "offset", arg_offset },
	{ "size", arg_size },
	{ "queues", arg_queues },
	{ "rsize", arg_rsize },
	{ "bsize", arg_bsize },
	{ "mac", arg_mac },
	{ "coherence", arg_coherence },
	{ "link_timeout", arg_link_timeout },
	{ "speed", arg_speed },
	{ "zerocopy", arg_zerocopy },
	{ "nt_store", arg_nt_store },
	{ "doorbell", arg_doorbell },
	{ "rx_partial_csum", arg_rx_partial_csum },
};

/* Every key of kvl is one of cxlmem_args, given once, with a value. */
static int
check_keys(const char *name, const struct rte_kvargs *kvl)
{
	char known[192] = "";
	unsigned int i, k;

	for (k = 0; k < RTE_DIM(cxlmem_args); k++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
			 k != 0 ? ", " : "", cxlmem_args[k].key);
	for (i = 0; i < kvl->count; i++) {
		const char *key = kvl->pairs[i].key;

		for (k = 0; k < RTE_DIM(cxlmem_args); k++)
			if (strcmp(key, cxlmem_args[k].key) == 0)
				break;
		if (k == RTE_DIM(cxlmem_args)) {
			CXLMEM_LOG(ERR, "%s: unknown devarg '%s'; accepted: %s", name, key, known);
			return -EINVAL;
		}
		if (kvl->pairs[i].value == NULL) {
			CXLMEM_LOG(ERR, "%s: devarg '%s' needs a value (%s=...)", name, key, key);
			return -EINVAL;
		}
		if (rte_kvargs_count(kvl, key) > 1) {
			CXLMEM_LOG(ERR, "%s: devarg '%s' given more than once", name, key);
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * Parse devargs args of port name into *p, defaults first.
 * Returns 0, or -EINVAL after one log line naming the argument and what is
 * accepted (unknown key, key without value, key given twice, bad value,
 * no role, not exactly one of path= and dax=).
 */
int
cxlmem_parse_devargs(const char *name, const char *args, struct cxlmem_params *p)
{
	struct rte_kvargs *kvl;
	unsigned int k;
	int ret;

	memset(p, 0, sizeof(*p));
	p->nb_queues = CXLMEM_DEFAULT_QUEUES;
	p->ring_size = CXLMEM_DEFAULT_RING_SIZE;
	p->buf_size = CXLMEM_DEFAULT_BUF_SIZE;
	p->coherence = CXLMEM_COHERENCE_HW;
	p->link_timeout_ms = CXLMEM_DEFAULT_LINK_TIMEOUT;

	/* No key filter here: an unknown key is reported by name. */
	kvl = rte_kvargs_parse(args != NULL ? args : "", NULL);
	if (kvl == NULL) {
		CXLMEM_LOG(ERR, "%s: cannot parse devargs '%s'; expected key=value[,key=value...]",
			   name, args);
		return -EINVAL;
	}
	ret = check_keys(name, kvl);
	for (k = 0; ret == 0 && k < RTE_DIM(cxlmem_args); k++)
		if (rte_kvargs_process(kvl, cxlmem_args[k].key, cxlmem_args[k].handler, p) != 0)
			ret = -EINVAL;
	rte_kvargs_free(kvl);
	if (ret != 0)
		return ret;

	if (!p->role_set) {
		CXLMEM_LOG(ERR, "%s: role= is required: role=host or role=device", name);
		return -EINVAL;
	}
	if ((p->path[0] != '\0') == (p->dax[0] != '\0')) {
		CXLMEM_LOG(ERR, "%s: give exactly one window: path=FILE (a file or /dev/daxX.Y) "
			   "or dax=daxX.Y", name);
		return -EINVAL;
	}
	return 0;
}
