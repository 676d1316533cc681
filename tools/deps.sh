#!/bin/sh
# Installs the Debian packages listed in tools/debian-packages.txt that are
# missing. Does nothing (and needs no network) when all are present.
set -eu
here=$(dirname "$0")
want=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/debian-packages.txt")
missing=
for p in $want; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo $want | wc -w) packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing; run as root to install them" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# etcd-server's and nginx's maintainer scripts try to start a system etcd
# and nginx in the host's namespace; knetsim runs its own inside the
# simulation, so keep package scripts from starting services (exit 101
# from policy-rc.d), with a temporary policy where the machine has none.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.knetsim
chmod +x /usr/sbin/policy-rc.d.knetsim
if [ ! -e /usr/sbin/policy-rc.d ]; then
	ln -s policy-rc.d.knetsim /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.knetsim' EXIT
else
	trap 'rm -f /usr/sbin/policy-rc.d.knetsim' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing
# Nor at the next boot: knetsim's nginx runs only in a worker's namespace.
case " $missing " in
*" nginx "*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable nginx.service >/dev/null 2>&1 || true
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		update-rc.d nginx disable >/dev/null 2>&1 || true
	fi
	;;
esac
