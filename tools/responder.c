// SPDX-License-Identifier: MIT
/*
 * responder: a tiny server for labs and tests that answers every TCP
 * connection and UDP datagram with a fixed text, so a client can tell
 * which backend it reached.
 *
 *   responder [--tcp PORT]... [--udp PORT]... [--http] --text TEXT
 *
 * TCP: writes TEXT and a newline, then closes (with --http, as an HTTP/1.0
 * 200 response after reading the request head). UDP: sends TEXT back to
 * the sender of each datagram. Runs until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_SOCKS 16

struct sock {
	int fd;
	int type; /* SOCK_STREAM or SOCK_DGRAM */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v > 0 && v < 65536 ? (int)v : -1;
}

static int open_sock(int type, int port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_tcp(int lfd, const char *text, bool http)
{
	struct timeval tv = { .tv_sec = 1 };
	char buf[4096], out[4096];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	int n;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (http) {
		/* Enough of the request to be polite; one read suffices for
		 * the small GETs of curl and wget. */
		if (read(fd, buf, sizeof(buf)) < 0)
			goto out;
		n = snprintf(out, sizeof(out),
			     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
			     strlen(text) + 1, text);
	} else {
		n = snprintf(out, sizeof(out), "%s\n", text);
	}
	if (n > 0 && write(fd, out, (size_t)n) < 0)
		goto out;
out:
	close(fd);
}

static void serve_udp(int fd, const char *text)
{
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	char buf[2048];

	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) < 0)
		return;
	sendto(fd, text, strlen(text), 0, (struct sockaddr *)&from, len);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: responder [--tcp PORT]... [--udp PORT]... [--http] --text TEXT\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tcp", required_argument, NULL, 't' },
		{ "udp", required_argument, NULL, 'u' },
		{ "http", no_argument, NULL, 'H' },
		{ "text", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct sock socks[MAX_SOCKS];
	struct pollfd pfd[MAX_SOCKS];
	const char *text = NULL;
	bool http = false;
	size_t n = 0;
	int c, port;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
		case 'u':
			port = parse_port(optarg);
			if (port < 0 || n == MAX_SOCKS) {
				fprintf(stderr, "responder: --%s %s: expected a port 1..65535 (at most %d sockets)\n",
					c == 't' ? "tcp" : "udp", optarg, MAX_SOCKS);
				return 2;
			}
			socks[n].type = c == 't' ? SOCK_STREAM : SOCK_DGRAM;
			socks[n].fd = open_sock(socks[n].type, port);
			if (socks[n].fd < 0) {
				fprintf(stderr, "responder: %s port %d: %s\n",
					c == 't' ? "tcp" : "udp", port, strerror(errno));
				return 1;
			}
			n++;
			break;
		case 'H':
			http = true;
			break;
		case 'x':
			text = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!text || !n || optind != argc) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = socks[i].fd, .events = POLLIN };
	while (!stop) {
		if (poll(pfd, n, -1) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (socks[i].type == SOCK_STREAM)
				serve_tcp(socks[i].fd, text, http);
			else
				serve_udp(socks[i].fd, text);
		}
	}
	for (size_t i = 0; i < n; i++)
		close(socks[i].fd);
	return 0;
}
