// SPDX-License-Identifier: MIT
/*
 * connrate: TCP connections per second between two endpoints.
 *
 *   connrate -s [-b ADDR] [-p PORT]
 *	Server. Accepts connections, echoes whatever a connection sends and
 *	closes it when the peer closes or resets. Runs until SIGINT/SIGTERM,
 *	then prints "accepted N" on stderr.
 *
 *   connrate -c ADDR [-p PORT] -d SECONDS [-n PARALLEL] [-m BYTES]
 *	Client. Keeps PARALLEL connections in flight (nonblocking sockets,
 *	epoll): connect, send a BYTES request, read the whole echo, close.
 *	It closes with SO_LINGER {1, 0}, so the close is a reset and neither
 *	side keeps the connection in TIME_WAIT: a long run does not exhaust
 *	ephemeral ports. Prints on stdout, one "metric value" per line:
 *	connections_per_second, connections, errors, elapsed_s. Exits 1 when
 *	no connection completed.
 *
 * Self-contained (libc only): the benchmark harness runs it inside network
 * namespaces, see tools/bench/scenarios/veth.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PORT	 5301
#define DEFAULT_PAR	 8
#define DEFAULT_MSG	 16
#define MAX_PAR		 1024
#define MAX_MSG		 1024
#define MAX_DURATION	 3600.0
#define MAX_EVENTS	 64
#define TICK_MS		 50

static const char *prog = "connrate";
static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -s [-b ADDR] [-p PORT]\n"
		"       %s -c ADDR [-p PORT] -d SECONDS [-n PARALLEL] [-m BYTES]\n"
		"  -s          run the server (echo, close on peer close)\n"
		"  -b ADDR     server: address to listen on (default: any IPv4)\n"
		"  -c ADDR     client: server address (numeric IPv4 or IPv6)\n"
		"  -p PORT     TCP port, 1..65535 (default %d)\n"
		"  -d SECONDS  client: how long to run, > 0 and <= %.0f\n"
		"  -n PARALLEL client: connections in flight, 1..%d (default %d)\n"
		"  -m BYTES    client: request size, 1..%d (default %d)\n",
		prog, prog, DEFAULT_PORT, MAX_DURATION, MAX_PAR, DEFAULT_PAR,
		MAX_MSG, DEFAULT_MSG);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL))
		return -errno;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Integer in [min, max]; -1 when s is not one. */
static long parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0.0) || v > MAX_DURATION)
		return -1.0;
	return v;
}

static int resolve(const char *addr, uint16_t port, bool passive,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
			    (passive ? AI_PASSIVE : 0),
	};
	struct addrinfo *res;
	char serv[8];
	int ret;

	if (passive && !addr)
		hints.ai_family = AF_INET;
	snprintf(serv, sizeof(serv), "%u", port);
	ret = getaddrinfo(addr, serv, &hints, &res);
	if (ret) {
		fprintf(stderr, "%s: address '%s': %s\n", prog,
			addr ? addr : "*", gai_strerror(ret));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* ---- server ---- */

static int server_listen(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 4096)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void server_accept(int ep, int lfd, unsigned long *accepted)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;	/* EAGAIN, or a connection that died queued */
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		(*accepted)++;
	}
}

/* Echoes what is readable; closes on EOF, reset or error. */
static void server_serve(int fd)
{
	char buf[MAX_MSG];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			/* Requests are small: the send buffer takes them whole.
			 * A short write means a client that does not read. */
			if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
	close(fd);	/* closing removes it from the epoll set */
}

static int run_server(const char *addr, uint16_t port)
{
	struct epoll_event evs[MAX_EVENTS], ev = { .events = EPOLLIN };
	struct sockaddr_storage ss;
	unsigned long accepted = 0;
	socklen_t len;
	int lfd, ep, n;

	if (resolve(addr, port, true, &ss, &len))
		return 2;
	lfd = server_listen(&ss, len);
	if (lfd < 0) {
		fprintf(stderr, "%s: listen on %s port %u: %s\n", prog,
			addr ? addr : "*", port, strerror(-lfd));
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		fprintf(stderr, "%s: epoll: %s\n", prog, strerror(errno));
		close(lfd);
		if (ep >= 0)
			close(ep);
		return 1;
	}
	while (!stop) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				server_accept(ep, lfd, &accepted);
			else
				server_serve(evs[i].data.fd);
		}
	}
	/* Connections still open are closed by exit. */
	close(ep);
	close(lfd);
	fprintf(stderr, "accepted %lu\n", accepted);
	return 0;
}

/* ---- client ---- */

enum slot_state { SLOT_IDLE, SLOT_CONNECTING, SLOT_READING };

struct slot {
	int fd;
	enum slot_state state;
	size_t got;		/* reply bytes read so far */
};

struct client {
	struct sockaddr_storage ss;
	socklen_t sslen;
	int ep;
	size_t msg_len;
	char msg[MAX_MSG];
	unsigned long done, errors;
	int first_err;		/* errno of the first failure, for the report */
	struct slot *slots;
	size_t n_slots;
};

/* Closes with a reset: no TIME_WAIT on either side. */
static void slot_close(struct slot *s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (s->fd < 0)
		return;
	setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s->fd);
	s->fd = -1;
	s->state = SLOT_IDLE;
}

static void count_error(struct client *c, int err)
{
	if (!c->errors++)
		c->first_err = err ? err : EPROTO;
}

static void slot_fail(struct client *c, struct slot *s, int err)
{
	count_error(c, err);
	slot_close(s);
}

/* Starts a connection in slot i. Failures are counted, the slot stays idle
 * and is retried on the next tick. */
static void slot_start(struct client *c, size_t i)
{
	struct slot *s = &c->slots[i];
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = i };

	s->fd = socket(c->ss.ss_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		count_error(c, errno);
		return;
	}
	s->got = 0;
	s->state = SLOT_CONNECTING;
	if (connect(s->fd, (struct sockaddr *)&c->ss, c->sslen) &&
	    errno != EINPROGRESS) {
		slot_fail(c, s, errno);
		return;
	}
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, s->fd, &ev))
		slot_fail(c, s, errno);
}

static void slot_connected(struct client *c, size_t i)
{
	struct slot *s = &c->slots[i];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len)) {
		slot_fail(c, s, errno);
		return;
	}
	if (err) {
		slot_fail(c, s, err);
		return;
	}
	/* A fresh socket's send buffer takes the small request whole. */
	errno = EIO;
	if (send(s->fd, c->msg, c->msg_len, MSG_NOSIGNAL) != (ssize_t)c->msg_len ||
	    epoll_ctl(c->ep, EPOLL_CTL_MOD, s->fd, &ev)) {
		slot_fail(c, s, errno);
		return;
	}
	s->state = SLOT_READING;
}

/* Reads the echo; the connection is done when all of it is in. */
static void slot_read(struct client *c, struct slot *s)
{
	char buf[MAX_MSG];
	ssize_t n;

	while (s->got < c->msg_len) {
		n = read(s->fd, buf, c->msg_len - s->got);
		if (n > 0) {
			s->got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		/* EOF before the whole reply, or an error */
		slot_fail(c, s, n ? errno : ECONNABORTED);
		return;
	}
	c->done++;
	slot_close(s);
}

static void client_event(struct client *c, const struct epoll_event *ev)
{
	size_t i = (size_t)ev->data.u64;
	struct slot *s = &c->slots[i];

	if (s->state == SLOT_CONNECTING)
		slot_connected(c, i);
	else if (s->state == SLOT_READING)
		slot_read(c, s);
}

static void client_fill(struct client *c)
{
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].state == SLOT_IDLE)
			slot_start(c, i);
}

static void client_loop(struct client *c, double deadline)
{
	struct epoll_event evs[MAX_EVENTS];
	int n;

	while (!stop && now_s() < deadline) {
		client_fill(c);
		n = epoll_wait(c->ep, evs, MAX_EVENTS, TICK_MS);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
			client_event(c, &evs[i]);
	}
	/* Connections still in flight are not counted. */
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].fd >= 0)
			slot_close(&c->slots[i]);
}

static int run_client(const char *addr, uint16_t port, double duration,
		      size_t par, size_t msg_len)
{
	struct client c = { .msg_len = msg_len, .n_slots = par };
	double start, elapsed;

	if (resolve(addr, port, false, &c.ss, &c.sslen))
		return 2;
	c.slots = calloc(par, sizeof(*c.slots));
	c.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!c.slots || c.ep < 0) {
		fprintf(stderr, "%s: %s\n", prog,
			strerror(c.slots ? errno : ENOMEM));
		free(c.slots);
		if (c.ep >= 0)
			close(c.ep);
		return 1;
	}
	for (size_t i = 0; i < par; i++)
		c.slots[i] = (struct slot){ .fd = -1, .state = SLOT_IDLE };
	for (size_t i = 0; i < msg_len; i++)
		c.msg[i] = (char)('a' + i % 26);

	start = now_s();
	client_loop(&c, start + duration);
	elapsed = now_s() - start;

	printf("connections_per_second %.1f\n", (double)c.done / elapsed);
	printf("connections %lu\n", c.done);
	printf("errors %lu\n", c.errors);
	printf("elapsed_s %.3f\n", elapsed);
	if (c.errors)
		fprintf(stderr, "%s: %lu errors, the first: %s\n", prog,
			c.errors, strerror(c.first_err));
	free(c.slots);
	close(c.ep);
	return c.done ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *bind_addr = NULL, *addr = NULL;
	long port = DEFAULT_PORT, par = DEFAULT_PAR, msg = DEFAULT_MSG;
	double duration = -1.0;
	bool server = false;
	int opt;

	while ((opt = getopt(argc, argv, "sb:c:p:d:n:m:h")) != -1) {
		switch (opt) {
		case 's':
			server = true;
			break;
		case 'b':
			bind_addr = optarg;
			break;
		case 'c':
			addr = optarg;
			break;
		case 'p':
			port = parse_long(optarg, 1, 65535);
			break;
		case 'd':
			duration = parse_seconds(optarg);
			if (duration < 0) {
				fprintf(stderr, "%s: -d: '%s' is not a duration in seconds (expected > 0, <= %.0f)\n",
					prog, optarg, MAX_DURATION);
				return 2;
			}
			break;
		case 'n':
			par = parse_long(optarg, 1, MAX_PAR);
			break;
		case 'm':
			msg = parse_long(optarg, 1, MAX_MSG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (port < 0 || par < 0 || msg < 0) {
			fprintf(stderr, "%s: -%c: '%s' is out of range\n", prog,
				opt, optarg);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (server == !!addr) {
		fprintf(stderr, "%s: give exactly one of -s and -c ADDR\n", prog);
		usage(stderr);
		return 2;
	}
	if (server ? duration >= 0 : !!bind_addr) {
		fprintf(stderr, "%s: %s is for the %s\n", prog,
			server ? "-d" : "-b", server ? "client" : "server");
		usage(stderr);
		return 2;
	}
	if (!server && duration < 0) {
		fprintf(stderr, "%s: the client needs -d SECONDS\n", prog);
		usage(stderr);
		return 2;
	}
	if (install_signals()) {
		fprintf(stderr, "%s: sigaction: %s\n", prog, strerror(errno));
		return 1;
	}
	if (server)
		return run_server(bind_addr, (uint16_t)port);
	return run_client(addr, (uint16_t)port, duration, (size_t)par,
			  (size_t)msg);
}
