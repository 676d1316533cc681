/* SPDX-License-Identifier: MIT */
/* Userspace link emulator: the fallback for kernels without sch_netem.
 *
 * `knetsim __linkemu --a IFA --b IFB [--delay-us N] [--jitter-us N]
 *  [--loss-ppm N] [--seed N] [--limit FRAMES] [--limit-bytes BYTES]
 *  [--ready-fd FD]`
 * runs inside the fabric namespace, opens an AF_PACKET socket on each of
 * the two interfaces and forwards every frame received on one out of the
 * other, each direction independently delayed (delay +- uniform jitter,
 * in order, see linkemu_queue.h) and lossy (loss_ppm / 1e6). Rate is not
 * its job: tbf does that in the kernel. GSO super-frames pass whole, with
 * their virtio_net_hdr (PACKET_VNET_HDR), except TCP inside a UDP tunnel
 * (VXLAN), which a packet socket cannot describe: those are cut into
 * wire-sized frames here (linkemu_gso.h). A GSO frame counts as one frame
 * for delay, loss and the limits, as in netem. Each direction queues at most
 * --limit frames (default 4096) and --limit-bytes (default 8 MiB);
 * beyond that frames are tail-dropped and counted. --seed makes the
 * random choices repeatable (default: from the clock and the PID; the
 * seed used is logged). With --ready-fd, "ready\n" is written to FD and
 * FD closed once both sockets are bound, so the starter can wait for
 * that before bringing traffic up (frames sent earlier are lost).
 *
 * It runs until SIGTERM or SIGINT, then prints its counters to stderr and
 * exits 0; SIGUSR1 prints the counters without stopping. Exit status 2 on
 * bad arguments, 1 on a setup failure. */
#ifndef KNETSIM_LINKEMU_H
#define KNETSIM_LINKEMU_H

#include <stddef.h>
#include <stdint.h>

#define LINKEMU_CMD "__linkemu"
#define LINKEMU_MAX_US 60000000u            /* delay and jitter: 60 s */
#define LINKEMU_DEF_LIMIT 4096u             /* frames per direction */
#define LINKEMU_DEF_LIMIT_BYTES (8u << 20)  /* bytes per direction */
/* Largest frame handled: virtio_net_hdr + a 64 KiB GSO super-frame + room
 * for link-layer headers. Larger ones are dropped and counted. */
#define LINKEMU_FRAME_MAX (65536u + 256u)

struct linkemu_opts {
	char a[16], b[16];          /* interface names (IFNAMSIZ) */
	uint32_t delay_us, jitter_us, loss_ppm;
	uint64_t seed;
	int seed_set;
	uint32_t limit, limit_bytes;
	int ready_fd;               /* -1: none */
};

/* Parses argv (argv[0] is the subcommand's name) into o; no system calls.
 * Returns 0, or -EINVAL with err naming the option and what it expects. */
int linkemu_parse_args(int argc, char **argv, struct linkemu_opts *o,
		       char *err, size_t errlen);

int linkemu_main(int argc, char **argv);

#endif
