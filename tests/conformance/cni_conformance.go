// SPDX-License-Identifier: MIT

// Conformance of knetsim-cni as the reference CNI library (libcni) drives
// it: ADD, CHECK, DEL (twice), VERSION, results of every spec version it
// claims, and the error results a runtime must be able to decode. Runs
// inside a worker-like network namespace (run.sh arranges that), with pod
// namespaces made for it, and checks the kernel's state with `ip` after
// each step: an attachment when there should be one, nothing at all when
// a step failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

const (
	pluginType = "knetsim-cni"
	netName    = "knetsim"
	ifName     = "eth0"
	gateway    = "11.10.16.1"
	leaseNet   = "11.10.16.0/20"
	mtu        = 1450
)

type suite struct {
	passed, failed int
	pluginDir      string
	tmp            string
	pods           []string // pod namespace names
	cni            *libcni.CNIConfig
	ctx            context.Context
}

func main() {
	var s suite
	var pods string

	flag.StringVar(&s.pluginDir, "plugin-dir", "", "directory holding knetsim-cni")
	flag.StringVar(&s.tmp, "tmp", "", "scratch directory")
	flag.StringVar(&pods, "pods", "", "comma-separated pod namespace names (3)")
	flag.Parse()
	s.pods = strings.Split(pods, ",")
	if s.pluginDir == "" || s.tmp == "" || len(s.pods) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cni_conformance -plugin-dir DIR -tmp DIR -pods A,B,C")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s.ctx = ctx
	s.cni = libcni.NewCNIConfigWithCacheDir(
		[]string{s.pluginDir, "/usr/lib/cni"}, filepath.Join(s.tmp, "cache"), nil)
	if err := s.writeLeases(); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(2)
	}

	s.run("VERSION through GetVersionInfo", s.testVersion)
	s.run("ValidateNetwork accepts the config", s.testValidate)
	s.run("bpf: ADD, CHECK, ADD again (102), CHECK after tampering (104), DEL, DEL again", s.testBPF)
	s.run("kernel (0.4.0): ADD makes the bridge, pod reaches its gateway, CHECK, DEL", s.testKernel)
	s.run("0.3.1: ADD and DEL", s.testOldVersion)
	s.run("DEL of a container never added, without CNI_NETNS", s.testDelUnknown)
	s.run("DEL after the pod's namespace is gone", s.testDelNetnsGone)
	s.run("ADD into a missing namespace: code 3, nothing held", s.testMissingNetns)
	s.run("exhausted lease: code 101, nothing left behind", s.testExhausted)
	s.run("no agent listening: code 100, nothing left behind; DEL succeeds", s.testAgentDown)
	s.run("interface name taken in the pod: code 102, theirs untouched", s.testIfExists)
	s.run("no lease file yet: code 11", s.testNoLease)
	s.run("invalid network config: code 7", s.testBadConfig)
	s.run("unsupported fields: code 2", s.testUnsupported)
	s.run("unsupported cniVersion: code 1", s.testBadVersion)
	s.run("undecodable stdin: code 6", s.testBadStdin)
	s.run("invalid environment: code 4", s.testBadEnv)
	s.run("the worker holds no attachment afterwards", s.testWorkerClean)

	fmt.Printf("%d passed, %d failed\n", s.passed, s.failed)
	if s.failed > 0 {
		os.Exit(1)
	}
}

func (s *suite) run(name string, f func() error) {
	if err := f(); err != nil {
		s.failed++
		fmt.Printf("FAIL %s\n     %v\n", name, err)
		return
	}
	s.passed++
	fmt.Printf("ok   %s\n", name)
}

// --- setup and helpers ---

func (s *suite) writeLeases() error {
	leases := map[string]string{
		"lease": "FLANNEL_NETWORK=11.0.0.0/8\nFLANNEL_SUBNET=11.10.16.1/20\n" +
			"FLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n",
		"small": "FLANNEL_NETWORK=11.0.0.0/8\nFLANNEL_SUBNET=11.10.16.1/30\n" +
			"FLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n",
	}
	for dir, text := range leases {
		if err := os.MkdirAll(filepath.Join(s.tmp, dir), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.tmp, dir, "subnet.env"),
			[]byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// conf builds a network config; extra overrides or adds fields (nil
// values delete them).
func (s *suite) conf(version, routing, lease, store string, extra map[string]interface{}) (*libcni.NetworkConfig, []byte) {
	m := map[string]interface{}{
		"cniVersion": version,
		"name":       netName,
		"type":       pluginType,
		"routing":    routing,
		"subnetFile": filepath.Join(s.tmp, lease, "subnet.env"),
		"dataDir":    filepath.Join(s.tmp, "ipam", store),
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	nc, err := libcni.ConfFromBytes(b)
	if err != nil {
		panic(err)
	}
	return nc, b
}

func podPath(ns string) string { return "/run/netns/" + ns }

func (s *suite) rt(id, ns string) *libcni.RuntimeConf {
	path := ""
	if ns != "" {
		path = podPath(ns)
	}
	return &libcni.RuntimeConf{
		ContainerID: id,
		NetNS:       path,
		IfName:      ifName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", "default"},
			{"K8S_POD_NAME", "pod-" + id},
			{"K8S_POD_INFRA_CONTAINER_ID", id},
		},
	}
}

// hostName is knetsim-cni's naming rule, written again independently.
func hostName(id, ifname string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(ifname))
	return fmt.Sprintf("ks%010x", h.Sum64()&(1<<40-1))
}

// wantCode checks that err is a CNI error result with code (and, when
// given, a message containing msg).
func wantCode(err error, code uint, msg string) error {
	if err == nil {
		return fmt.Errorf("succeeded, expected error code %d", code)
	}
	var te *types.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("error is no CNI error result: %v", err)
	}
	if te.Code != code {
		return fmt.Errorf("code %d (%q), expected %d", te.Code, te.Msg, code)
	}
	if msg != "" && !strings.Contains(te.Msg, msg) {
		return fmt.Errorf("message %q lacks %q", te.Msg, msg)
	}
	return nil
}

func ipCmd(args ...string) ([]byte, error) {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

type ipLink struct {
	Ifname    string `json:"ifname"`
	Mtu       int    `json:"mtu"`
	Operstate string `json:"operstate"`
	Master    string `json:"master"`
	Address   string `json:"address"`
	AddrInfo  []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		Prefixlen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

// link reads one interface (ns "" is ours); nil when it does not exist.
func link(ns, name string) (*ipLink, error) {
	args := []string{"-j", "addr", "show", "dev", name}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	out, err := exec.Command("ip", args...).Output()
	if err != nil {
		if strings.Contains(string(out)+err.Error(), "does not exist") ||
			linkAbsent(ns, name) {
			return nil, nil
		}
		return nil, fmt.Errorf("ip %s: %v", strings.Join(args, " "), err)
	}
	var links []ipLink
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return nil, fmt.Errorf("ip %s: unexpected output %s", strings.Join(args, " "), out)
	}
	return &links[0], nil
}

func linkAbsent(ns, name string) bool {
	if ns == "" {
		_, err := net.InterfaceByName(name)
		return err != nil
	}
	out, _ := exec.Command("ip", "-n", ns, "-o", "link").Output()
	return !strings.Contains(string(out), ": "+name+":") &&
		!strings.Contains(string(out), ": "+name+"@")
}

func (l *ipLink) has(ip string, plen int) bool {
	for _, a := range l.AddrInfo {
		if a.Family == "inet" && a.Local == ip && a.Prefixlen == plen {
			return true
		}
	}
	return false
}

type ipRoute struct {
	Dst     string   `json:"dst"`
	Gateway string   `json:"gateway"`
	Dev     string   `json:"dev"`
	Flags   []string `json:"flags"`
}

func routes(ns string, args ...string) ([]ipRoute, error) {
	a := []string{"-j", "route", "show"}
	if ns != "" {
		a = append([]string{"-n", ns}, a...)
	}
	out, err := ipCmd(append(a, args...)...)
	if err != nil {
		return nil, err
	}
	var rs []ipRoute
	if err := json.Unmarshal(out, &rs); err != nil {
		return nil, fmt.Errorf("ip route: %v", err)
	}
	return rs, nil
}

// allocations lists host-local's store: address -> container.
func (s *suite) allocations(store string) (map[string]string, error) {
	dir := filepath.Join(s.tmp, "ipam", store, netName)
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, e := range ents {
		if net.ParseIP(e.Name()) == nil {
			continue // lock, last_reserved_ip.N
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		m[e.Name()] = strings.SplitN(strings.TrimSpace(string(b)), "\n", 2)[0]
		m[e.Name()] = strings.TrimSpace(m[e.Name()])
	}
	return m, nil
}

func (s *suite) wantAllocations(store string, ids ...string) error {
	m, err := s.allocations(store)
	if err != nil {
		return err
	}
	var have []string
	for _, id := range m {
		have = append(have, id)
	}
	sort.Strings(have)
	sort.Strings(ids)
	if strings.Join(have, ",") != strings.Join(ids, ",") {
		return fmt.Errorf("host-local holds addresses for [%s], expected [%s]",
			strings.Join(have, ","), strings.Join(ids, ","))
	}
	return nil
}

// nothingLeft: no pod interface, no host end, no address held.
func (s *suite) nothingLeft(id, pod, store string, held ...string) error {
	if l, err := link(pod, ifName); err != nil || l != nil {
		return fmt.Errorf("pod %s still has %s (err %v)", pod, ifName, err)
	}
	if err := s.waitGone(hostName(id, ifName)); err != nil {
		return err
	}
	return s.wantAllocations(store, held...)
}

// waitGone waits for a host end to disappear (a namespace's links go
// asynchronously after the namespace is released).
func (s *suite) waitGone(name string) error {
	for i := 0; i < 50; i++ {
		if _, err := net.InterfaceByName(name); err != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("host interface %s is still in the worker", name)
}

// checkResult verifies ADD's result and the kernel's state behind it.
func (s *suite) checkResult(res types.Result, id, pod string, plen int) (*types100.Result, error) {
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return nil, fmt.Errorf("result does not convert to 1.0.0: %v", err)
	}
	host := hostName(id, ifName)
	if len(r.Interfaces) != 2 || r.Interfaces[0].Name != host ||
		r.Interfaces[0].Sandbox != "" || r.Interfaces[0].Mac == "" ||
		r.Interfaces[1].Name != ifName || r.Interfaces[1].Sandbox != podPath(pod) ||
		r.Interfaces[1].Mac == "" {
		return nil, fmt.Errorf("interfaces %v, expected [%s, %s in %s]",
			r.Interfaces, host, ifName, podPath(pod))
	}
	if len(r.IPs) != 1 || r.IPs[0].Interface == nil || *r.IPs[0].Interface != 1 ||
		r.IPs[0].Gateway.String() != gateway {
		return nil, fmt.Errorf("ips %v", r.IPs)
	}
	_, lease, _ := net.ParseCIDR(leaseNet)
	ones, _ := r.IPs[0].Address.Mask.Size()
	ip := r.IPs[0].Address.IP.String()
	if !lease.Contains(r.IPs[0].Address.IP) || ones != plen || ip == gateway {
		return nil, fmt.Errorf("address %s, expected a /%d in %s", r.IPs[0].Address.String(), plen, leaseNet)
	}
	if len(r.Routes) != 1 || r.Routes[0].Dst.String() != "0.0.0.0/0" ||
		r.Routes[0].GW.String() != gateway {
		return nil, fmt.Errorf("routes %v", r.Routes)
	}
	pl, err := link(pod, ifName)
	if err != nil || pl == nil {
		return nil, fmt.Errorf("pod interface: %v (missing?)", err)
	}
	if !pl.has(ip, plen) || pl.Mtu != mtu || pl.Operstate == "DOWN" ||
		pl.Address != r.Interfaces[1].Mac {
		return nil, fmt.Errorf("pod interface %+v, expected %s/%d mtu %d up mac %s",
			*pl, ip, plen, mtu, r.Interfaces[1].Mac)
	}
	hl, err := link("", host)
	if err != nil || hl == nil {
		return nil, fmt.Errorf("host interface %s: %v (missing?)", host, err)
	}
	if hl.Mtu != mtu || hl.Operstate == "DOWN" || hl.Address != r.Interfaces[0].Mac {
		return nil, fmt.Errorf("host interface %+v, expected mtu %d up", *hl, mtu)
	}
	return r, nil
}

// --- cases ---

func (s *suite) testVersion() error {
	info, err := s.cni.GetVersionInfo(s.ctx, pluginType)
	if err != nil {
		return err
	}
	got := strings.Join(info.SupportedVersions(), ",")
	if got != "0.3.0,0.3.1,0.4.0,1.0.0" {
		return fmt.Errorf("supported versions %s", got)
	}
	return nil
}

func (s *suite) testValidate() error {
	nc, _ := s.conf("1.0.0", "bpf", "lease", "bpf", nil)
	_, err := s.cni.ValidateNetwork(s.ctx, nc)
	return err
}

func (s *suite) testBPF() error {
	nc, _ := s.conf("1.0.0", "bpf", "lease", "bpf", nil)
	id, pod := "bpf-1", s.pods[0]
	rt := s.rt(id, pod)
	res, err := s.cni.AddNetwork(s.ctx, nc, rt)
	if err != nil {
		return fmt.Errorf("ADD: %v", err)
	}
	r, err := s.checkResult(res, id, pod, 32)
	if err != nil {
		return fmt.Errorf("ADD: %v", err)
	}
	ip := r.IPs[0].Address.IP.String()
	// Pod: default via the gateway on-link; worker: /32 to the pod.
	rs, err := routes(pod, "default")
	if err != nil {
		return err
	}
	if len(rs) != 1 || rs[0].Gateway != gateway || rs[0].Dev != ifName ||
		!strings.Contains(strings.Join(rs[0].Flags, ","), "onlink") {
		return fmt.Errorf("pod default route %+v, expected via %s dev %s onlink", rs, gateway, ifName)
	}
	if rs, err = routes("", ip+"/32"); err != nil {
		return err
	}
	if len(rs) != 1 || rs[0].Dev != hostName(id, ifName) {
		return fmt.Errorf("worker route to %s: %+v", ip, rs)
	}
	if err := s.wantAllocations("bpf", id); err != nil {
		return err
	}
	if err := s.cni.CheckNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("CHECK: %v", err)
	}
	// A second ADD for the same container is refused, harmlessly.
	_, err = s.cni.AddNetwork(s.ctx, nc, rt)
	if err := wantCode(err, 102, "already exists"); err != nil {
		return fmt.Errorf("second ADD: %v", err)
	}
	if err := s.cni.CheckNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("CHECK after the refused ADD: %v", err)
	}
	if err := s.wantAllocations("bpf", id); err != nil {
		return err
	}
	// CHECK notices what is wrong.
	if _, err := ipCmd("-n", pod, "addr", "del", ip+"/32", "dev", ifName); err != nil {
		return err
	}
	err = s.cni.CheckNetwork(s.ctx, nc, rt)
	if err := wantCode(err, 104, "lacks address"); err != nil {
		return fmt.Errorf("CHECK without the address: %v", err)
	}
	if err := s.cni.DelNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("DEL: %v", err)
	}
	if err := s.nothingLeft(id, pod, "bpf"); err != nil {
		return fmt.Errorf("after DEL: %v", err)
	}
	if err := s.cni.DelNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("second DEL: %v", err)
	}
	return nil
}

func (s *suite) testKernel() error {
	bridge := "kthbr0"
	nc, _ := s.conf("0.4.0", "kernel", "lease", "kernel",
		map[string]interface{}{"bridge": bridge})
	id, pod := "kernel-1", s.pods[1]
	rt := s.rt(id, pod)
	res, err := s.cni.AddNetwork(s.ctx, nc, rt)
	if err != nil {
		return fmt.Errorf("ADD: %v", err)
	}
	if res.Version() != "0.4.0" {
		return fmt.Errorf("result version %s, expected 0.4.0", res.Version())
	}
	if _, err := s.checkResult(res, id, pod, 20); err != nil {
		return fmt.Errorf("ADD: %v", err)
	}
	hl, err := link("", hostName(id, ifName))
	if err != nil || hl == nil || hl.Master != bridge {
		return fmt.Errorf("host end not on %s: %+v %v", bridge, hl, err)
	}
	br, err := link("", bridge)
	if err != nil || br == nil || !br.has(gateway, 20) {
		return fmt.Errorf("bridge %s: %+v %v, expected %s/20", bridge, br, err, gateway)
	}
	rs, err := routes(pod, "default")
	if err != nil || len(rs) != 1 || rs[0].Gateway != gateway {
		return fmt.Errorf("pod default route %+v %v", rs, err)
	}
	out, err := exec.Command("ip", "netns", "exec", pod, "ping", "-c", "1",
		"-W", "2", gateway).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pod cannot ping its gateway: %v: %s", err, out)
	}
	if err := s.cni.CheckNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("CHECK: %v", err)
	}
	if err := s.cni.DelNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("DEL: %v", err)
	}
	if err := s.nothingLeft(id, pod, "kernel"); err != nil {
		return fmt.Errorf("after DEL: %v", err)
	}
	return s.cni.DelNetwork(s.ctx, nc, rt)
}

func (s *suite) testOldVersion() error {
	nc, _ := s.conf("0.3.1", "bpf", "lease", "old", nil)
	id, pod := "old-1", s.pods[0]
	rt := s.rt(id, pod)
	res, err := s.cni.AddNetwork(s.ctx, nc, rt)
	if err != nil {
		return fmt.Errorf("ADD: %v", err)
	}
	if res.Version() != "0.3.1" {
		return fmt.Errorf("result version %s", res.Version())
	}
	if _, err := s.checkResult(res, id, pod, 32); err != nil {
		return fmt.Errorf("ADD: %v", err)
	}
	if err := s.cni.DelNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("DEL: %v", err)
	}
	return s.nothingLeft(id, pod, "old")
}

func (s *suite) testDelUnknown() error {
	nc, _ := s.conf("1.0.0", "bpf", "lease", "bpf", nil)
	if err := s.cni.DelNetwork(s.ctx, nc, s.rt("never-added", "")); err != nil {
		return err
	}
	return s.wantAllocations("bpf")
}

func (s *suite) testDelNetnsGone() error {
	nc, _ := s.conf("1.0.0", "bpf", "lease", "gone", nil)
	id, pod := "gone-1", s.pods[2]
	rt := s.rt(id, pod)
	if _, err := s.cni.AddNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("ADD: %v", err)
	}
	if _, err := ipCmd("netns", "del", pod); err != nil {
		return err
	}
	defer ipCmd("netns", "add", pod) // later cases use it again
	if err := s.cni.DelNetwork(s.ctx, nc, rt); err != nil {
		return fmt.Errorf("DEL: %v", err)
	}
	if err := s.waitGone(hostName(id, ifName)); err != nil {
		return err
	}
	return s.wantAllocations("gone")
}

func (s *suite) testMissingNetns() error {
	nc, _ := s.conf("1.0.0", "bpf", "lease", "missing", nil)
	rt := s.rt("missing-1", "kth-no-such-namespace")
	_, err := s.cni.AddNetwork(s.ctx, nc, rt)
	if err := wantCode(err, 3, "no such namespace"); err != nil {
		return err
	}
	return s.wantAllocations("missing")
}

func (s *suite) testExhausted() error {
	nc, _ := s.conf("1.0.0", "bpf", "small", "small", nil)
	a, b := s.rt("small-a", s.pods[0]), s.rt("small-b", s.pods[1])
	if _, err := s.cni.AddNetwork(s.ctx, nc, a); err != nil {
		return fmt.Errorf("first ADD: %v", err)
	}
	_, err := s.cni.AddNetwork(s.ctx, nc, b)
	if err := wantCode(err, 101, "no pod address left"); err != nil {
		return fmt.Errorf("second ADD: %v", err)
	}
	if err := s.nothingLeft("small-b", s.pods[1], "small", "small-a"); err != nil {
		return err
	}
	if err := s.cni.DelNetwork(s.ctx, nc, a); err != nil {
		return err
	}
	if err := s.cni.DelNetwork(s.ctx, nc, b); err != nil {
		return err
	}
	return s.nothingLeft("small-a", s.pods[0], "small")
}

// staleSocket is a socket file nobody listens on (an agent that died).
func staleSocket(path string) error {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	return syscall.Bind(fd, &syscall.SockaddrUnix{Name: path})
}

func (s *suite) testAgentDown() error {
	stale := filepath.Join(s.tmp, "stale.sock")
	if err := staleSocket(stale); err != nil {
		return err
	}
	for _, sock := range []string{filepath.Join(s.tmp, "absent.sock"), stale} {
		nc, _ := s.conf("1.0.0", "bpf", "lease", "agent",
			map[string]interface{}{"agentSocket": sock})
		rt := s.rt("agent-1", s.pods[0])
		_, err := s.cni.AddNetwork(s.ctx, nc, rt)
		if err := wantCode(err, 100, "agent unreachable"); err != nil {
			return fmt.Errorf("%s: %v", sock, err)
		}
		if err := s.nothingLeft("agent-1", s.pods[0], "agent"); err != nil {
			return fmt.Errorf("%s: %v", sock, err)
		}
		if err := s.cni.DelNetwork(s.ctx, nc, rt); err != nil {
			return fmt.Errorf("%s: DEL: %v", sock, err)
		}
	}
	return nil
}

func (s *suite) testIfExists() error {
	pod := s.pods[1]
	// Someone else's eth0 (a veth pair kept inside the pod).
	if _, err := ipCmd("-n", pod, "link", "add", ifName, "type", "veth",
		"peer", "name", "kthpeer0"); err != nil {
		return err
	}
	defer ipCmd("-n", pod, "link", "del", ifName)
	nc, _ := s.conf("1.0.0", "bpf", "lease", "exists", nil)
	_, err := s.cni.AddNetwork(s.ctx, nc, s.rt("exists-1", pod))
	if err := wantCode(err, 102, "already exists in the pod"); err != nil {
		return err
	}
	if l, err := link(pod, ifName); err != nil || l == nil {
		return fmt.Errorf("the pod's own %s is gone: %v", ifName, err)
	}
	if _, err := net.InterfaceByName(hostName("exists-1", ifName)); err == nil {
		return fmt.Errorf("a host end was left behind")
	}
	return s.wantAllocations("exists")
}

func (s *suite) testNoLease() error {
	nc, _ := s.conf("1.0.0", "bpf", "nolease", "nolease", nil)
	_, err := s.cni.AddNetwork(s.ctx, nc, s.rt("nolease-1", s.pods[0]))
	if err := wantCode(err, 11, "no lease yet"); err != nil {
		return err
	}
	return s.nothingLeft("nolease-1", s.pods[0], "nolease")
}

func (s *suite) expectAddCode(extra map[string]interface{}, version string, code uint, msg string) error {
	nc, _ := s.conf(version, "bpf", "lease", "bad", extra)
	_, err := s.cni.AddNetwork(s.ctx, nc, s.rt("bad-1", s.pods[0]))
	if err := wantCode(err, code, msg); err != nil {
		return fmt.Errorf("%v: %v", extra, err)
	}
	return s.nothingLeft("bad-1", s.pods[0], "bad")
}

func (s *suite) testBadConfig() error {
	cases := []struct {
		extra map[string]interface{}
		msg   string
	}{
		{map[string]interface{}{"routing": "ebpf"}, `routing: unknown value "ebpf"`},
		{map[string]interface{}{"routing": nil}, "routing: missing"},
		{map[string]interface{}{"subnetFile": "subnet.env"}, "subnetFile:"},
		{map[string]interface{}{"dataDir": nil}, "dataDir: missing"},
		{map[string]interface{}{"bridge": "this-name-is-too-long"}, "bridge:"},
		{map[string]interface{}{"agentSocket": 5}, "agentSocket: expected a string"},
		{map[string]interface{}{"bridge": []string{"cni0"}}, "bridge: expected a string"},
		{map[string]interface{}{"ipMasq": "yes"}, "ipMasq: expected true or false"},
	}
	for _, c := range cases {
		if err := s.expectAddCode(c.extra, "1.0.0", 7, c.msg); err != nil {
			return err
		}
	}
	return nil
}

func (s *suite) testUnsupported() error {
	if err := s.expectAddCode(map[string]interface{}{"mtu": 1400}, "1.0.0", 2,
		`unsupported field "mtu"`); err != nil {
		return err
	}
	return s.expectAddCode(map[string]interface{}{
		"ipam": map[string]string{"type": "host-local"}}, "1.0.0", 2, "ipam:")
}

func (s *suite) testBadVersion() error {
	return s.expectAddCode(nil, "0.2.0", 1, `"0.2.0" is not supported`)
}

func (s *suite) pluginPath() string { return filepath.Join(s.pluginDir, pluginType) }

func (s *suite) args(cmd, id, netns, ifname string) *invoke.Args {
	return &invoke.Args{
		Command: cmd, ContainerID: id, NetNS: netns, IfName: ifname,
		Path: s.pluginDir + ":/usr/lib/cni",
	}
}

func (s *suite) testBadStdin() error {
	for _, in := range []string{"", "{", `{"cniVersion":"1.0.0"} trailing`, "[]"} {
		_, err := invoke.ExecPluginWithResult(s.ctx, s.pluginPath(), []byte(in),
			s.args("ADD", "stdin-1", podPath(s.pods[0]), ifName), nil)
		if err := wantCode(err, 6, ""); err != nil {
			return fmt.Errorf("stdin %q: %v", in, err)
		}
	}
	return s.nothingLeft("stdin-1", s.pods[0], "bad")
}

func (s *suite) testBadEnv() error {
	_, conf := s.conf("1.0.0", "bpf", "lease", "env", nil)
	cases := []struct {
		args *invoke.Args
		msg  string
	}{
		{s.args("ADD", "env-1", podPath(s.pods[0]), ""), "CNI_IFNAME: not set"},
		{s.args("ADD", "env-1", podPath(s.pods[0]), "a/b"), "CNI_IFNAME:"},
		{s.args("ADD", "", podPath(s.pods[0]), ifName), "CNI_CONTAINERID: not set"},
		{s.args("ADD", "env-1", "", ifName), "CNI_NETNS: not set"},
		{s.args("FROB", "env-1", podPath(s.pods[0]), ifName), "CNI_COMMAND: unknown"},
		{&invoke.Args{Command: "ADD", ContainerID: "env-1", NetNS: podPath(s.pods[0]),
			IfName: ifName, Path: s.pluginDir + ":/usr/lib/cni",
			PluginArgsStr: "SOMETHING=else"}, "CNI_ARGS: unknown argument"},
		{&invoke.Args{Command: "ADD", ContainerID: "env-1", NetNS: "/proc/self/ns/net",
			IfName: ifName, Path: s.pluginDir + ":/usr/lib/cni"}, "own"},
		{&invoke.Args{Command: "ADD", ContainerID: "env-1", NetNS: podPath(s.pods[0]),
			IfName: ifName, Path: s.pluginDir}, "CNI_PATH: no executable host-local"},
	}
	for _, c := range cases {
		_, err := invoke.ExecPluginWithResult(s.ctx, s.pluginPath(), conf, c.args, nil)
		if err := wantCode(err, 4, c.msg); err != nil {
			return fmt.Errorf("%+v: %v", *c.args, err)
		}
	}
	return s.nothingLeft("env-1", s.pods[0], "env")
}

func (s *suite) testWorkerClean() error {
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, "ks") {
			return fmt.Errorf("host end %s left in the worker", i.Name)
		}
	}
	for _, pod := range s.pods {
		if l, err := link(pod, ifName); err != nil || l != nil {
			return fmt.Errorf("pod %s still has %s (err %v)", pod, ifName, err)
		}
	}
	return nil
}
