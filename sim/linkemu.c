// SPDX-License-Identifier: MIT
/* Userspace link emulator (see linkemu.h): two AF_PACKET sockets, one
 * delay queue per direction, an epoll loop woken by the sockets, a
 * timerfd armed for the earliest release and a signalfd. */
#include "linkemu.h"
#include "linkemu_gso.h"
#include "linkemu_queue.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#define LINKEMU_MAX_LIMIT 1000000u
#define LINKEMU_MAX_LIMIT_BYTES (1u << 30)
#define LINKEMU_SOCKBUF (4 << 20)   /* socket rcv/snd buffers */
#define LINKEMU_RX_BUDGET 64        /* frames per socket per wakeup */
#define LINKEMU_SEG_BATCH 64        /* segments per sendmmsg */
#define LINKEMU_SEGBUF (256u << 10) /* room for one batch of segments */

/* ---- arguments ---- */

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static const struct option linkemu_longopts[] = {
	{ "a",           required_argument, NULL, 'a' },
	{ "b",           required_argument, NULL, 'b' },
	{ "delay-us",    required_argument, NULL, 'd' },
	{ "jitter-us",   required_argument, NULL, 'j' },
	{ "loss-ppm",    required_argument, NULL, 'l' },
	{ "seed",        required_argument, NULL, 's' },
	{ "limit",       required_argument, NULL, 'L' },
	{ "limit-bytes", required_argument, NULL, 'B' },
	{ "ready-fd",    required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

/* Stores one option's value; err names what was expected. */
static int set_opt(struct linkemu_opts *o, int c, const char *arg,
		   char *err, size_t errlen)
{
	char *name = NULL;
	uint64_t v, max = UINT32_MAX;
	const char *what = NULL;

	switch (c) {
	case 'a':
	case 'b':
		name = c == 'a' ? o->a : o->b;
		if (!ifname_valid(arg)) {
			snprintf(err, errlen, "--%c: '%s': expected an "
				 "interface name of 1-15 bytes", c, arg);
			return -EINVAL;
		}
		strcpy(name, arg);
		return 0;
	case 'd':
	case 'j':
		max = LINKEMU_MAX_US;
		what = "microseconds, 0..60000000";
		break;
	case 'l':
		max = LQ_PPM;
		what = "parts per million, 0..1000000";
		break;
	case 's':
		max = UINT64_MAX;
		what = "an unsigned 64-bit number";
		break;
	case 'L':
		max = LINKEMU_MAX_LIMIT;
		what = "frames, 1..1000000";
		break;
	case 'B':
		max = LINKEMU_MAX_LIMIT_BYTES;
		what = "bytes, 65792..1073741824";
		break;
	case 'r':
		max = INT_MAX;
		what = "a file descriptor number";
		break;
	}
	if (parse_u64(arg, max, &v) ||
	    (c == 'L' && !v) || (c == 'B' && v < LINKEMU_FRAME_MAX)) {
		for (const struct option *lo = linkemu_longopts; lo->name; lo++)
			if (lo->val == c)
				snprintf(err, errlen, "--%s: '%s': expected %s",
					 lo->name, arg, what);
		return -EINVAL;
	}
	switch (c) {
	case 'd': o->delay_us = (uint32_t)v; break;
	case 'j': o->jitter_us = (uint32_t)v; break;
	case 'l': o->loss_ppm = (uint32_t)v; break;
	case 's': o->seed = v; o->seed_set = 1; break;
	case 'L': o->limit = (uint32_t)v; break;
	case 'B': o->limit_bytes = (uint32_t)v; break;
	case 'r': o->ready_fd = (int)v; break;
	}
	return 0;
}

int linkemu_parse_args(int argc, char **argv, struct linkemu_opts *o,
		       char *err, size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->limit = LINKEMU_DEF_LIMIT;
	o->limit_bytes = LINKEMU_DEF_LIMIT_BYTES;
	o->ready_fd = -1;
	snprintf(err, errlen, "bad arguments");
	if (argc < 1 || !argv)
		return -EINVAL;
	optind = 0;   /* full reset: knetsim's main may have used getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", linkemu_longopts,
				NULL)) != -1) {
		const char *opt = argv[optind - 1];

		if (c == ':') {
			snprintf(err, errlen, "%s: expected a value", opt);
			return -EINVAL;
		}
		if (c == '?') {
			snprintf(err, errlen, "%s: unknown or ambiguous option",
				 opt);
			return -EINVAL;
		}
		if (set_opt(o, c, optarg, err, errlen))
			return -EINVAL;
	}
	if (optind < argc) {
		snprintf(err, errlen, "'%s': unexpected argument",
			 argv[optind]);
		return -EINVAL;
	}
	if (!o->a[0] || !o->b[0]) {
		snprintf(err, errlen,
			 "--a and --b: both interfaces are required");
		return -EINVAL;
	}
	if (!strcmp(o->a, o->b)) {
		snprintf(err, errlen, "--a and --b: must name two different "
			 "interfaces");
		return -EINVAL;
	}
	return 0;
}

/* ---- the emulator ---- */

struct emu_port {
	const char *name;
	int ifindex;
	int fd;
	uint64_t sock_drops;     /* frames the kernel dropped at our socket */
};

struct emu_stats {
	uint64_t received, forwarded, lost, queue_full, tx_errors, bad;
	uint64_t segmented;         /* tunnelled GSO frames cut here */
};

struct emu_dir {
	struct emu_port *in, *out;
	struct lq_params params;
	struct lq_rand rand;
	struct lq q;
	struct emu_stats st;
};

struct emu {
	struct emu_port port[2];
	struct emu_dir dir[2];      /* 0: a -> b, 1: b -> a */
	int epfd, tfd, sfd;
	uint64_t armed_ns;          /* timerfd expiry, 0: disarmed */
	unsigned char *rxbuf;
	unsigned char *segbuf;      /* LINKEMU_SEGBUF bytes */
	struct mmsghdr msgs[LINKEMU_SEG_BATCH];
	struct iovec iov[LINKEMU_SEG_BATCH];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int sockopt_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

/* Big socket buffers so bursts of GSO frames are not dropped; FORCE
 * needs CAP_NET_ADMIN, the plain option is the fallback. */
static void port_bufs(int fd)
{
	if (sockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, LINKEMU_SOCKBUF))
		sockopt_int(fd, SOL_SOCKET, SO_RCVBUF, LINKEMU_SOCKBUF);
	if (sockopt_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, LINKEMU_SOCKBUF))
		sockopt_int(fd, SOL_SOCKET, SO_SNDBUF, LINKEMU_SOCKBUF);
}

static int port_open(struct emu_port *p)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int err;

	p->fd = -1;
	p->ifindex = (int)if_nametoindex(p->name);
	if (!p->ifindex) {
		err = -errno;
		log_err("linkemu: %s: no such interface: %s", p->name,
			strerror(-err));
		return err;
	}
	/* Protocol 0: receive nothing until bound to the one interface. */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		err = -errno;
		log_err("linkemu: %s: packet socket: %s", p->name,
			strerror(-err));
		return err;
	}
	err = sockopt_int(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
	if (!err)
		err = sockopt_int(p->fd, SOL_PACKET, PACKET_VNET_HDR, 1);
	if (err) {
		log_err("linkemu: %s: packet socket options: %s", p->name,
			strerror(-err));
		return err;
	}
	port_bufs(p->fd);
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		log_err("linkemu: %s: bind: %s", p->name, strerror(-err));
		return err;
	}
	/* veth delivers every frame anyway; other devices may filter. */
	mr.mr_ifindex = p->ifindex;
	if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)))
		log_warn("linkemu: %s: promiscuous mode: %s", p->name,
			 strerror(errno));
	return 0;
}

static void port_close(struct emu_port *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void port_read_drops(struct emu_port *p)
{
	struct tpacket_stats ts;
	socklen_t len = sizeof(ts);

	/* Reading resets the kernel's counters, so accumulate. */
	if (p->fd >= 0 &&
	    !getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &len))
		p->sock_drops += ts.tp_drops;
}

static void emu_print_stats(struct emu *e)
{
	for (int i = 0; i < 2; i++)
		port_read_drops(&e->port[i]);
	for (int i = 0; i < 2; i++) {
		const struct emu_dir *d = &e->dir[i];
		const struct emu_stats *s = &d->st;

		fprintf(stderr, "linkemu: %s -> %s: received %" PRIu64
			" forwarded %" PRIu64 " lost %" PRIu64
			" queue-full %" PRIu64 " tx-errors %" PRIu64
			" bad %" PRIu64 " socket-drops %" PRIu64
			" segmented %" PRIu64 " queued %zu\n", d->in->name,
			d->out->name, s->received, s->forwarded, s->lost,
			s->queue_full, s->tx_errors, s->bad, d->in->sock_drops,
			s->segmented, lq_count(&d->q));
	}
	fflush(stderr);
}

/* Takes one frame off in's socket. 1: got one, 0: nothing more now. */
static int dir_recv_one(struct emu *e, struct emu_dir *d)
{
	ssize_t n;
	uint64_t t;
	int err;

	n = recv(d->in->fd, e->rxbuf, LINKEMU_FRAME_MAX, MSG_TRUNC);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_debug("linkemu: %s: recv: %s", d->in->name,
				  strerror(errno));
		return 0;
	}
	d->st.received++;
	if ((size_t)n > LINKEMU_FRAME_MAX ||
	    (size_t)n < sizeof(struct virtio_net_hdr) + ETH_HLEN) {
		d->st.bad++;
		return 1;
	}
	if (lq_lose(&d->params, &d->rand)) {
		d->st.lost++;
		return 1;
	}
	t = lq_release_time(&d->params, &d->rand, now_ns(),
			    lq_last_release(&d->q));
	err = lq_push(&d->q, e->rxbuf, (size_t)n, t);
	if (err == -ENOBUFS)
		d->st.queue_full++;
	else if (err)
		d->st.bad++;
	return 1;
}

static void dir_recv(struct emu *e, struct emu_dir *d)
{
	for (int i = 0; i < LINKEMU_RX_BUDGET; i++)
		if (!dir_recv_one(e, d))
			break;
}

/* Sends msgs[0..n) and returns how many failed; a failed one is
 * skipped, the rest still go. */
static size_t send_batch(struct emu *e, int fd, size_t n)
{
	size_t done = 0, failed = 0;
	int r;

	while (done < n) {
		r = sendmmsg(fd, e->msgs + done, (unsigned)(n - done),
			     MSG_DONTWAIT);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		log_debug("linkemu: sendmmsg: %s", strerror(errno));
		failed++;
		done++;
	}
	return failed;
}

/* Cuts a tunnelled GSO super-frame into wire-sized frames and sends them
 * in batches. 0 when every segment went, -EIO otherwise. */
static int send_segments(struct emu *e, int fd, const void *frame,
			 const struct lg_layout *lo)
{
	size_t max = lg_seg_max(lo), i = 0, used, n, failed = 0;

	if (max > LINKEMU_SEGBUF)
		return -EIO;
	while (i < lo->nsegs) {
		for (used = 0, n = 0; i < lo->nsegs && n < LINKEMU_SEG_BATCH &&
		     LINKEMU_SEGBUF - used >= max; n++, i++) {
			e->iov[n].iov_base = e->segbuf + used;
			e->iov[n].iov_len = lg_segment(frame, lo, i,
						       e->segbuf + used, max);
			memset(&e->msgs[n], 0, sizeof(e->msgs[n]));
			e->msgs[n].msg_hdr.msg_iov = &e->iov[n];
			e->msgs[n].msg_hdr.msg_iovlen = 1;
			used += e->iov[n].iov_len;
		}
		failed += send_batch(e, fd, n);
	}
	return failed ? -EIO : 0;
}

/* Hands one frame to the kernel: as it is, or cut up when the kernel
 * would refuse it (see linkemu_gso.h). */
static int send_frame(struct emu *e, struct emu_dir *d, const void *frame,
		      size_t len)
{
	struct lg_layout lo;
	int err;

	if (lg_classify(frame, len, &lo)) {
		d->st.segmented++;
		return send_segments(e, d->out->fd, frame, &lo);
	}
	if (send(d->out->fd, frame, len, MSG_DONTWAIT) < 0) {
		err = -errno;
		log_debug("linkemu: %s: send: %s", d->out->name,
			  strerror(-err));
		return err;
	}
	return 0;
}

/* Sends every frame whose time has come. */
static void dir_flush(struct emu *e, struct emu_dir *d, uint64_t now)
{
	const struct lq_slot *s;

	while ((s = lq_peek(&d->q)) && s->release_ns <= now) {
		if (send_frame(e, d, lq_data(&d->q, s), s->len))
			d->st.tx_errors++;
		else
			d->st.forwarded++;
		lq_pop(&d->q);
	}
}

static int emu_arm(struct emu *e)
{
	struct itimerspec its = { 0 };
	uint64_t next = 0;

	for (int i = 0; i < 2; i++) {
		const struct lq_slot *s = lq_peek(&e->dir[i].q);

		if (s && (!next || s->release_ns < next))
			next = s->release_ns;
	}
	if (next == e->armed_ns)
		return 0;
	/* it_value all zero disarms; a time in the past fires at once. */
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000000000ull);
		its.it_value.tv_nsec = (long)(next % 1000000000ull);
	}
	if (timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		return -errno;
	e->armed_ns = next;
	return 0;
}

/* 1: stop, 0: go on. */
static int emu_signal(struct emu *e)
{
	struct signalfd_siginfo si;

	while (read(e->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			emu_print_stats(e);
		else
			return 1;
	}
	return 0;
}

static int emu_loop(struct emu *e)
{
	struct epoll_event ev[4];
	uint64_t expirations, now;
	int n, err;

	for (;;) {
		n = epoll_wait(e->epfd, ev, 4, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			log_err("linkemu: epoll_wait: %s", strerror(-err));
			return err;
		}
		for (int i = 0; i < n; i++) {
			int tag = (int)ev[i].data.u32;

			if (tag < 2) {
				dir_recv(e, &e->dir[tag]);
			} else if (tag == 2) {
				if (read(e->tfd, &expirations,
					 sizeof(expirations)) > 0)
					e->armed_ns = 0;
			} else if (emu_signal(e)) {
				return 0;
			}
		}
		now = now_ns();
		dir_flush(e, &e->dir[0], now);
		dir_flush(e, &e->dir[1], now);
		err = emu_arm(e);
		if (err) {
			log_err("linkemu: timerfd: %s", strerror(-err));
			return err;
		}
	}
}

static int epoll_watch(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int emu_fds(struct emu *e)
{
	sigset_t set;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	e->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->sfd < 0 || e->tfd < 0 || e->epfd < 0)
		return -errno;
	/* Tags: 0 and 1 are the directions fed by port 0 and port 1. */
	err = epoll_watch(e->epfd, e->port[0].fd, 0);
	if (!err)
		err = epoll_watch(e->epfd, e->port[1].fd, 1);
	if (!err)
		err = epoll_watch(e->epfd, e->tfd, 2);
	if (!err)
		err = epoll_watch(e->epfd, e->sfd, 3);
	return err;
}

static uint64_t default_seed(void)
{
	return now_ns() ^ ((uint64_t)time(NULL) << 32) ^ (uint64_t)getpid();
}

static int emu_setup(struct emu *e, const struct linkemu_opts *o)
{
	struct lq_params p = {
		.delay_us = o->delay_us,
		.jitter_us = o->jitter_us,
		.loss_ppm = o->loss_ppm,
	};
	struct lq_rand master;
	int err;

	lq_rand_seed(&master, o->seed);
	e->port[0].name = o->a;
	e->port[1].name = o->b;
	for (int i = 0; i < 2; i++) {
		struct emu_dir *d = &e->dir[i];

		d->in = &e->port[i];
		d->out = &e->port[!i];
		d->params = p;
		lq_rand_seed(&d->rand, lq_rand_next(&master));
		err = lq_init(&d->q, o->limit, o->limit_bytes);
		if (err) {
			log_err("linkemu: queue: %s", strerror(-err));
			return err;
		}
	}
	e->rxbuf = malloc(LINKEMU_FRAME_MAX);
	e->segbuf = malloc(LINKEMU_SEGBUF);
	if (!e->rxbuf || !e->segbuf) {
		log_err("linkemu: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (int i = 0; i < 2; i++) {
		err = port_open(&e->port[i]);
		if (err)
			return err;
	}
	err = emu_fds(e);
	if (err)
		log_err("linkemu: event setup: %s", strerror(-err));
	return err;
}

/* Tells whoever started us that frames are being forwarded now. */
static void notify_ready(int fd)
{
	static const char msg[] = "ready\n";

	if (fd < 0)
		return;
	if (write(fd, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		log_warn("linkemu: --ready-fd %d: %s", fd, strerror(errno));
	close(fd);
}

static void emu_teardown(struct emu *e)
{
	for (int i = 0; i < 2; i++) {
		port_close(&e->port[i]);
		lq_destroy(&e->dir[i].q);
	}
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->tfd >= 0)
		close(e->tfd);
	if (e->sfd >= 0)
		close(e->sfd);
	free(e->rxbuf);
	free(e->segbuf);
}

int linkemu_main(int argc, char **argv)
{
	struct linkemu_opts o;
	struct emu e = {
		.port = { { .fd = -1 }, { .fd = -1 } },
		.epfd = -1, .tfd = -1, .sfd = -1,
	};
	char err[256];
	int ret;

	if (linkemu_parse_args(argc, argv, &o, err, sizeof(err))) {
		log_err("%s: %s", LINKEMU_CMD, err);
		return 2;
	}
	if (!o.seed_set)
		o.seed = default_seed();
	/* Release times are precise to the timer: no 50 us slack. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	ret = emu_setup(&e, &o);
	if (!ret) {
		fprintf(stderr, "linkemu: %s <-> %s: delay %" PRIu32
			" us, jitter %" PRIu32 " us, loss %" PRIu32
			" ppm, seed %" PRIu64 "\n", o.a, o.b, o.delay_us,
			o.jitter_us, o.loss_ppm, o.seed);
		notify_ready(o.ready_fd);
		ret = emu_loop(&e);
		emu_print_stats(&e);
	}
	emu_teardown(&e);
	return ret ? 1 : 0;
}
