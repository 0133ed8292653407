// SPDX-License-Identifier: BSD-3-Clause

// The cxlmem plugin's network configuration: parsed strictly (an unknown
// key is an error that names the known ones) and checked before anything
// is touched, so that a bad configuration leaves nothing behind.

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
)

// Plugin-specific CNI error codes (the spec reserves 1-99).
const (
	ErrWindowUnavailable uint = 100 // the window asked for is used by another pod, or none is free
	ErrForwarder         uint = 101 // cxl-fwd could not be started, or died
	ErrCheckFailed       uint = 102 // CHECK: forwarder, link or pass-through rules not as ADD left them
	ErrAlreadySetUp      uint = 103 // ADD: the link interface or the rules exist already
)

const defaultSocket = "/run/cni/cxlmem.sock"

// Window is one CXL memory window: a devdax device or a file (a file under
// /dev/shm stands in for CXL memory), or a part of one (offset/size).
type Window struct {
	Name   string `json:"name,omitempty"`
	Path   string `json:"path,omitempty"`
	Dax    string `json:"dax,omitempty"`
	Offset string `json:"offset,omitempty"`
	Size   string `json:"size,omitempty"`
}

// Link is the point-to-point link between the pod and the card across the
// window: the host end (in the pod) and the card end.
type Link struct {
	IfName      string `json:"ifName,omitempty"`
	HostAddress string `json:"hostAddress"`
	CardAddress string `json:"cardAddress"`
	MTU         int    `json:"mtu,omitempty"`
}

// Service is a port of the card's that the pod's cluster IP passes on.
type Service struct {
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"`
}

// NetConf is the plugin's entry in the network configuration list.
type NetConf struct {
	types.NetConf
	RuntimeConfig map[string]interface{} `json:"runtimeConfig,omitempty"`
	Args          map[string]interface{} `json:"args,omitempty"`

	DaemonSocket string    `json:"daemonSocket,omitempty"`
	Link         Link      `json:"link"`
	Services     []Service `json:"services"`
	Windows      []Window  `json:"windows"`
	// Extra net_cxlmem devargs of the host end (queues=, rsize=, bsize=,
	// coherence=, link_timeout=...); the card's end must use the same geometry.
	CxlOptions string `json:"cxlOptions,omitempty"`
	// Kubernetes namespaces whose pods stand for cards: a pod of another
	// namespace (CNI_ARGS K8S_POD_NAMESPACE) passes through untouched, so
	// that one node's conflist serves card pods and ordinary pods. Empty:
	// every pod.
	PodNamespaces []string `json:"podNamespaces,omitempty"`
}

// The key names NetConf accepts, for the message about an unknown one.
func knownKeys() []string {
	keys := []string{"cniVersion", "name", "type", "capabilities", "ipam", "dns",
		"prevResult", "runtimeConfig", "args", "daemonSocket", "link", "services",
		"windows", "cxlOptions", "podNamespaces"}
	sort.Strings(keys)
	return keys
}

var unknownField = regexp.MustCompile(`json: unknown field "([^"]*)"`)

func cfgErr(format string, a ...interface{}) *types.Error {
	return types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf(format, a...), "")
}

// parseSize reads a size or offset as the PMD does: bytes, or with a K, M
// or G suffix.
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	mult := uint64(1)
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	num := s
	if mult != 1 {
		num = s[:len(s)-1]
	}
	v, err := strconv.ParseUint(num, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with K, M or G)", s)
	}
	return v * mult, nil
}

var daxName = regexp.MustCompile(`^dax[0-9]+\.[0-9]+$`)

// devargs: the window's part of the net_cxlmem devargs.
func (w *Window) devargs() string {
	var b []string
	if w.Dax != "" {
		b = append(b, "dax="+w.Dax)
	} else {
		b = append(b, "path="+w.Path)
	}
	if w.Offset != "" {
		b = append(b, "offset="+w.Offset)
	}
	if w.Size != "" {
		b = append(b, "size="+w.Size)
	}
	return strings.Join(b, ",")
}

// key identifies the device or file a window is in; span its bytes.
func (w *Window) key() string {
	if w.Dax != "" {
		return "dax:" + w.Dax
	}
	return "path:" + filepath.Clean(w.Path)
}

func (w *Window) span() (uint64, uint64) {
	off, _ := parseSize(w.Offset)
	size, _ := parseSize(w.Size)
	if size == 0 {
		return off, ^uint64(0)
	}
	return off, off + size
}

// overlaps: the two windows share bytes of one device or file.
func (w *Window) overlaps(o *Window) bool {
	if w.key() != o.key() {
		return false
	}
	a0, a1 := w.span()
	b0, b1 := o.span()
	return a0 < b1 && b0 < a1
}

func (w *Window) describe() string {
	s := w.Name + " ("
	if w.Dax != "" {
		s += "dax " + w.Dax
	} else {
		s += w.Path
	}
	if w.Offset != "" {
		s += " offset " + w.Offset
	}
	if w.Size != "" {
		s += " size " + w.Size
	}
	return s + ")"
}

var ifNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)

// loadConf parses stdin's configuration strictly and checks every field.
func loadConf(data []byte) (*NetConf, *types.Error) {
	conf := &NetConf{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(conf); err != nil {
		if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
			return nil, types.NewError(types.ErrUnsupportedField,
				fmt.Sprintf("cxlmem: unknown key %q in the network configuration", m[1]),
				fmt.Sprintf("remove it or correct its spelling; cxlmem knows %s (and in \"link\": ifName, hostAddress, cardAddress, mtu; in \"services\": port, protocol; in \"windows\": name, path, dax, offset, size)",
					strings.Join(knownKeys(), ", ")))
		}
		return nil, types.NewError(types.ErrDecodingFailure,
			fmt.Sprintf("cxlmem: cannot parse the network configuration: %v", err), "")
	}
	if conf.DaemonSocket == "" {
		conf.DaemonSocket = defaultSocket
	}
	if !filepath.IsAbs(conf.DaemonSocket) {
		return nil, cfgErr("cxlmem: \"daemonSocket\" %q must be an absolute path (default %s)", conf.DaemonSocket, defaultSocket)
	}
	l := &conf.Link
	if l.IfName == "" {
		l.IfName = "cxl0"
	}
	if !ifNameRe.MatchString(l.IfName) {
		return nil, cfgErr("cxlmem: \"link\".\"ifName\" %q: give 1-15 letters, digits, '_', '.' or '-' (default cxl0)", l.IfName)
	}
	if l.MTU == 0 {
		l.MTU = 1500
	}
	if l.MTU < 68 || l.MTU > 9000 {
		return nil, cfgErr("cxlmem: \"link\".\"mtu\" %d: give 68..9000 (cxl-fwd's range; the card's end must use the same)", l.MTU)
	}
	if l.HostAddress == "" || l.CardAddress == "" {
		return nil, cfgErr("cxlmem: \"link\" needs \"hostAddress\" (the pod's end, with its prefix, e.g. 192.0.2.1/30) and \"cardAddress\" (the card's end, e.g. 192.0.2.2)")
	}
	hip, hnet, err := net.ParseCIDR(l.HostAddress)
	if err != nil || hip.To4() == nil {
		return nil, cfgErr("cxlmem: \"link\".\"hostAddress\" %q: give an IPv4 address with its prefix length, e.g. 192.0.2.1/30", l.HostAddress)
	}
	cip := net.ParseIP(l.CardAddress)
	if cip == nil || cip.To4() == nil {
		return nil, cfgErr("cxlmem: \"link\".\"cardAddress\" %q: give an IPv4 address without a prefix, e.g. 192.0.2.2", l.CardAddress)
	}
	if !hnet.Contains(cip) || cip.Equal(hip) {
		return nil, cfgErr("cxlmem: \"link\".\"cardAddress\" %s must be another address in hostAddress's subnet %s (the link is on-link only)", cip, hnet)
	}
	if len(conf.Services) == 0 {
		return nil, cfgErr("cxlmem: no \"services\": list the card's ports the pod passes on, e.g. \"services\": [{\"port\": 6379}]")
	}
	seen := map[string]bool{}
	for i := range conf.Services {
		s := &conf.Services[i]
		if s.Protocol == "" {
			s.Protocol = "tcp"
		}
		if s.Protocol != "tcp" && s.Protocol != "udp" {
			return nil, cfgErr("cxlmem: \"services\"[%d].\"protocol\" %q: give tcp or udp", i, s.Protocol)
		}
		if s.Port < 1 || s.Port > 65535 {
			return nil, cfgErr("cxlmem: \"services\"[%d].\"port\" %d: give 1..65535", i, s.Port)
		}
		k := fmt.Sprintf("%s/%d", s.Protocol, s.Port)
		if seen[k] {
			return nil, cfgErr("cxlmem: \"services\" lists %s twice; remove one", k)
		}
		seen[k] = true
	}
	if len(conf.Windows) == 0 {
		return nil, cfgErr("cxlmem: no window: add \"windows\": [{\"name\": \"card0\", \"dax\": \"dax0.0\"}] (or {\"path\": \"/dev/shm/FILE\", \"size\": \"16M\"}), one entry per card on this node")
	}
	names := map[string]bool{}
	for i := range conf.Windows {
		w := &conf.Windows[i]
		if w.Name == "" {
			w.Name = fmt.Sprintf("window%d", i)
		}
		if names[w.Name] {
			return nil, cfgErr("cxlmem: two windows are named %q; give each its own \"name\"", w.Name)
		}
		names[w.Name] = true
		if (w.Path == "") == (w.Dax == "") {
			return nil, cfgErr("cxlmem: window %q: give exactly one of \"path\" (a file or /dev/daxX.Y) or \"dax\" (daxX.Y)", w.Name)
		}
		if w.Dax != "" && !daxName.MatchString(w.Dax) {
			return nil, cfgErr("cxlmem: window %q: \"dax\" %q: give a devdax name like dax0.0", w.Name, w.Dax)
		}
		if w.Path != "" && !filepath.IsAbs(w.Path) {
			return nil, cfgErr("cxlmem: window %q: \"path\" %q must be absolute", w.Name, w.Path)
		}
		if strings.ContainsAny(w.Path, ", ") {
			return nil, cfgErr("cxlmem: window %q: \"path\" %q must not contain commas or spaces (they separate devargs)", w.Name, w.Path)
		}
		for _, f := range []struct{ key, v string }{{"offset", w.Offset}, {"size", w.Size}} {
			if _, err := parseSize(f.v); err != nil {
				return nil, cfgErr("cxlmem: window %q: \"%s\": %v", w.Name, f.key, err)
			}
		}
		if w.Path != "" && w.Size == "" {
			if _, err := os.Stat(w.Path); err != nil {
				return nil, cfgErr("cxlmem: window %q: %s does not exist and has no \"size\": give a \"size\" to have it created, or create it", w.Name, w.Path)
			}
		}
		for j := 0; j < i; j++ {
			if conf.Windows[j].overlaps(w) {
				return nil, cfgErr("cxlmem: windows %q and %q overlap; give them disjoint offset/size ranges", conf.Windows[j].Name, w.Name)
			}
		}
	}
	if strings.ContainsAny(conf.CxlOptions, " ") {
		return nil, cfgErr("cxlmem: \"cxlOptions\" %q: net_cxlmem devargs separated by commas, no spaces", conf.CxlOptions)
	}
	for _, kv := range strings.Split(conf.CxlOptions, ",") {
		k := strings.SplitN(kv, "=", 2)[0]
		switch k {
		case "role", "path", "dax", "offset", "size":
			return nil, cfgErr("cxlmem: \"cxlOptions\" must not set %s= (the plugin sets it from \"windows\")", k)
		}
	}
	return conf, nil
}

// cniArg: the value of KEY in CNI_ARGS (KEY=VALUE;...), or "".
func cniArg(cniArgs, key string) string {
	for _, kv := range strings.Split(cniArgs, ";") {
		p := strings.SplitN(kv, "=", 2)
		if len(p) == 2 && p[0] == key {
			return p[1]
		}
	}
	return ""
}

// passThrough: the pod is not one of the card pods (podNamespaces).
func (c *NetConf) passThrough(cniArgs string) bool {
	ns := cniArg(cniArgs, "K8S_POD_NAMESPACE")
	if len(c.PodNamespaces) == 0 || ns == "" {
		return false
	}
	for _, n := range c.PodNamespaces {
		if n == ns {
			return false
		}
	}
	return true
}

// wantedWindow: the window the runtime asked for this pod: CNI_ARGS
// CXLMEM_WINDOW=NAME, or the configuration's per-pod "args"
// {"cni": {"window": NAME}} (the CNI conventions' args, which Multus fills
// from a pod's network selection "cni-args"), or "".
func (c *NetConf) wantedWindow(cniArgs string) string {
	if w := cniArg(cniArgs, "CXLMEM_WINDOW"); w != "" {
		return w
	}
	if m, ok := c.Args["cni"].(map[string]interface{}); ok {
		if w, ok := m["window"].(string); ok {
			return w
		}
	}
	return ""
}
