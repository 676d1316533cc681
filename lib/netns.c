// SPDX-License-Identifier: MIT
/* Named network namespaces, laid out as iproute2 lays them out: an empty
 * file /run/netns/NAME with the namespace bind-mounted on it, and
 * /run/netns itself a shared mount point so that the bind mounts show up
 * in every mount namespace that shares it. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "knetsim/paths.h"

#define SELF_NETNS "/proc/thread-self/ns/net"

static pthread_mutex_t netns_dir_lock = PTHREAD_MUTEX_INITIALIZER;

/* Names become file names under /run/netns: no '/', no control
 * characters or spaces, not "." or "..". (knetsim itself uses
 * "<sim>:<node>".) */
static bool netns_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (!len || len > NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static int netns_path(const char *name, char *buf, size_t len)
{
	if (!netns_name_valid(name))
		return -EINVAL;
	if (snprintf(buf, len, "%s/%s", KNETSIM_NETNS_DIR, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* /run/netns must be a shared mount point: first try to mark it shared;
 * when that fails because it is no mount point yet, bind it onto itself
 * and try again. */
static int netns_dir_prepare_locked(void)
{
	bool bound = false;

	if (mkdir(KNETSIM_NETNS_DIR, 0755) && errno != EEXIST)
		return -errno;
	while (mount("", KNETSIM_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL)) {
		if (errno != EINVAL || bound)
			return -errno;
		if (mount(KNETSIM_NETNS_DIR, KNETSIM_NETNS_DIR, "none",
			  MS_BIND | MS_REC, NULL))
			return -errno;
		bound = true;
	}
	return 0;
}

static int netns_dir_prepare(void)
{
	int ret;

	pthread_mutex_lock(&netns_dir_lock);
	ret = netns_dir_prepare_locked();
	pthread_mutex_unlock(&netns_dir_lock);
	return ret;
}

/* Sets lo up in the calling thread's current namespace. */
static int loopback_up(void)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

/* In a fresh namespace of the calling thread: pin it on path, bring lo up. */
static int netns_pin_new(const char *path)
{
	int ret;

	if (unshare(CLONE_NEWNET))
		return -errno;
	if (mount(SELF_NETNS, path, "none", MS_BIND, NULL))
		return -errno;
	ret = loopback_up();
	if (ret)
		umount2(path, MNT_DETACH);
	return ret;
}

int netns_create(const char *name)
{
	char path[PATH_MAX];
	int fd, saved, ret;

	ret = netns_path(name, path, sizeof(path));
	if (ret)
		return ret;
	ret = netns_dir_prepare();
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);

	saved = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		ret = -errno;
		unlink(path);
		return ret;
	}
	ret = netns_pin_new(path);
	if (setns(saved, CLONE_NEWNET) && !ret) {
		ret = -errno;
		umount2(path, MNT_DETACH);
	}
	close(saved);
	if (ret)
		unlink(path);
	return ret;
}

int netns_delete(const char *name)
{
	char path[PATH_MAX];
	int i, ret;

	ret = netns_path(name, path, sizeof(path));
	if (ret)
		return ret;
	/* Until nothing is mounted there (EINVAL: a bare file; ENOENT: gone);
	 * bounded, in case mounts were stacked on it. */
	for (i = 0; i < 16; i++)
		if (umount2(path, MNT_DETACH))
			break;
	if (i == 16)
		return -EBUSY;
	if (errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

bool netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (netns_path(name, path, sizeof(path)))
		return false;
	return lstat(path, &st) == 0;
}

static bool is_nsfs(const struct statfs *sfs)
{
	return sfs->f_type == NSFS_MAGIC;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];
	struct statfs sfs;
	int fd, ret;

	ret = netns_path(name, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A file left behind without its mount is no namespace. */
	if (fstatfs(fd, &sfs) || !is_nsfs(&sfs)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

ino_t netns_inode(const char *name)
{
	char path[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	if (netns_path(name, path, sizeof(path)))
		return 0;
	if (statfs(path, &sfs) || !is_nsfs(&sfs) || stat(path, &st))
		return 0;
	return st.st_ino;
}

int netns_enter(int nsfd, int *saved)
{
	int ret;

	if (nsfd < 0 || !saved)
		return -EBADF;
	*saved = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET)) {
		ret = -errno;
		close(*saved);
		*saved = -1;
		return ret;
	}
	return 0;
}

int netns_leave(int saved)
{
	int ret = 0;

	if (saved < 0)
		return -EBADF;
	if (setns(saved, CLONE_NEWNET))
		ret = -errno;
	close(saved);
	return ret;
}

int netns_socket(int nsfd, int domain, int type, int protocol)
{
	int fd, saved, ret;

	if (nsfd < 0) {
		fd = socket(domain, type, protocol);
		return fd < 0 ? -errno : fd;
	}
	ret = netns_enter(nsfd, &saved);
	if (ret)
		return ret;
	fd = socket(domain, type, protocol);
	if (fd < 0)
		fd = -errno;
	ret = netns_leave(saved);
	if (ret) {
		/* Still in the wrong namespace: nothing safe to hand back. */
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return fd;
}
