// SPDX-License-Identifier: BSD-3-Clause

// The cxlmem CNI plugin: chained after the plugin that gives the pod its
// cluster IP (bridge + host-local, or any other). ADD has the daemon start
// cxl-fwd role=host in the pod's namespace over a free card window (the
// link interface, with the host end's address, on-link to the card), then
// turns forwarding on in the pod and adds an nftables table there that
// DNATs the pod's IPv4 addresses on the configured service ports to the
// card's address; conntrack undoes it for the replies. DEL undoes both and
// succeeds when they are already gone. CHECK asks the daemon whether the
// forwarder runs and its link is up, and checks the interface, forwarding
// and the rules in the pod.

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
)

const nftTable = "cxlmem"

func parse(args *skel.CmdArgs) (*NetConf, error) {
	conf, e := loadConf(args.StdinData)
	if e != nil {
		return nil, e
	}
	if conf.RawPrevResult != nil {
		if err := version.ParsePrevResult(&conf.NetConf); err != nil {
			return nil, types.NewError(types.ErrDecodingFailure,
				fmt.Sprintf("cxlmem: cannot read prevResult: %v", err), "")
		}
	}
	return conf, nil
}

// podIPv4s: the pod's IPv4 addresses in the previous result (those on an
// interface inside the sandbox, or all when the result does not say).
func podIPv4s(r *current.Result) []net.IP {
	var inSandbox, all []net.IP
	for _, ipc := range r.IPs {
		ip := ipc.Address.IP.To4()
		if ip == nil {
			continue
		}
		all = append(all, ip)
		if ipc.Interface != nil && *ipc.Interface >= 0 && *ipc.Interface < len(r.Interfaces) &&
			r.Interfaces[*ipc.Interface].Sandbox != "" {
			inSandbox = append(inSandbox, ip)
		}
	}
	if len(inSandbox) > 0 {
		return inSandbox
	}
	return all
}

func nftRules(conf *NetConf, ips []net.IP) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s {\n  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n", nftTable)
	for _, ip := range ips {
		for _, s := range conf.Services {
			fmt.Fprintf(&b, "    ip daddr %s %s dport %d counter dnat to %s comment \"cxlmem %s\"\n",
				ip, s.Protocol, s.Port, conf.Link.CardAddress, conf.Link.IfName)
		}
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

// nft runs nft in the current thread's network namespace (call inside ns.Do).
func nft(stdin string, args ...string) (string, error) {
	cmd := exec.Command("nft", args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("nft %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func setForwarding() error {
	return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0644)
}

func cmdAdd(args *skel.CmdArgs) error {
	conf, err := parse(args)
	if err != nil {
		return err
	}
	if conf.PrevResult == nil {
		return types.NewError(types.ErrInvalidNetworkConfig,
			"cxlmem: no prevResult: cxlmem is a chained plugin",
			"list it after the plugin that gives the pod its address (e.g. bridge with host-local) in a network configuration list")
	}
	prev, err := current.NewResultFromResult(conf.PrevResult)
	if err != nil {
		return types.NewError(types.ErrDecodingFailure, fmt.Sprintf("cxlmem: prevResult: %v", err), "")
	}
	if conf.passThrough(args.Args) {
		return types.PrintResult(prev, conf.CNIVersion)
	}
	ips := podIPv4s(prev)
	if len(ips) == 0 {
		return types.NewError(types.ErrInvalidNetworkConfig,
			"cxlmem: the previous plugins gave the pod no IPv4 address to pass on",
			"give the pod an IPv4 address (e.g. a host-local IPv4 range) before cxlmem")
	}
	netns, err := ns.GetNS(args.Netns)
	if err != nil {
		return types.NewError(types.ErrInvalidEnvironmentVariables,
			fmt.Sprintf("cxlmem: CNI_NETNS %q: %v", args.Netns, err), "")
	}
	defer netns.Close()
	// An existing interface or table: ADD twice, or another plugin's.
	var exists string
	_ = netns.Do(func(ns.NetNS) error {
		if _, err := netlink.LinkByName(conf.Link.IfName); err == nil {
			exists = "interface " + conf.Link.IfName
		} else if _, err := nft("", "list", "table", "ip", nftTable); err == nil {
			exists = "nftables table ip " + nftTable
		}
		return nil
	})
	if exists != "" {
		return types.NewError(ErrAlreadySetUp,
			fmt.Sprintf("cxlmem: %s already exists in the pod's namespace %s", exists, args.Netns),
			"ADD was called twice without DEL, or another plugin uses that name: DEL first, or set \"link\".\"ifName\"")
	}

	var rep AddReply
	if e := call(conf.DaemonSocket, "Add", &AddArgs{
		ContainerID: args.ContainerID, Netns: args.Netns, Want: conf.wantedWindow(args.Args),
		Windows: conf.Windows, Link: conf.Link, CxlOptions: conf.CxlOptions,
	}, &rep, 60*time.Second); e != nil {
		return e
	}
	if rep.Err != nil {
		return rep.Err
	}
	err = netns.Do(func(ns.NetNS) error {
		if err := setForwarding(); err != nil {
			return err
		}
		_, err := nft(nftRules(conf, ips), "-f", "-")
		return err
	})
	if err != nil {
		var r Reply
		_ = call(conf.DaemonSocket, "Del", &IDArgs{ContainerID: args.ContainerID}, &r, 30*time.Second)
		_ = netns.Do(func(ns.NetNS) error { _, _ = nft("", "delete", "table", "ip", nftTable); return nil })
		return types.NewError(types.ErrInternal, fmt.Sprintf("cxlmem: pass-through rules: %v", err),
			"the nft tool and the kernel's nf_tables/nf_nat must be available on the node")
	}
	prev.Interfaces = append(prev.Interfaces, &current.Interface{
		Name: conf.Link.IfName, Mac: rep.Mac, Sandbox: args.Netns,
	})
	return types.PrintResult(prev, conf.CNIVersion)
}

func cmdDel(args *skel.CmdArgs) error {
	conf, err := parse(args)
	if err != nil {
		return err
	}
	if conf.passThrough(args.Args) {
		return nil
	}
	var r Reply
	if e := call(conf.DaemonSocket, "Del", &IDArgs{ContainerID: args.ContainerID}, &r, 30*time.Second); e != nil {
		return e
	}
	if r.Err != nil {
		return r.Err
	}
	if args.Netns == "" {
		return nil
	}
	// The namespace may be gone already: then so are the rules.
	netns, err := ns.GetNS(args.Netns)
	if err != nil {
		return nil
	}
	defer netns.Close()
	return netns.Do(func(ns.NetNS) error {
		if _, err := nft("", "list", "table", "ip", nftTable); err != nil {
			return nil
		}
		_, err := nft("", "delete", "table", "ip", nftTable)
		return err
	})
}

func checkErr(format string, a ...interface{}) error {
	return types.NewError(ErrCheckFailed, fmt.Sprintf(format, a...), "")
}

func cmdCheck(args *skel.CmdArgs) error {
	conf, err := parse(args)
	if err != nil {
		return err
	}
	if conf.PrevResult == nil {
		return types.NewError(types.ErrInvalidNetworkConfig,
			"cxlmem: CHECK without prevResult", "the runtime must pass the result of ADD as prevResult")
	}
	if conf.passThrough(args.Args) {
		return nil
	}
	prev, err := current.NewResultFromResult(conf.PrevResult)
	if err != nil {
		return types.NewError(types.ErrDecodingFailure, fmt.Sprintf("cxlmem: prevResult: %v", err), "")
	}
	var mine *current.Interface
	for _, i := range prev.Interfaces {
		if i.Name == conf.Link.IfName && i.Sandbox != "" {
			mine = i
		}
	}
	if mine == nil {
		return checkErr("cxlmem: prevResult has no interface %s: ADD of cxlmem did not run for this pod", conf.Link.IfName)
	}
	var r Reply
	if e := call(conf.DaemonSocket, "Check", &IDArgs{ContainerID: args.ContainerID, Netns: args.Netns}, &r, 30*time.Second); e != nil {
		return e
	}
	if r.Err != nil {
		return r.Err
	}
	netns, err := ns.GetNS(args.Netns)
	if err != nil {
		return checkErr("cxlmem: CNI_NETNS %q: %v", args.Netns, err)
	}
	defer netns.Close()
	ips := podIPv4s(prev)
	return netns.Do(func(ns.NetNS) error {
		l, err := netlink.LinkByName(conf.Link.IfName)
		if err != nil {
			return checkErr("cxlmem: interface %s is missing in the pod: %v", conf.Link.IfName, err)
		}
		if l.Attrs().Flags&net.FlagUp == 0 {
			return checkErr("cxlmem: interface %s is down", conf.Link.IfName)
		}
		want, _ := netlink.ParseAddr(conf.Link.HostAddress)
		addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4)
		found := false
		for _, a := range addrs {
			found = found || a.IPNet.String() == want.IPNet.String()
		}
		if !found {
			return checkErr("cxlmem: interface %s lacks its address %s", conf.Link.IfName, conf.Link.HostAddress)
		}
		if b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); strings.TrimSpace(string(b)) != "1" {
			return checkErr("cxlmem: IPv4 forwarding is off in the pod (net.ipv4.ip_forward)")
		}
		out, err := nft("", "list", "table", "ip", nftTable)
		if err != nil {
			return checkErr("cxlmem: the pass-through rules are missing: %v", err)
		}
		for _, ip := range ips {
			for _, s := range conf.Services {
				re := regexp.MustCompile(fmt.Sprintf(`ip daddr %s %s dport %d .*dnat to %s`,
					regexp.QuoteMeta(ip.String()), s.Protocol, s.Port, regexp.QuoteMeta(conf.Link.CardAddress)))
				if !re.MatchString(out) {
					return checkErr("cxlmem: no pass-through rule for %s %s/%d -> %s in table ip %s",
						ip, s.Protocol, s.Port, conf.Link.CardAddress, nftTable)
				}
			}
		}
		return nil
	})
}
